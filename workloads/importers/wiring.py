"""The tensor graph of an import: which tensor each lowered layer reads, and the vector ops.

Both front ends (torch.fx, ONNX) walk a dataflow graph whose values have keys (an fx node, an
ONNX tensor name). :class:`Wiring` maps each key to the tensor that holds it: a layer's
output, or ``external`` for the model's inputs. Nodes that lower to no layer (reshapes,
transposes, dropout, casts, slices …) pass their first activation input through unchanged, so a
consumer reads the producer's tensor.

Vector ops (``VECTOR_TORCH`` / ``VECTOR_ONNX``) become layers of their own. An elementwise
``add``/``mul``/``sub`` with a single activation operand (a bias, a scale, a constant) is folded
into its producer, as an accelerator's output stage would; with two activation operands (a
residual, a gate) it is a vector op. Attention lowered as one call (``scaled_dot_product_attention``,
``nn.MultiheadAttention``) reads its projections' outputs; its softmax is inside the call and
not a layer of its own.
"""

from __future__ import annotations

from dataclasses import replace
from math import prod

from workloads.layer import EXTERNAL, Layer

VECTOR_TORCH = {
    "add": "add", "sub": "add", "mul": "mul", "relu": "relu", "relu6": "relu", "gelu": "gelu",
    "silu": "silu", "softmax": "softmax", "layer_norm": "layernorm", "rms_norm": "rmsnorm",
    "max_pool2d": "pool", "avg_pool2d": "pool", "adaptive_avg_pool2d": "pool",
    # modules
    "ReLU": "relu", "ReLU6": "relu", "GELU": "gelu", "SiLU": "silu", "Softmax": "softmax",
    "LayerNorm": "layernorm", "RMSNorm": "rmsnorm", "MaxPool2d": "pool", "AvgPool2d": "pool",
    "AdaptiveAvgPool2d": "pool",
}
"""Torch function or module name → vector op kind."""
VECTOR_ONNX = {
    "Add": "add", "Sub": "add", "Mul": "mul", "Relu": "relu", "Gelu": "gelu", "Softmax": "softmax",
    "LayerNormalization": "layernorm", "RMSNormalization": "rmsnorm", "MaxPool": "pool",
    "AveragePool": "pool", "GlobalAveragePool": "pool",
}
"""ONNX operator type → vector op kind."""
ELEMENTWISE = ("add", "mul")


def vector_layer(name: str, kind: str, in_shapes, out_shape) -> Layer | None:
    """A vector op from its activation input shapes and output shape; None for a binary
    elementwise op with one activation operand (folded into its producer)."""
    if out_shape is None or not in_shapes or any(s is None for s in in_shapes):
        return None
    if kind in ELEMENTWISE and len(in_shapes) < 2:
        return None
    out = tuple(out_shape) or (1,)
    rows, width = prod(out[:-1]), out[-1]
    if rows < 1 or width < 1:
        return None
    in_elems = prod(in_shapes[0]) if kind == "pool" else 0
    return Layer(name=name, op=kind, M=rows, K=1, N=width, in_elems=in_elems)


class Wiring:
    """Value key → tensor name, and the ``inputs`` of each lowered layer."""

    def __init__(self) -> None:
        self.tensor: dict = {}

    def source(self, key) -> str:
        return self.tensor.get(key, EXTERNAL)

    def pass_through(self, out_key, in_keys) -> None:
        """A node without layers: its output is its first activation input's tensor."""
        self.tensor[out_key] = self.source(in_keys[0]) if in_keys else EXTERNAL

    def wire(self, layers: list[Layer], in_keys, out_key) -> list[Layer]:
        """Give the layers one node lowered to their ``inputs``; its output is the last one's."""
        src = [self.source(k) for k in in_keys] or [EXTERNAL]
        if len(layers) == 1:
            layer = layers[0]
            if layer.op == "embedding":
                inputs = (EXTERNAL,)
            elif layer.op == "matmul" and not layer.weights:
                inputs = tuple((src + [EXTERNAL])[:2])
            elif layer.unit == "vector":
                inputs = tuple(src)
            else:
                inputs = (src[0],)
            wired = [replace(layer, inputs=inputs)]
        else:
            wired = _wire_attention(layers, src)
        self.tensor[out_key] = wired[-1].output
        return wired


def _wire_attention(layers: list[Layer], src: list[str]) -> list[Layer]:
    """Projections → scores (q, k) → context (scores, v) → output projection."""
    i = next(j for j, la in enumerate(layers) if la.op == "matmul" and not la.weights)
    proj, (scores, context), after = layers[:i], layers[i:i + 2], layers[i + 2:]
    src = (src + [src[0]] * 3)[:3]
    if len(proj) == 1:  # packed q/k/v
        proj = [replace(proj[0], inputs=(src[0],))]
        q = k = v = proj[0].output
    elif len(proj) == 3:
        proj = [replace(p, inputs=(s,)) for p, s in zip(proj, src, strict=True)]
        q, k, v = (p.output for p in proj)
    else:
        q, k, v = src
    out = [*proj, replace(scores, inputs=(q, k)), replace(context, inputs=(scores.output, v))]
    prev = context.output
    for la in after:
        out.append(replace(la, inputs=(prev,)))
        prev = la.output
    return out
