"""ResNets (He et al., 2016) as in torchvision (v1.5: the stride sits on the 3x3 conv).

Layer names are torchvision's: ``conv1``, ``layer{s}.{b}.conv{1,2,3}``,
``layer{s}.{b}.downsample.0`` and ``fc``. Batch norms, ReLUs, the max/average pools and the
residual adds are skipped (the max pool only halves the spatial size).
"""

from __future__ import annotations

from workloads.layer import Layer
from workloads.zoo import ops

CLASSES = 1000
WIDTHS = (64, 128, 256, 512)


def _basic(p: str, batch: int, c_in: int, width: int, hw, stride: int):
    """BasicBlock: 3x3 → 3x3, expansion 1."""
    a, hw1 = ops.conv(f"{p}.conv1", batch, c_in, width, hw, 3, stride, 1)
    b, hw2 = ops.conv(f"{p}.conv2", batch, width, width, hw1, 3, 1, 1)
    return [a, b], width, hw2


def _bottleneck(p: str, batch: int, c_in: int, width: int, hw, stride: int):
    """Bottleneck: 1x1 → 3x3 (strided) → 1x1, expansion 4."""
    a, _ = ops.conv(f"{p}.conv1", batch, c_in, width, hw, 1)
    b, hw2 = ops.conv(f"{p}.conv2", batch, width, width, hw, 3, stride, 1)
    c, _ = ops.conv(f"{p}.conv3", batch, width, 4 * width, hw2, 1)
    return [a, b, c], 4 * width, hw2


def resnet(
    batch: int, *, blocks: tuple[int, ...], bottleneck: bool, image_size: int
) -> list[Layer]:
    """A ResNet with ``blocks`` residual blocks per stage (basic or bottleneck blocks)."""
    make = _bottleneck if bottleneck else _basic
    stem, hw = ops.conv("conv1", batch, 3, 64, (image_size, image_size), 7, 2, 3)
    hw = tuple(ops.conv_out(x, 3, 2, 1) for x in hw)  # maxpool 3x3 / 2
    layers, c = [stem], 64
    for s, (n, width) in enumerate(zip(blocks, WIDTHS, strict=True), start=1):
        for b in range(n):
            p = f"layer{s}.{b}"
            stride = 2 if b == 0 and s > 1 else 1
            body, c_out, hw_out = make(p, batch, c, width, hw, stride)
            layers += body
            if stride != 1 or c != c_out:
                layers.append(ops.conv(f"{p}.downsample.0", batch, c, c_out, hw, 1, stride)[0])
            c, hw = c_out, hw_out
    layers.append(ops.linear("fc", batch, c, CLASSES))
    return layers
