"""Trainable compressed weights and the ``nn.Linear`` / ``nn.Conv2d`` wrappers that use them.

* VQ: ``Ŵ = C[A]`` with a trainable codebook ``C`` and fixed assignments ``A``.
* SSVQ: ``Ŵ = C[A] ⊙ S`` with ``S = sign(L)`` of a real-valued latent ``L`` (init ``α·W``) and a
  straight-through estimator (``∂S/∂L := 1``, so ``∂/∂L = ∂/∂Ŵ ⊙ C[A]``); frozen signs
  (see :mod:`quant.freezing`) use their stored value and receive no gradient.
* INT8: per-channel symmetric fake quantisation of a trainable latent weight (STE).

:meth:`QuantWeight.compressed` turns the current state into a :class:`quant.codec.CompressedWeight`
for export; an SSVQ codebook entry that went negative while training is stored as its magnitude
with the affected weights' signs flipped, which reconstructs the same ``Ŵ``.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from quant.codec import CompressedWeight, store_codebook
from quant.int8 import quantize_int8
from quant.vectors import as_matrix, from_vectors


class QuantWeight(nn.Module):
    """The compressed, trainable ``[out, in]`` weight matrix of one layer."""

    def __init__(self, cw: CompressedWeight, weight: torch.Tensor, alpha: float = 1.0) -> None:
        super().__init__()
        self.scheme, self.shape, self.d, self.k = cw.scheme, cw.shape, cw.d, cw.k
        self.codebook_dtype = cw.codebook_dtype
        w = as_matrix(weight.detach().float())
        if self.scheme in ("vq", "ssvq"):
            self.codebook = nn.Parameter(torch.from_numpy(cw.codebook.copy()))
            self.register_buffer("assignments", torch.from_numpy(cw.indices.copy()))
        elif self.scheme == "int8":
            self.latent = nn.Parameter(w.clone())
        else:
            raise ValueError(f"fine-tuning supports vq, ssvq and int8, not {self.scheme!r}")
        if self.scheme == "ssvq":
            neg = torch.from_numpy(cw.signs.reshape(self.shape).copy())
            # latent = α·W, with its sign forced to the stored sign (zeros become +0)
            mag = alpha * w.abs()
            self.sign_latent = nn.Parameter(torch.where(neg, -mag, mag))
            self.register_buffer("frozen", torch.zeros(self.shape, dtype=torch.bool))
            self.register_buffer("frozen_negative", torch.zeros(self.shape, dtype=torch.bool))
            self.register_buffer("frozen_latent", torch.zeros(self.shape))
            self.register_buffer("flip_ema", torch.zeros(self.shape))
            self.register_buffer("prev_negative", neg.clone())

    def negative(self) -> torch.Tensor:
        """Current effective sign bits (True = negative), frozen ones included."""
        live = self.sign_latent.detach() < 0
        return torch.where(self.frozen, self.frozen_negative, live)

    def sign_tensor(self) -> torch.Tensor:
        """±1 signs with a straight-through gradient to the latents (none for frozen signs)."""
        lat = self.sign_latent
        hard = torch.where(lat < 0, -1.0, 1.0)
        ste = hard + (lat - lat.detach())
        fixed = torch.where(self.frozen_negative, -1.0, 1.0)
        return torch.where(self.frozen, fixed, ste)

    def forward(self) -> torch.Tensor:
        """The dequantised weight ``Ŵ [out, in]`` (differentiable)."""
        if self.scheme == "int8":
            amax = self.latent.detach().abs().amax(1, keepdim=True)
            scale = torch.where(amax > 0, amax / 127.0, torch.ones_like(amax))
            q = torch.clamp(torch.round(self.latent / scale), -127, 127) * scale
            return self.latent + (q - self.latent).detach()
        # embedding lookup = codebook[assignments]; its backward (a segment sum per codeword)
        # is about twice as fast on CPU as advanced indexing's
        w = from_vectors(F.embedding(self.assignments, self.codebook), self.shape)
        return w * self.sign_tensor() if self.scheme == "ssvq" else w

    @torch.no_grad()
    def compressed(self) -> CompressedWeight:
        """The current state as a storable :class:`CompressedWeight`."""
        if self.scheme == "int8":
            q, scale = quantize_int8(self.latent.numpy())
            return CompressedWeight("int8", self.shape, q=q, scale=scale)
        c = self.codebook.detach().clone()
        idx = self.assignments
        signs = None
        if self.scheme == "ssvq":
            neg = self.negative()
            # per element of each weight: is its codeword entry negative?
            flip = from_vectors((c < 0)[idx], self.shape)
            signs = (neg ^ flip).flatten().numpy()
            c = c.abs()
        exact, cq, cscale = store_codebook(c, self.codebook_dtype)
        return CompressedWeight(self.scheme, self.shape, k=self.k, d=self.d,
                                codebook_dtype=self.codebook_dtype, codebook=exact.numpy(),
                                codebook_q=cq, codebook_scale=cscale,
                                indices=idx.numpy().astype(np.int64), signs=signs)


class QuantLinear(nn.Module):
    """``nn.Linear`` whose weight is a :class:`QuantWeight`; the bias stays fp32 and trainable."""

    op = "linear"

    def __init__(self, base: nn.Linear, qweight: QuantWeight) -> None:
        super().__init__()
        self.in_features, self.out_features = base.in_features, base.out_features
        self.qweight = qweight
        self.bias = None if base.bias is None else nn.Parameter(base.bias.detach().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.qweight(), self.bias)

    def gemm(self) -> dict:
        """K, N, groups of the canonical GEMM view."""
        return {"K": self.in_features, "N": self.out_features, "groups": 1}


class QuantConv2d(nn.Module):
    """``nn.Conv2d`` whose weight (viewed ``[K, C/g·R·S]``) is a :class:`QuantWeight`."""

    op = "conv"

    def __init__(self, base: nn.Conv2d, qweight: QuantWeight) -> None:
        super().__init__()
        self.weight_shape4 = tuple(base.weight.shape)
        self.stride, self.padding = base.stride, base.padding
        self.dilation, self.groups = base.dilation, base.groups
        if base.padding_mode != "zeros":
            raise ValueError(f"only zero padding is supported, got {base.padding_mode!r}")
        self.qweight = qweight
        self.bias = None if base.bias is None else nn.Parameter(base.bias.detach().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.qweight().reshape(self.weight_shape4)
        return F.conv2d(x, w, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def gemm(self) -> dict:
        out, cin_g, r, s = self.weight_shape4
        return {"K": cin_g * r * s, "N": out // self.groups, "groups": self.groups}
