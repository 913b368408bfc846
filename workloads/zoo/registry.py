"""The zoo's table of models and the functions to build, list and describe them."""

from __future__ import annotations

from functools import partial

from workloads.layer import Layer
from workloads.zoo import bert, convnext, llama, mobilenet, resnet, vit
from workloads.zoo.spec import Model, Param, suggest

_VIT_PARAMS = {
    "image_size": Param(224, "input image side in pixels (multiple of 16)", derived=True),
    "seq_len": Param(197, "tokens per image incl. the class token (from image_size)", derived=True),
}


def _vit(name: str, dim: int, heads: int, label: str) -> Model:
    return Model(
        name=name,
        builder=partial(vit.deit, dim=dim, depth=12, heads=heads),
        description=f"{label}: ViT, 12 blocks, dim {dim}, {heads} heads, 16x16 patches",
        source="Touvron et al., Training data-efficient image transformers, ICML 2021",
        params=dict(_VIT_PARAMS),
    )


def _image() -> dict[str, Param]:
    return {"image_size": Param(224, "input image side in pixels")}


def _resnet(name: str, blocks: tuple[int, ...], bottleneck: bool, label: str) -> Model:
    return Model(
        name=name,
        builder=partial(resnet.resnet, blocks=blocks, bottleneck=bottleneck),
        description=f"{label}: torchvision ResNet, {'bottleneck' if bottleneck else 'basic'} "
        f"blocks {'-'.join(map(str, blocks))}",
        source="He et al., Deep Residual Learning for Image Recognition, CVPR 2016",
        params=_image(),
    )


def _bert(name: str, label: str, source: str, pooler: bool, **arch: int) -> Model:
    return Model(
        name=name,
        builder=partial(bert.bert, **arch),
        description=f"{label}: BERT encoder, {arch['depth']} layers, hidden {arch['hidden']}, "
        f"{arch['heads']} heads",
        source=source,
        params={
            "seq_len": Param(128, "tokens per sequence (at most 512)"),
            "pooler": Param(pooler, "include the CLS-token pooler.dense layer", kind=bool),
        },
    )


MODELS: dict[str, Model] = {
    m.name: m
    for m in (
        _vit("deit_tiny", 192, 3, "DeiT-Ti"),
        _vit("deit_small", 384, 6, "DeiT-S"),
        _vit("deit_base", 768, 12, "DeiT-B"),
        _resnet("resnet18", (2, 2, 2, 2), False, "ResNet-18"),
        _resnet("resnet50", (3, 4, 6, 3), True, "ResNet-50"),
        Model(
            name="mobilenet_v2",
            builder=mobilenet.mobilenet_v2,
            description="MobileNetV2-1.0: inverted residuals with depthwise 3x3 convs",
            source="Sandler et al., MobileNetV2: Inverted Residuals and Linear Bottlenecks, "
            "CVPR 2018",
            params=_image(),
        ),
        Model(
            name="convnext_tiny",
            builder=partial(convnext.convnext, depths=(3, 3, 9, 3), dims=(96, 192, 384, 768)),
            description="ConvNeXt-T: depthwise 7x7 + pointwise MLP blocks 3-3-9-3, dims 96-768",
            source="Liu et al., A ConvNet for the 2020s, CVPR 2022",
            params=_image(),
        ),
        _bert("bert_base", "BERT-base", "Devlin et al., BERT, NAACL 2019", pooler=True,
              hidden=768, depth=12, heads=12, intermediate=3072),
        _bert("minilm_l6", "all-MiniLM-L6-v2 (sentence embeddings, mean pooling)",
              "Wang et al., MiniLM, NeurIPS 2020; sentence-transformers all-MiniLM-L6-v2",
              pooler=False, hidden=384, depth=6, heads=12, intermediate=1536),
        Model(
            name="llama2_7b",
            builder=partial(llama.llama, hidden=4096, depth=32, heads=32, kv_heads=32,
                            intermediate=11008, vocab=32000),
            description="LLaMA-2-7B: decoder-only LLM, 32 layers, hidden 4096, one prefill pass "
            "or one decode step",
            source="Touvron et al., Llama 2: Open Foundation and Fine-Tuned Chat Models, 2023",
            params={
                "phase": Param("decode", "prefill | decode", choices=llama.PHASES, kind=str),
                "seq_len": Param(512, "prompt tokens per sequence (prefill)"),
                "context": Param(1024, "KV-cache positions attended incl. the new token (decode)"),
            },
        ),
    )
}


def get(name: str) -> Model:
    """The zoo entry called ``name``; ValueError with a hint and the list of names otherwise."""
    try:
        return MODELS[name]
    except (KeyError, TypeError):
        names = list(MODELS)
        hint = suggest(name, names) if isinstance(name, str) else ""
        raise ValueError(
            f"unknown model {name!r}{hint} (available: {', '.join(names)})"
        ) from None


def build(name: str, batch: int = 1, **params: object) -> list[Layer]:
    """The canonical layers of zoo model ``name`` at ``batch`` with ``params`` overridden."""
    return get(name)(batch, **params)


def params(name: str) -> dict[str, object]:
    """Parameters ``name`` accepts, with their defaults."""
    return get(name).defaults()


def describe(name: str) -> str:
    """One line: what ``name`` is and the paper its architecture comes from."""
    return get(name).describe()
