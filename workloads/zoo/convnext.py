"""ConvNeXt (Liu et al., A ConvNet for the 2020s, CVPR 2022) as in torchvision.

Names follow torchvision: stem ``features.0.0`` (4x4 / 4), blocks ``features.{2s+1}.{b}.block.0``
(depthwise 7x7), ``.block.3`` and ``.block.5`` (the pointwise MLP, Linear layers over the H·W
positions), downsamplers ``features.{2s}.1`` (2x2 / 2) and the classifier ``classifier.2``.
LayerNorms, GELU, layer scale, residual adds and the global pool are skipped.
"""

from __future__ import annotations

from workloads.layer import Layer
from workloads.zoo import ops

CLASSES = 1000


def convnext(
    batch: int, *, depths: tuple[int, ...], dims: tuple[int, ...], image_size: int
) -> list[Layer]:
    """A ConvNeXt with ``depths`` blocks per stage of widths ``dims``."""
    stem, hw = ops.conv("features.0.0", batch, 3, dims[0], (image_size, image_size), 4, 4)
    layers = [stem]
    for s, (depth, dim) in enumerate(zip(depths, dims, strict=True)):
        if s:
            down, hw = ops.conv(f"features.{2 * s}.1", batch, dims[s - 1], dim, hw, 2, 2)
            layers.append(down)
        tokens = batch * hw[0] * hw[1]
        for b in range(depth):
            p = f"features.{2 * s + 1}.{b}.block"
            layers.append(ops.conv(f"{p}.0", batch, dim, dim, hw, 7, 1, 3, groups=dim)[0])
            layers.append(ops.linear(f"{p}.3", tokens, dim, 4 * dim))
            layers.append(ops.linear(f"{p}.5", tokens, 4 * dim, dim))
    layers.append(ops.linear("classifier.2", batch, dims[-1], CLASSES))
    return layers
