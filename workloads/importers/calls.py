"""Lowering of one recorded torch call (function name, arguments, output shape) to layers.

Both torch front ends — the torch.fx graph walk and the eager ``__torch_function__`` recorder —
describe every call the same way: a normalised function name, arguments in which tensors are
:class:`ArgInfo` (shape, parameter name if the tensor is a parameter, identity) and the output
shape. This module binds the arguments by the torch signature and lowers them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from workloads.importers.lowering import (
    lower_conv,
    lower_embedding,
    lower_linear,
    lower_matmul,
    lower_mha,
    lower_sdpa,
    weight_base,
)
from workloads.layer import Layer


@dataclass(frozen=True)
class ArgInfo:
    """A tensor argument: its shape, the parameter it is (qualified name) if any, an identity."""

    shape: tuple[int, ...] | None
    param: str | None = None
    ident: int = 0


_SIGNATURES: dict[str, tuple[str, ...]] = {
    "linear": ("input", "weight", "bias"),
    "conv1d": ("input", "weight", "bias", "stride", "padding", "dilation", "groups"),
    "conv2d": ("input", "weight", "bias", "stride", "padding", "dilation", "groups"),
    "matmul": ("input", "other"),
    "mm": ("input", "other"),
    "bmm": ("input", "other"),
    "mv": ("input", "other"),
    "addmm": ("bias", "input", "other"),
    "baddbmm": ("bias", "input", "other"),
    "addmv": ("bias", "input", "other"),
    "scaled_dot_product_attention": ("query", "key", "value"),
    "embedding": ("input", "weight"),
    "multi_head_attention_forward": (
        "query", "key", "value", "embed_dim_to_check", "num_heads", "in_proj_weight",
        "in_proj_bias", "bias_k", "bias_v", "add_zero_attn", "dropout_p", "out_proj_weight",
        "out_proj_bias", "training", "key_padding_mask", "need_weights", "attn_mask",
        "use_separate_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight",
    ),
}
_ALIASES = {"mat1": "input", "mat2": "other", "batch1": "input", "batch2": "other",
            "vec": "other", "self": "input"}

LOWERED_OPS = frozenset(_SIGNATURES)
"""Normalised torch function names that :func:`lower_call` turns into layers."""


def _bind(op: str, args: Sequence, kwargs: dict) -> dict:
    bound = dict(zip(_SIGNATURES[op], args, strict=False))
    for key, value in kwargs.items():
        bound[_ALIASES.get(key, key)] = value
    return bound


def _shape(arg) -> tuple[int, ...] | None:
    return arg.shape if isinstance(arg, ArgInfo) else None


def _param(arg) -> str | None:
    return arg.param if isinstance(arg, ArgInfo) else None


def _scoped(scope: str, what: str) -> str:
    return f"{scope}.{what}" if scope else what


def lower_call(op: str, args: Sequence, kwargs: dict, out_shape: tuple[int, ...] | None,
               scope: str, namer: Callable[[str], str]) -> list[Layer] | None:
    """Layers for one call, or ``None`` when ``op`` is not a lowering operator.

    ``scope`` is the qualified name of the innermost module making the call; weight layers are
    named after their parameter (``blocks.0.attn.qkv.weight`` → ``blocks.0.attn.qkv``).
    """
    if op not in _SIGNATURES:
        return None
    b = _bind(op, args, kwargs)
    if op == "linear":
        w = b["weight"]
        base = weight_base(_param(w)) if _param(w) else _scoped(scope, "linear")
        return [lower_linear(namer(base), _shape(b["input"]), _shape(w), weight_name=base)]
    if op in ("conv1d", "conv2d"):
        w = b["weight"]
        base = weight_base(_param(w)) if _param(w) else _scoped(scope, op)
        return [lower_conv(namer(base), _shape(b["input"]), _shape(w), out_shape,
                           stride=b.get("stride", 1), groups=int(b.get("groups", 1)),
                           dilation=b.get("dilation", 1), weight_name=base)]
    if op in ("matmul", "mm", "bmm", "mv", "addmm", "baddbmm", "addmv"):
        a, o = b["input"], b["other"]
        param = _param(o) or _param(a)
        base = weight_base(param) if param else _scoped(scope, "matmul")
        return [lower_matmul(namer(base), _shape(a), _shape(o), a_param=_param(a),
                             b_param=_param(o))]
    if op == "scaled_dot_product_attention":
        return lower_sdpa(scope or "sdpa", _shape(b["query"]),
                          _shape(b["key"]), _shape(b["value"]), namer)
    if op == "embedding":
        w = b["weight"]
        base = weight_base(_param(w)) if _param(w) else _scoped(scope, "embedding")
        return [lower_embedding(namer(base), _shape(b["input"]), _shape(w), weight_name=base)]
    return _lower_mha_call(b, scope, namer)


def _lower_mha_call(b: dict, scope: str, namer: Callable[[str], str]) -> list[Layer]:
    """``F.multi_head_attention_forward``: inputs are sequence-first ``[L, B, E]`` or ``[L, E]``."""
    q, k, v = (_shape(b[key]) for key in ("query", "key", "value"))
    if q is None or k is None or v is None:
        raise ValueError(f"{scope or 'multi_head_attention'}: query/key/value shapes unknown")
    batch = q[1] if len(q) == 3 else 1
    separate = bool(b.get("use_separate_proj_weight", False))
    qkv_names = None
    if separate:
        qkv_names = tuple(_param(b[f"{p}_proj_weight"]) or _scoped(scope, f"{p}_proj_weight")
                          for p in "qkv")
    in_proj = None if separate else (_param(b["in_proj_weight"])
                                     or _scoped(scope, "in_proj_weight"))
    out_proj = _param(b["out_proj_weight"]) or _scoped(scope, "out_proj.weight")
    same = b["query"].ident == b["key"].ident == b["value"].ident
    return lower_mha(scope or "mha", q_len=q[0], kv_len=k[0], batch=batch, embed_dim=q[-1],
                     heads=int(b["num_heads"]), kdim=k[-1], vdim=v[-1], self_attention=same,
                     in_proj=in_proj, qkv_proj=qkv_names, out_proj=out_proj, namer=namer)
