"""Eager front end: run the model once and record calls with a ``__torch_function__`` mode.

Used when torch.fx cannot trace a model (data-dependent control flow, ``nn.TransformerEncoder``
fast-path checks, …). Forward pre/post hooks on every submodule keep a stack of qualified
module names so weightless ops (matmul, attention) are named after the module that issues
them; weight operands are recognised by identity with the model's parameters. An active mode
also makes torch skip its fused inference fast paths, so attention is seen as
``multi_head_attention_forward`` / ``scaled_dot_product_attention`` calls.
"""

from __future__ import annotations

from collections import Counter

from workloads.importers.calls import ArgInfo, lower_call
from workloads.importers.opnames import TORCH_IGNORED, normalise_torch_name
from workloads.importers.result import LayerNamer
from workloads.layer import Layer


def trace_eager(module, example_inputs: tuple) -> tuple[list[Layer], Counter]:
    """Layers and unsupported-operator counts of ``module`` run on ``example_inputs``."""
    import torch
    from torch.overrides import TorchFunctionMode

    params: dict[int, str] = {}
    for name, p in module.named_parameters(remove_duplicate=False):
        params.setdefault(id(p), name)
    stack: list[str] = []
    namer = LayerNamer()
    layers: list[Layer] = []
    unsupported: Counter = Counter()
    errors: list[Exception] = []

    def info(arg):
        if isinstance(arg, torch.Tensor):
            return ArgInfo(shape=tuple(arg.shape), param=params.get(id(arg)), ident=id(arg))
        return arg

    def is_tensorish(out) -> bool:
        if isinstance(out, torch.Tensor):
            return True
        return isinstance(out, tuple | list) and any(isinstance(o, torch.Tensor) for o in out)

    class _Recorder(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            out = func(*args, **kwargs)
            op = normalise_torch_name(getattr(func, "__name__", str(func)))
            out_shape = tuple(out.shape) if isinstance(out, torch.Tensor) else None
            try:
                result = lower_call(op, [info(a) for a in args],
                                    {k: info(v) for k, v in kwargs.items()}, out_shape,
                                    stack[-1] if stack else "", namer)
            except ValueError as exc:
                errors.append(exc)
                return out
            if result is not None:
                layers.extend(result)
            elif op not in TORCH_IGNORED and is_tensorish(out):
                unsupported[op] += 1
            return out

    def enter(name: str):
        def hook(mod, args) -> None:
            stack.append(name)
        return hook

    def leave(mod, args, out) -> None:  # must return None: a value would replace the output
        stack.pop()

    handles = []
    for name, sub in module.named_modules():
        handles.append(sub.register_forward_pre_hook(enter(name)))
        handles.append(sub.register_forward_hook(leave, always_call=True))
    try:
        with torch.no_grad(), _Recorder():
            module(*example_inputs)
    finally:
        for handle in handles:
            handle.remove()
    if errors:
        raise errors[0]
    return layers, unsupported
