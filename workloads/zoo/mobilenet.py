"""MobileNetV2 (Sandler et al., 2018) as in torchvision, width multiplier 1.0.

Names follow torchvision: ``features.0.0`` (stem), inverted residuals ``features.{i}.conv.*``
(expansion 1x1 ``conv.0.0``, depthwise 3x3 ``conv.1.0``, projection ``conv.2``; blocks with
expansion 1 have depthwise ``conv.0.0`` and projection ``conv.1``), ``features.18.0`` and
``classifier.1``. Batch norms are folded into the convs (inference). Vector ops: the ReLU6
after each conv but the projections (``...{j}.2``, ``features.0.2``, ``features.18.2``, op
``relu``), the residual ``features.{i}.add`` of stride-1 blocks whose width is unchanged, and the
global ``avgpool``.
"""

from __future__ import annotations

from workloads.layer import Layer
from workloads.zoo import ops

CLASSES = 1000
# (expansion t, output channels c, repeats n, first stride s) from the paper's Table 2
SETTINGS = (
    (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
    (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
)


def _relu(name: str, batch: int, c: int, hw, x: str) -> Layer:
    return ops.vector(name, "relu", batch * hw[0] * hw[1], c, (x,))


def _block(p: str, batch: int, c: int, c_out: int, t: int, hw, stride: int, x: str):
    """An inverted residual reading tensor ``x``; returns its layers, output tensor and size."""
    hidden, j, layers = c * t, 0, []
    if t != 1:
        layers += [ops.conv(f"{p}.0.0", batch, c, hidden, hw, 1, inputs=(x,))[0],
                   _relu(f"{p}.0.2", batch, hidden, hw, f"{p}.0.0")]
        x, j = f"{p}.0.2", 1
    dw, hw_out = ops.conv(f"{p}.{j}.0", batch, hidden, hidden, hw, 3, stride, 1, hidden, (x,))
    layers += [dw, _relu(f"{p}.{j}.2", batch, hidden, hw_out, dw.name),
               ops.conv(f"{p}.{j + 1}", batch, hidden, c_out, hw_out, 1, inputs=(f"{p}.{j}.2",))[0]]
    return layers, layers[-1].name, hw_out


def mobilenet_v2(batch: int, *, image_size: int) -> list[Layer]:
    """MobileNetV2-1.0 at ``image_size`` x ``image_size``."""
    stem, hw = ops.conv("features.0.0", batch, 3, 32, (image_size, image_size), 3, 2, 1)
    layers, c, i = [stem, _relu("features.0.2", batch, 32, hw, "features.0.0")], 32, 1
    x = "features.0.2"
    for t, c_out, n, s in SETTINGS:
        for r in range(n):
            stride = s if r == 0 else 1
            body, out, hw_out = _block(f"features.{i}.conv", batch, c, c_out, t, hw, stride, x)
            layers += body
            if stride == 1 and c == c_out:
                out = f"features.{i}.add"
                layers.append(ops.vector(out, "add", batch * hw[0] * hw[1], c, (body[-1].name, x)))
            c, hw, i, x = c_out, hw_out, i + 1, out
    layers.append(ops.conv(f"features.{i}.0", batch, c, 1280, hw, 1, inputs=(x,))[0])
    layers.append(_relu(f"features.{i}.2", batch, 1280, hw, f"features.{i}.0"))
    layers.append(ops.vector("avgpool", "pool", batch, 1280, (f"features.{i}.2",),
                             in_elems=batch * 1280 * hw[0] * hw[1]))
    layers.append(ops.linear("classifier.1", batch, 1280, CLASSES, ("avgpool",)))
    return layers
