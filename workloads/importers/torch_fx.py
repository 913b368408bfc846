"""torch.fx front end: symbolic trace + shape propagation, then lower the graph's nodes.

Leaf modules are ``nn.Linear``, ``nn.Conv1d/2d``, ``nn.Embedding``, ``nn.MultiheadAttention``
and childless ``torch.nn`` modules; everything else is traced through, so functional calls
(``F.linear``, ``torch.matmul``, ``@``, ``F.scaled_dot_product_attention`` …) inside user code
appear as graph nodes. Any tracing failure (data-dependent control flow, unsupported Python)
propagates so that the caller can fall back to the eager recorder.
"""

from __future__ import annotations

import contextlib
import inspect
import io
from collections import Counter

from workloads.importers.calls import ArgInfo, lower_call
from workloads.importers.opnames import (
    TORCH_IGNORED,
    TORCH_MODULES_IGNORED,
    normalise_torch_name,
)
from workloads.importers.result import LayerNamer
from workloads.importers.wiring import VECTOR_TORCH, Wiring, vector_layer
from workloads.layer import Layer


def _concrete_args(module, n_given: int) -> dict:
    """Defaults of the ``forward`` parameters not covered by the example inputs."""
    params = list(inspect.signature(module.forward).parameters.values())
    concrete = {}
    for p in params[n_given:]:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.default is p.empty:
            raise TypeError(f"forward() argument {p.name!r} has no example input and no default")
        concrete[p.name] = p.default
    return concrete


def _scope(node) -> str:
    stack = node.meta.get("nn_module_stack") or {}
    if not stack:
        return ""
    key, value = list(stack.items())[-1]
    return value[0] if isinstance(value, tuple) else str(key)


def trace_fx(module, example_inputs: tuple) -> tuple[list[Layer], Counter]:
    """Layers and unsupported-operator counts of ``module`` run on ``example_inputs``."""
    import torch
    from torch import fx, nn
    from torch.fx.passes.shape_prop import ShapeProp, TensorMetadata

    lowered_modules = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Embedding, nn.MultiheadAttention)

    class _Tracer(fx.Tracer):
        def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
            if isinstance(m, lowered_modules):
                return True
            return m.__module__.startswith("torch.nn") and not any(True for _ in m.children())

    tracer = _Tracer()
    graph = tracer.trace(module, concrete_args=_concrete_args(module, len(example_inputs)))
    gm = fx.GraphModule(tracer.root, graph)
    # ShapeProp prints a traceback before re-raising; the caller reports the failure instead
    with torch.no_grad(), contextlib.redirect_stderr(io.StringIO()):
        ShapeProp(gm).propagate(*example_inputs)

    param_names = {name for name, _ in module.named_parameters(remove_duplicate=False)}

    def info(arg):
        if not isinstance(arg, fx.Node):
            return arg
        meta = arg.meta.get("tensor_meta")
        shape = tuple(meta.shape) if isinstance(meta, TensorMetadata) else None
        param = arg.target if arg.op == "get_attr" and arg.target in param_names else None
        return ArgInfo(shape=shape, param=param, ident=id(arg))

    namer = LayerNamer()
    wiring = Wiring()
    layers: list[Layer] = []
    unsupported: Counter = Counter()
    for node in gm.graph.nodes:
        if node.op in ("placeholder", "output", "get_attr"):
            continue
        acts = [a for a in (*node.args, *node.kwargs.values())
                if isinstance(a, fx.Node) and a.op != "get_attr"
                and isinstance(a.meta.get("tensor_meta"), TensorMetadata)]
        result, missing = _lower_node(node, gm, info, namer, acts)
        if result:
            layers.extend(wiring.wire(result, acts, node))
            continue
        wiring.pass_through(node, acts)
        if missing:
            unsupported[missing] += 1
    return layers, unsupported


def _lower_node(node, gm, info, namer, acts):
    """``(layers, None)`` for a lowered node, else ``(None, name)`` with the operator's name
    when it is neither lowered nor knowingly ignored (``name`` None)."""
    from torch import nn
    from torch.fx.passes.shape_prop import TensorMetadata

    makes_tensor = isinstance(node.meta.get("tensor_meta"), TensorMetadata)
    out_shape = tuple(node.meta["tensor_meta"].shape) if makes_tensor else None
    in_shapes = [tuple(a.meta["tensor_meta"].shape) for a in acts]
    args = [info(a) for a in node.args]
    kwargs = {k: info(v) for k, v in node.kwargs.items()}
    if node.op == "call_module":
        sub = gm.get_submodule(node.target)
        call = _module_call(sub, node.target, args, kwargs, nn)
        name = type(sub).__name__
        if call is None:
            if name in VECTOR_TORCH:
                vec = vector_layer(namer(node.target), VECTOR_TORCH[name], in_shapes, out_shape)
                return ([vec], None) if vec else (None, None)
            return None, (None if name in TORCH_MODULES_IGNORED else name)
        op, args, kwargs = call
        scope = node.target
    else:
        target = node.target
        raw = target if isinstance(target, str) else getattr(target, "__name__", str(target))
        op = normalise_torch_name(raw)
        scope = _scope(node)
        if op in VECTOR_TORCH:
            vec = vector_layer(namer(f"{scope}.{op}" if scope else op), VECTOR_TORCH[op],
                               in_shapes, out_shape)
            return ([vec], None) if vec else (None, None)
    result = lower_call(op, args, kwargs, out_shape, scope, namer)
    if result is not None:
        return result, None
    return None, (op if op not in TORCH_IGNORED and makes_tensor else None)


def _module_call(sub, target: str, args: list, kwargs: dict, nn):
    """A lowered leaf module as an equivalent functional call ``(op, args, kwargs)``."""
    x = args[0] if args else kwargs.get("input")

    def weight(attr: str) -> ArgInfo:
        return ArgInfo(shape=tuple(sub.get_parameter(attr).shape), param=f"{target}.{attr}")

    if isinstance(sub, nn.Linear):
        return "linear", [x, weight("weight")], {}
    if isinstance(sub, nn.Conv1d | nn.Conv2d):
        op = "conv1d" if isinstance(sub, nn.Conv1d) else "conv2d"
        return op, [x, weight("weight"), None, sub.stride, sub.padding, sub.dilation,
                    sub.groups], {}
    if isinstance(sub, nn.Embedding):
        return "embedding", [x, weight("weight")], {}
    if isinstance(sub, nn.MultiheadAttention):
        names = ("query", "key", "value")
        qkv = [args[i] if i < len(args) else kwargs[n] for i, n in enumerate(names)]
        if sub.batch_first and qkv[0].shape is not None and len(qkv[0].shape) == 3:
            qkv = [ArgInfo((a.shape[1], a.shape[0], a.shape[2]), a.param, a.ident) for a in qkv]
        packed = sub._qkv_same_embed_dim
        none = ArgInfo(shape=None)
        return "multi_head_attention_forward", [
            *qkv, sub.embed_dim, sub.num_heads,
            weight("in_proj_weight") if packed else none, None, None, None, False, 0.0,
            weight("out_proj.weight"),
            None, False, None, False, None, not packed,
            *(weight(f"{p}_proj_weight") if not packed else none for p in "qkv"),
        ], {}
    return None
