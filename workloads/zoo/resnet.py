"""ResNets (He et al., 2016) as in torchvision (v1.5: the stride sits on the 3x3 conv).

Layer names are torchvision's: ``conv1``, ``layer{s}.{b}.conv{1,2,3}``,
``layer{s}.{b}.downsample.0`` and ``fc``. Batch norms are folded into the convs (inference).
Vector ops: ``relu`` and ``maxpool`` after the stem, ``layer{s}.{b}.relu1`` / ``relu2`` inside a
block, the residual ``layer{s}.{b}.add`` (reading the block input, or its downsample) and the
ReLU after it ``layer{s}.{b}.relu``, and ``avgpool`` before ``fc``.
"""

from __future__ import annotations

from workloads.layer import Layer
from workloads.zoo import ops

CLASSES = 1000
WIDTHS = (64, 128, 256, 512)


def _relu(name: str, batch: int, c: int, hw, x: str) -> Layer:
    return ops.vector(name, "relu", batch * hw[0] * hw[1], c, (x,))


def _basic(p: str, batch: int, c_in: int, width: int, hw, stride: int, x: str):
    """BasicBlock: 3x3 → 3x3, expansion 1."""
    a, hw1 = ops.conv(f"{p}.conv1", batch, c_in, width, hw, 3, stride, 1, inputs=(x,))
    b, hw2 = ops.conv(f"{p}.conv2", batch, width, width, hw1, 3, 1, 1, inputs=(f"{p}.relu1",))
    return [a, _relu(f"{p}.relu1", batch, width, hw1, a.name), b], width, hw2


def _bottleneck(p: str, batch: int, c_in: int, width: int, hw, stride: int, x: str):
    """Bottleneck: 1x1 → 3x3 (strided) → 1x1, expansion 4."""
    a, _ = ops.conv(f"{p}.conv1", batch, c_in, width, hw, 1, inputs=(x,))
    b, hw2 = ops.conv(f"{p}.conv2", batch, width, width, hw, 3, stride, 1, inputs=(f"{p}.relu1",))
    c, _ = ops.conv(f"{p}.conv3", batch, width, 4 * width, hw2, 1, inputs=(f"{p}.relu2",))
    return ([a, _relu(f"{p}.relu1", batch, width, hw, a.name), b,
             _relu(f"{p}.relu2", batch, width, hw2, b.name), c], 4 * width, hw2)


def resnet(
    batch: int, *, blocks: tuple[int, ...], bottleneck: bool, image_size: int
) -> list[Layer]:
    """A ResNet with ``blocks`` residual blocks per stage (basic or bottleneck blocks)."""
    make = _bottleneck if bottleneck else _basic
    stem, hw = ops.conv("conv1", batch, 3, 64, (image_size, image_size), 7, 2, 3)
    pooled = tuple(ops.conv_out(x, 3, 2, 1) for x in hw)  # maxpool 3x3 / 2
    layers = [stem, _relu("relu", batch, 64, hw, "conv1"),
              ops.vector("maxpool", "pool", batch * pooled[0] * pooled[1], 64, ("relu",),
                         in_elems=batch * 64 * hw[0] * hw[1])]
    c, hw, x = 64, pooled, "maxpool"
    for s, (n, width) in enumerate(zip(blocks, WIDTHS, strict=True), start=1):
        for b in range(n):
            p = f"layer{s}.{b}"
            stride = 2 if b == 0 and s > 1 else 1
            body, c_out, hw_out = make(p, batch, c, width, hw, stride, x)
            layers += body
            skip = x
            if stride != 1 or c != c_out:
                layers.append(ops.conv(f"{p}.downsample.0", batch, c, c_out, hw, 1, stride,
                                       inputs=(x,))[0])
                skip = f"{p}.downsample.0"
            layers.append(ops.vector(f"{p}.add", "add", batch * hw_out[0] * hw_out[1], c_out,
                                     (body[-1].name, skip)))
            layers.append(_relu(f"{p}.relu", batch, c_out, hw_out, f"{p}.add"))
            c, hw, x = c_out, hw_out, f"{p}.relu"
    layers.append(ops.vector("avgpool", "pool", batch, c, (x,), in_elems=batch * c * hw[0] * hw[1]))
    layers.append(ops.linear("fc", batch, c, CLASSES, ("avgpool",)))
    return layers
