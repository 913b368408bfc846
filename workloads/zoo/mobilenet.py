"""MobileNetV2 (Sandler et al., 2018) as in torchvision, width multiplier 1.0.

Names follow torchvision: ``features.0.0`` (stem), inverted residuals ``features.{i}.conv.*``
(expansion 1x1 ``conv.0.0``, depthwise 3x3 ``conv.1.0``, projection ``conv.2``; blocks with
expansion 1 have depthwise ``conv.0.0`` and projection ``conv.1``), ``features.18.0`` and
``classifier.1``. Batch norms, ReLU6, residual adds and the global pool are skipped.
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


def mobilenet_v2(batch: int, *, image_size: int) -> list[Layer]:
    """MobileNetV2-1.0 at ``image_size`` x ``image_size``."""
    stem, hw = ops.conv("features.0.0", batch, 3, 32, (image_size, image_size), 3, 2, 1)
    layers, c, i = [stem], 32, 1
    for t, c_out, n, s in SETTINGS:
        for r in range(n):
            p, stride, hidden = f"features.{i}.conv", (s if r == 0 else 1), c * t
            j = 0
            if t != 1:
                layers.append(ops.conv(f"{p}.0.0", batch, c, hidden, hw, 1)[0])
                j = 1
            dw, hw_out = ops.conv(f"{p}.{j}.0", batch, hidden, hidden, hw, 3, stride, 1, hidden)
            layers.append(dw)
            layers.append(ops.conv(f"{p}.{j + 1}", batch, hidden, c_out, hw_out, 1)[0])
            c, hw, i = c_out, hw_out, i + 1
    layers.append(ops.conv(f"features.{i}.0", batch, c, 1280, hw, 1)[0])
    layers.append(ops.linear("classifier.1", batch, 1280, CLASSES))
    return layers
