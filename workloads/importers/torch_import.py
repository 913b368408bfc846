"""``from_torch``: an ``nn.Module`` plus example inputs → canonical layers.

torch.fx is tried first; when it cannot trace the model the eager ``__torch_function__``
recorder runs instead. Both see the same calls and lower them identically (see
:mod:`workloads.importers.calls`). The model runs once in eval mode under ``no_grad`` and its
train/eval state is restored afterwards.
"""

from __future__ import annotations

from workloads.importers.decode import to_decode
from workloads.importers.result import ImportFailure, ImportResult, warn_unsupported

METHODS = ("auto", "fx", "eager")


def _batch_and_tokens(example_inputs: tuple, batch_dim: int) -> tuple[int, int]:
    """Batch size and tokens per sequence (first non-batch dim) of the first example input."""
    first = example_inputs[0] if example_inputs else None
    shape = tuple(getattr(first, "shape", ()))
    if len(shape) <= batch_dim:
        return 1, shape[0] if shape else 1
    rest = shape[:batch_dim] + shape[batch_dim + 1:]
    return int(shape[batch_dim]), int(rest[0]) if rest else 1


def from_torch(module, example_inputs: tuple, *, batch_dim: int = 0,
               decode_context: int | None = None, method: str = "auto") -> ImportResult:
    """Trace ``module(*example_inputs)`` and lower it to canonical layers.

    ``batch_dim`` is the batch dimension of the first example input; the next dimension is
    taken as the sequence (tokens) for ``decode_context``. With ``decode_context=L`` the layers
    describe one decode step at KV-cache length ``L`` (see :mod:`workloads.importers.decode`).
    ``method`` forces ``fx`` or ``eager`` (default ``auto``: fx, falling back to eager).
    Unsupported operators are counted in the result and named in one warning.
    """
    import torch
    from torch import nn

    from workloads.importers.torch_eager import trace_eager
    from workloads.importers.torch_fx import trace_fx

    origin = type(module).__name__
    if not isinstance(module, nn.Module):
        raise ImportFailure(f"expected a torch.nn.Module, got {origin}")
    if method not in METHODS:
        raise ImportFailure(f"method must be one of {METHODS}, got {method!r}")
    if isinstance(example_inputs, torch.Tensor):
        example_inputs = (example_inputs,)
    example_inputs = tuple(example_inputs)

    was_training = module.training
    module.eval()
    try:
        layers = unsupported = None
        source = "fx"
        fx_error: Exception | None = None
        if method in ("auto", "fx"):
            try:
                layers, unsupported = trace_fx(module, example_inputs)
            except Exception as exc:  # fx fails in many ways; the eager path is the fallback
                fx_error = exc
                if method == "fx":
                    raise ImportFailure(f"{origin}: torch.fx could not trace the model: "
                                        f"{type(exc).__name__}: {exc}") from None
        if layers is None:
            source = "eager"
            try:
                layers, unsupported = trace_eager(module, example_inputs)
            except Exception as exc:
                hint = f" (torch.fx also failed: {fx_error})" if fx_error else ""
                raise ImportFailure(f"{origin}: running the model on the example inputs failed: "
                                    f"{type(exc).__name__}: {exc}{hint}") from None
    finally:
        module.train(was_training)

    if not any(la.unit == "pe" for la in layers):
        raise ImportFailure(f"{origin}: no linear, conv, matmul, attention or embedding "
                            "operators found")
    if decode_context is not None:
        batch, tokens = _batch_and_tokens(example_inputs, batch_dim)
        try:
            layers = to_decode(layers, batch=batch, tokens=tokens, context=int(decode_context))
        except ValueError as exc:
            raise ImportFailure(f"{origin}: {exc}") from None
    unsupported = dict(unsupported)
    warn_unsupported(unsupported, origin)
    return ImportResult(layers=layers, unsupported=unsupported, source=source)
