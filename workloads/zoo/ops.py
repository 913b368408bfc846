"""Lowering of common operators (linear, conv, embedding, attention) to canonical layers.

Shared by every model family so that each family module only describes its topology (the
tensors each layer reads: ``inputs``). Norms, activations, residual adds, softmax and pooling
are vector ops (:func:`vector`), timed on the vector unit; they carry no weights and no MACs.
"""

from __future__ import annotations

from workloads.layer import Layer


def linear(name: str, tokens: int, d_in: int, d_out: int, inputs=(), in_elems: int = 0) -> Layer:
    """A Linear applied to ``tokens`` rows (tokens already include the batch), reading tensor
    ``inputs`` (``in_elems``: fewer elements than ``tokens·d_in`` when it reads a slice)."""
    return Layer(name=name, op="linear", M=tokens, K=d_in, N=d_out, inputs=tuple(inputs),
                 in_elems=in_elems)


def vector(name: str, op: str, rows: int, width: int, inputs, *, groups: int = 1,
           in_elems: int = 0) -> Layer:
    """A vector op over ``groups × rows`` rows of ``width`` output elements reading ``inputs``
    (``in_elems`` per input; default the output's size)."""
    return Layer(name=name, op=op, M=rows, K=1, N=width, groups=groups, inputs=tuple(inputs),
                 in_elems=in_elems)


def conv_out(size: int, kernel: int, stride: int, padding: int) -> int:
    """Output extent of a convolution along one spatial axis."""
    return (size + 2 * padding - kernel) // stride + 1


def conv(
    name: str,
    batch: int,
    c_in: int,
    c_out: int,
    hw: tuple[int, int],
    kernel: int,
    stride: int = 1,
    padding: int = 0,
    groups: int = 1,
    inputs=("external",),
) -> tuple[Layer, tuple[int, int]]:
    """A square-kernel Conv2d on a ``batch × c_in × H × W`` input (tensor ``inputs``, by default
    one from DRAM); returns the layer, (Hout, Wout).

    Raises ValueError when the input is too small to give a non-empty output.
    """
    h, w = hw
    h_out, w_out = conv_out(h, kernel, stride, padding), conv_out(w, kernel, stride, padding)
    if h_out < 1 or w_out < 1:
        raise ValueError(
            f"{name}: a {h}x{w} input is too small for a {kernel}x{kernel} stride-{stride} conv"
        )
    if c_in % groups or c_out % groups:
        raise ValueError(f"{name}: channels {c_in}->{c_out} not divisible by groups={groups}")
    layer = Layer(
        name=name,
        op="conv",
        M=batch * h_out * w_out,
        K=(c_in // groups) * kernel * kernel,
        N=c_out // groups,
        groups=groups,
        in_elems=batch * c_in * h * w,
        stride=stride,
        kernel=(kernel, kernel),
        inputs=tuple(inputs),
    )
    return layer, (h_out, w_out)


def embedding(name: str, tokens: int, vocab: int, hidden: int) -> Layer:
    """A table lookup of ``tokens`` rows from a ``vocab × hidden`` table (memory traffic only)."""
    return Layer(
        name=name, op="embedding", M=tokens, K=1, N=hidden, weights=False, meta={"vocab": vocab},
        inputs=("external",),
    )


def mlp(names: tuple[str, str, str], tokens: int, dim: int, hidden: int, x: str,
        act: str = "gelu") -> list[Layer]:
    """Linear ``dim → hidden``, the activation, Linear ``hidden → dim`` on tensor ``x``; ``names``
    of the three layers in that order."""
    up, mid, down = names
    return [linear(up, tokens, dim, hidden, (x,)), vector(mid, act, tokens, hidden, (up,)),
            linear(down, tokens, hidden, dim, (mid,))]


def attention(
    prefix: str, batch: int, heads: int, head_dim: int, queries: int, keys: int,
    q: str, k: str, v: str, **meta
) -> list[Layer]:
    """Score (Q·Kᵀ) and context (P·V) matmuls of multi-head attention, one group per head × batch,
    with the softmax between them; reads tensors ``q``, ``k``, ``v`` (``external``: a KV cache).

    ``queries`` query positions attend to ``keys`` key/value positions (the KV-cache length
    for decoding). Names are ``{prefix}.scores``, ``{prefix}.softmax`` and ``{prefix}.context``.
    """
    groups = heads * batch
    return [
        Layer(name=f"{prefix}.scores", op="matmul", M=queries, K=head_dim, N=keys,
              groups=groups, weights=False, meta=dict(meta), inputs=(q, k)),
        vector(f"{prefix}.softmax", "softmax", queries, keys, (f"{prefix}.scores",), groups=groups),
        Layer(name=f"{prefix}.context", op="matmul", M=queries, K=keys, N=head_dim,
              groups=groups, weights=False, meta=dict(meta), inputs=(f"{prefix}.softmax", v)),
    ]
