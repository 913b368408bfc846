"""Quantise a torch model in place for fine-tuning, build its optimiser groups, export traces.

Typical use::

    wrappers = quantize_model(model, "ssvq", k=16, d=4, select=lambda name, m: name != "fc")
    opt = torch.optim.AdamW(optimizer_groups(model, lr=2.5e-4, lr_mask=2.5e-4))
    freezer = SignFreezer((w.qweight for w in wrappers.values()), total_steps=T)
    ... loss.backward(); opt.step(); freezer.step() ...
    write_trace(out, "mymodel", "ssvq", export_layers(model), creator="quant")
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from quant.codec import CompressedWeight, compress_weight
from quant.qmodules import QuantConv2d, QuantLinear, QuantWeight

Selector = Callable[[str, nn.Module], bool]


def _set_module(model: nn.Module, name: str, new: nn.Module) -> None:
    parent, _, child = name.rpartition(".")
    setattr(model.get_submodule(parent) if parent else model, child, new)


def quantize_model(model: nn.Module, scheme: str, k: int | None = None, d: int | None = None, *,
                   select: Selector | None = None, fisher: dict[str, torch.Tensor] | None = None,
                   codebook_dtype: str = "fp16", alpha: float = 1.0, seed: int = 0,
                   iters: int = 25) -> dict[str, QuantLinear | QuantConv2d]:
    """Replace selected ``nn.Linear``/``nn.Conv2d`` modules by quantised wrappers (in place).

    ``select(name, module)`` picks layers (default: all Linear/Conv2d); ``fisher`` maps module
    names to per-weight importances for Hessian-weighted k-means. Each layer's k-means seed is
    ``seed`` + its position. Returns the wrappers by module name.
    """
    targets = [(n, m) for n, m in model.named_modules()
               if isinstance(m, nn.Linear | nn.Conv2d) and (select is None or select(n, m))]
    if not targets:
        raise ValueError("quantize_model: no Linear/Conv2d layer was selected")
    wrappers = {}
    for i, (name, mod) in enumerate(targets):
        f = None if fisher is None else fisher.get(name)
        cw = compress_weight(mod.weight, scheme, k, d, codebook_dtype=codebook_dtype, fisher=f,
                             seed=seed + i, iters=iters)
        qw = QuantWeight(cw, mod.weight, alpha=alpha)
        wrap = QuantLinear(mod, qw) if isinstance(mod, nn.Linear) else QuantConv2d(mod, qw)
        _set_module(model, name, wrap)
        wrappers[name] = wrap
    return wrappers


def quantized_modules(model: nn.Module) -> dict[str, QuantLinear | QuantConv2d]:
    """The quantised wrappers in ``model`` by module name."""
    return {n: m for n, m in model.named_modules() if isinstance(m, QuantLinear | QuantConv2d)}


def optimizer_groups(model: nn.Module, lr: float, lr_mask: float,
                     weight_decay: float = 0.0) -> list[dict]:
    """Parameter groups: sign latents at ``lr_mask`` without weight decay, the rest at ``lr``."""
    latents, rest = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (latents if name.endswith("sign_latent") else rest).append(p)
    groups = [{"params": rest, "lr": lr, "weight_decay": weight_decay}]
    if latents:
        groups.append({"params": latents, "lr": lr_mask, "weight_decay": 0.0})
    return groups


def compressed_weights(model: nn.Module) -> dict[str, CompressedWeight]:
    """The current compressed state of every wrapper, by module name."""
    return {n: m.qweight.compressed() for n, m in quantized_modules(model).items()}


def export_layers(model: nn.Module) -> list[dict]:
    """Trace layer dicts (for :func:`workloads.trace.write_trace`) of every wrapper, model order.

    Layer names are the module names (the weight key minus ``.weight``).
    """
    layers = []
    for name, mod in quantized_modules(model).items():
        layers.append(mod.qweight.compressed().trace_layer(name, mod.op, **mod.gemm()))
    return layers


def sign_latents(model: nn.Module) -> list[QuantWeight]:
    """The SSVQ :class:`QuantWeight` modules (what :class:`SignFreezer` tracks)."""
    return [m.qweight for m in quantized_modules(model).values() if m.qweight.scheme == "ssvq"]


def batch_order(n: int, steps: int, batch: int, seed: int) -> list[torch.Tensor]:
    """A fixed sequence of ``steps`` mini-batch index tensors over ``n`` samples (epochs
    reshuffled), so that every method compared is fine-tuned on the same batches."""
    g = torch.Generator().manual_seed(seed)
    out, perm = [], torch.randperm(n, generator=g)
    while len(out) < steps:
        if len(perm) < batch:
            perm = torch.randperm(n, generator=g)
        out.append(perm[:batch])
        perm = perm[batch:]
    return out


def finetune_step(loss: torch.Tensor, opt, sched, freezer=None) -> None:
    """One fine-tuning step: backward, optimizer and schedule step, then progressive sign
    freezing (when a :class:`quant.freezing.SignFreezer` is given)."""
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()
    if freezer is not None:
        freezer.step()
