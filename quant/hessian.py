"""Diagonal Fisher estimate of the Hessian for Hessian-weighted k-means (supplementary §11).

``F_ii ≈ E[(∂L/∂w_i)²]``, averaged over calibration batches (squared gradient of each batch's
loss, as SqueezeLLM does with mini-batches). Larger ``F_ii`` means the loss is more sensitive to
weight ``i``, so k-means weights its distance term more.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import nn


def diagonal_fisher(model: nn.Module, loss_fn: Callable[[nn.Module, object], torch.Tensor],
                    batches: Iterable, select: Callable[[str, nn.Module], bool] | None = None
                    ) -> dict[str, torch.Tensor]:
    """Mean squared gradient of every selected Linear/Conv2d weight, keyed by module name.

    ``loss_fn(model, batch)`` returns a scalar loss for one calibration batch.
    """
    mods = {n: m for n, m in model.named_modules()
            if isinstance(m, nn.Linear | nn.Conv2d) and (select is None or select(n, m))}
    if not mods:
        raise ValueError("diagonal_fisher: no Linear/Conv2d layer was selected")
    acc = {n: torch.zeros_like(m.weight) for n, m in mods.items()}
    was_training = model.training
    model.eval()
    count = 0
    try:
        for batch in batches:
            model.zero_grad(set_to_none=True)
            loss = loss_fn(model, batch)
            loss.backward()
            for n, m in mods.items():
                if m.weight.grad is not None:
                    acc[n] += m.weight.grad.detach() ** 2
            count += 1
    finally:
        model.zero_grad(set_to_none=True)
        model.train(was_training)
    if count == 0:
        raise ValueError("diagonal_fisher: no calibration batches")
    return {n: a / count for n, a in acc.items()}
