"""ConvNeXt (Liu et al., A ConvNet for the 2020s, CVPR 2022) as in torchvision.

Names follow torchvision: stem ``features.0.0`` (4x4 / 4), blocks ``features.{2s+1}.{b}.block.0``
(depthwise 7x7), ``.block.3`` and ``.block.5`` (the pointwise MLP, Linear layers over the H·W
positions), downsamplers ``features.{2s}.1`` (2x2 / 2) and the classifier ``classifier.2``.
Vector ops: the LayerNorms (``features.0.1`` after the stem, ``features.{2s}.0`` before a
downsampler, ``.block.2`` in a block, ``classifier.0``), ``.block.4`` (GELU), the layer scale
``.layer_scale`` (mul), the residual ``.add`` and the global ``avgpool``.
"""

from __future__ import annotations

from workloads.layer import Layer
from workloads.zoo import ops

CLASSES = 1000


def _block(p: str, batch: int, dim: int, hw, x: str) -> list[Layer]:
    """One ConvNeXt block reading tensor ``x``; writes ``{p}.add``."""
    tokens = batch * hw[0] * hw[1]
    b = f"{p}.block"
    return [
        ops.conv(f"{b}.0", batch, dim, dim, hw, 7, 1, 3, groups=dim, inputs=(x,))[0],
        ops.vector(f"{b}.2", "layernorm", tokens, dim, (f"{b}.0",)),
        *ops.mlp((f"{b}.3", f"{b}.4", f"{b}.5"), tokens, dim, 4 * dim, f"{b}.2"),
        ops.vector(f"{p}.layer_scale", "mul", tokens, dim, (f"{b}.5",)),
        ops.vector(f"{p}.add", "add", tokens, dim, (x, f"{p}.layer_scale")),
    ]


def convnext(
    batch: int, *, depths: tuple[int, ...], dims: tuple[int, ...], image_size: int
) -> list[Layer]:
    """A ConvNeXt with ``depths`` blocks per stage of widths ``dims``."""
    stem, hw = ops.conv("features.0.0", batch, 3, dims[0], (image_size, image_size), 4, 4)
    layers = [stem, ops.vector("features.0.1", "layernorm", batch * hw[0] * hw[1], dims[0],
                               ("features.0.0",))]
    x = "features.0.1"
    for s, (depth, dim) in enumerate(zip(depths, dims, strict=True)):
        if s:
            norm = ops.vector(f"features.{2 * s}.0", "layernorm", batch * hw[0] * hw[1],
                              dims[s - 1], (x,))
            down, hw = ops.conv(f"features.{2 * s}.1", batch, dims[s - 1], dim, hw, 2, 2,
                                inputs=(norm.name,))
            layers += [norm, down]
            x = down.name
        for b in range(depth):
            layers += _block(f"features.{2 * s + 1}.{b}", batch, dim, hw, x)
            x = f"features.{2 * s + 1}.{b}.add"
    layers += [
        ops.vector("avgpool", "pool", batch, dims[-1], (x,),
                   in_elems=batch * dims[-1] * hw[0] * hw[1]),
        ops.vector("classifier.0", "layernorm", batch, dims[-1], ("avgpool",)),
        ops.linear("classifier.2", batch, dims[-1], CLASSES, ("classifier.0",)),
    ]
    return layers
