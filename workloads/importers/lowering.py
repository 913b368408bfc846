"""Shape-level lowering of linear, conv, matmul, attention and embedding ops to canonical layers.

Framework-free: the torch and ONNX front ends pass tensor shapes and parameter names, and both
get the same layers. Conventions are those of :mod:`workloads.layer`:

* linear over ``[..., K]`` inputs: ``M`` = product of the leading dims (tokens × batch);
* conv: ``M = batch·Hout·Wout``, ``K = (Cin/g)·R·S``, ``N = Cout/g``, ``groups = g``,
  ``in_elems`` = the whole input tensor; a Conv1d has ``kernel = (1, R)``;
* activation × activation matmuls (attention): ``weights=False``, the broadcast batch dims
  (batch × heads) become ``groups``;
* a matmul whose second operand is a 2-D parameter is a linear layer (``weights=True``);
* embeddings: ``op='embedding'``, ``M`` = number of looked-up tokens, ``K=1``, ``N`` = width,
  ``weights=False``, ``meta={'vocab': V}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import prod

from workloads.layer import Layer

Shape = Sequence[int]


def weight_base(param_name: str) -> str:
    """Layer name for a weight tensor: its name minus a trailing ``.weight`` (trace convention)."""
    return param_name.removesuffix(".weight")


def _dims(shape: Shape, what: str, name: str) -> tuple[int, ...]:
    if shape is None:
        raise ValueError(f"{name}: shape of the {what} is unknown")
    return tuple(int(d) for d in shape)


def lower_linear(name: str, x: Shape, w: Shape, *, weight_name: str = "",
                 transposed: bool = False) -> Layer:
    """``y = x @ W^T`` with ``W`` of shape ``[N, K]`` (``[K, N]`` when ``transposed``)."""
    x, w = _dims(x, "input", name), _dims(w, "weight", name)
    if len(w) != 2:
        raise ValueError(f"{name}: linear weight must be 2-D, got shape {list(w)}")
    n, k = (w[1], w[0]) if transposed else w
    if x and x[-1] != k:
        raise ValueError(f"{name}: input features {x[-1]} do not match weight shape {list(w)}")
    m = prod(x[:-1]) if len(x) > 1 else 1
    meta = {"transposed_weight": True} if transposed else {}
    return Layer(name=name, op="linear", M=m, K=k, N=n, weight_name=weight_name or name,
                 meta=meta)


def lower_conv(name: str, x: Shape, w: Shape, out: Shape, *, stride: Sequence[int] | int = 1,
               groups: int = 1, dilation: Sequence[int] | int = 1, weight_name: str = "") -> Layer:
    """Conv1d/Conv2d with weight ``[Cout, Cin/g, *kernel]``; ``out`` is the output shape."""
    x, w, out = _dims(x, "input", name), _dims(w, "weight", name), _dims(out, "output", name)
    nd = len(w) - 2
    if nd not in (1, 2):
        raise ValueError(f"{name}: only 1-D and 2-D convolutions are supported, got weight "
                         f"shape {list(w)}")
    batched = len(x) == nd + 2
    batch = x[0] if batched else 1
    if x[-nd - 1] != w[1] * groups:
        raise ValueError(f"{name}: {x[-nd - 1]} input channels do not match weight {list(w)} "
                         f"with groups={groups}")
    strides = (stride,) * nd if isinstance(stride, int) else tuple(int(s) for s in stride)
    dil = (dilation,) * nd if isinstance(dilation, int) else tuple(int(d) for d in dilation)
    kernel = (1, w[2]) if nd == 1 else (w[2], w[3])
    meta = {"stride": list(strides), "dilation": list(dil), "out_shape": list(out)}
    return Layer(name=name, op="conv", M=batch * prod(out[-nd:]), K=prod(w[1:]),
                 N=w[0] // groups, groups=groups, in_elems=prod(x), stride=max(strides),
                 kernel=kernel, weight_name=weight_name or name, meta=meta)


def _broadcast(a: tuple[int, ...], b: tuple[int, ...], name: str) -> tuple[int, ...]:
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    out = []
    for da, db in zip(a, b, strict=True):
        if da != db and 1 not in (da, db):
            raise ValueError(f"{name}: batch dims {a} and {b} do not broadcast")
        out.append(max(da, db))
    return tuple(out)


def lower_matmul(name: str, a: Shape, b: Shape, *, a_param: str | None = None,
                 b_param: str | None = None, role: str = "") -> Layer:
    """``a @ b`` with numpy/torch broadcasting; a 2-D parameter operand makes it a linear layer.

    ``role`` (``scores`` / ``context``) tags attention matmuls for the decode transform.
    """
    a, b = _dims(a, "first operand", name), _dims(b, "second operand", name)
    if b_param is not None and len(b) == 2:
        return lower_linear(name, a, b, weight_name=weight_base(b_param), transposed=True)
    a2 = (1,) + a if len(a) == 1 else a
    b2 = b + (1,) if len(b) == 1 else b
    m, k, n = a2[-2], a2[-1], b2[-1]
    if b2[-2] != k:
        raise ValueError(f"{name}: inner dims differ ({list(a)} @ {list(b)})")
    groups = prod(_broadcast(a2[:-2], b2[:-2], name))
    if a_param is not None and len(a) == 2:
        # out = W @ x  ==  (x^T @ W^T)^T: a weight-stationary GEMM with W's rows as outputs
        return Layer(name=name, op="linear", M=groups * n, K=k, N=m,
                     weight_name=weight_base(a_param), meta={"weight_on_left": True})
    meta = {"role": role} if role else {}
    return Layer(name=name, op="matmul", M=m, K=k, N=n, groups=groups, weights=False, meta=meta)


def lower_sdpa(scope: str, q: Shape, k: Shape, v: Shape, namer) -> list[Layer]:
    """``scaled_dot_product_attention``: scores ``Q·K^T`` and context ``P·V`` per batch × head."""
    q, k, v = (_dims(s, what, scope) for s, what in ((q, "query"), (k, "key"), (v, "value")))
    groups = prod(q[:-2]) if len(q) > 2 else 1
    t_q, e = q[-2], q[-1]
    t_kv, e_v = k[-2], v[-1]
    return [
        Layer(name=namer(f"{scope}.scores"), op="matmul", M=t_q, K=e, N=t_kv, groups=groups,
              weights=False, meta={"role": "scores"}),
        Layer(name=namer(f"{scope}.context"), op="matmul", M=t_q, K=t_kv, N=e_v, groups=groups,
              weights=False, meta={"role": "context"}),
    ]


def lower_embedding(name: str, idx: Shape, w: Shape, *, weight_name: str = "") -> Layer:
    """A table lookup: memory traffic of ``M`` rows of width ``N``, no MACs worth simulating."""
    idx, w = _dims(idx, "indices", name), _dims(w, "table", name)
    if len(w) != 2:
        raise ValueError(f"{name}: embedding table must be 2-D, got shape {list(w)}")
    return Layer(name=name, op="embedding", M=prod(idx) or 1, K=1, N=w[1], weights=False,
                 weight_name=weight_name or name, meta={"vocab": w[0]})


def lower_mha(scope: str, *, q_len: int, kv_len: int, batch: int, embed_dim: int, heads: int,
              kdim: int, vdim: int, self_attention: bool, in_proj: str | None,
              qkv_proj: tuple[str, str, str] | None, out_proj: str, namer) -> list[Layer]:
    """``nn.MultiheadAttention``: input projections, scores, context and output projection.

    ``in_proj`` names a packed ``[3E, E]`` weight (one linear when query, key and value are the
    same tensor, else three slices of it); ``qkv_proj`` names separate q/k/v weights.
    """
    e, hd = embed_dim, embed_dim // heads
    layers: list[Layer] = []
    if in_proj is not None and self_attention:
        base = weight_base(in_proj)
        layers.append(Layer(name=namer(base), op="linear", M=q_len * batch, K=e, N=3 * e,
                            weight_name=base))
    else:
        names = qkv_proj or (in_proj, in_proj, in_proj)
        for part, (rows, k_in), pname in zip(
            "qkv", ((q_len, e), (kv_len, kdim), (kv_len, vdim)), names, strict=True
        ):
            base = weight_base(pname)
            suffix = f".{part}" if qkv_proj is None else ""
            layers.append(Layer(name=namer(base + suffix), op="linear", M=rows * batch, K=k_in,
                                N=e, weight_name=base))
    groups = batch * heads
    layers += [
        Layer(name=namer(f"{scope}.scores"), op="matmul", M=q_len, K=hd, N=kv_len,
              groups=groups, weights=False, meta={"role": "scores"}),
        Layer(name=namer(f"{scope}.context"), op="matmul", M=q_len, K=kv_len, N=hd,
              groups=groups, weights=False, meta={"role": "context"}),
    ]
    base = weight_base(out_proj)
    layers.append(Layer(name=namer(base), op="linear", M=q_len * batch, K=e, N=e,
                        weight_name=base))
    return layers
