"""Progressive freezing of oscillating SSVQ signs.

After every optimiser step each live sign's oscillation measure, an exponential moving average of
its sign *changes* (``f ← (1−m)·f + m·[sign(L) differs from the previous step's]``, ``m`` = 0.01),
is updated. Every ``every`` steps, live signs whose change frequency exceeds the threshold ``θ_t``
are frozen at their **current** latent sign, so a flip the optimiser has learned is kept (an
average of past signs would lag: with m = 0.01 it takes 69 steps to cross ½ after a flip, and a
sign frozen sooner would be frozen at its old value). ``θ_t`` decays on a cosine from ``theta``
to ``theta_final`` over ``total_steps``. ``theta`` is given in **percent** change frequency, our
reading of Table 14's θ ∈ {1, 4, 6, …} (a sign that changes once registers 1 % with m = 0.01).
A frozen sign's latent gets no gradient and is pinned at its value when frozen (Adam's momentum
would otherwise keep moving it, possibly across zero).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch

from quant.qmodules import QuantWeight


class SignFreezer:
    """Tracks sign flips of SSVQ weights and freezes oscillating ones on a schedule."""

    def __init__(self, weights: Iterable[QuantWeight], total_steps: int, every: int = 500,
                 theta: float = 4.0, theta_final: float = 0.0, momentum: float = 0.01) -> None:
        self.weights = [w for w in weights if w.scheme == "ssvq"]
        if total_steps < 1 or every < 1:
            raise ValueError("total_steps and every must be >= 1")
        if not 0 < momentum <= 1:
            raise ValueError(f"momentum must lie in (0, 1], got {momentum}")
        self.total_steps, self.every = total_steps, every
        self.theta, self.theta_final, self.momentum = theta, theta_final, momentum
        self.t = 0

    def threshold(self, t: int | None = None) -> float:
        """Flip-frequency threshold (a fraction, not percent) at step ``t``."""
        t = self.t if t is None else t
        frac = min(max(t / self.total_steps, 0.0), 1.0)
        span = self.theta - self.theta_final
        pct = self.theta_final + 0.5 * span * (1 + math.cos(math.pi * frac))
        return pct / 100.0

    @torch.no_grad()
    def step(self) -> int:
        """Call after each optimiser step; returns how many signs were frozen at this step."""
        self.t += 1
        m = self.momentum
        for w in self.weights:
            # a frozen latent gets no gradient, but Adam's momentum would still move it: pin it
            w.sign_latent.copy_(torch.where(w.frozen, w.frozen_latent, w.sign_latent))
            neg = w.sign_latent < 0
            live = ~w.frozen
            flipped = (neg != w.prev_negative) & live
            w.flip_ema.mul_(1 - m).add_(flipped.float(), alpha=m)
            w.prev_negative.copy_(torch.where(live, neg, w.prev_negative))
        if self.t % self.every:
            return 0
        return self.freeze(self.threshold())

    @torch.no_grad()
    def freeze(self, threshold: float) -> int:
        """Freeze every live sign whose change frequency exceeds ``threshold`` at its current
        latent sign; count them."""
        count = 0
        for w in self.weights:
            new = ~w.frozen & (w.flip_ema > threshold)
            w.frozen_negative.copy_(torch.where(new, w.sign_latent < 0, w.frozen_negative))
            w.frozen_latent.copy_(torch.where(new, w.sign_latent, w.frozen_latent))
            w.frozen |= new
            count += int(new.sum())
        return count

    def frozen_against_latent(self) -> float:
        """Share of all SSVQ signs frozen opposite to their latent's sign (0: frozen latents are
        pinned at :meth:`step`, so only a latent changed by hand since the last step counts)."""
        total = sum(w.frozen.numel() for w in self.weights)
        bad = sum(int((w.frozen & (w.frozen_negative != (w.sign_latent < 0))).sum())
                  for w in self.weights)
        return bad / max(total, 1)

    def frozen_fraction(self) -> float:
        """Share of all SSVQ signs that are frozen."""
        total = sum(w.frozen.numel() for w in self.weights)
        return sum(int(w.frozen.sum()) for w in self.weights) / max(total, 1)
