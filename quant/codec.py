"""Compress one weight matrix with INT8, FP16, VQ or SSVQ and describe it as a trace layer.

VQ clusters the signed d-vectors of ``W[out, in]``; SSVQ stores every weight's sign bit and
clusters the magnitudes ``|W|`` into a non-negative codebook, ``Ŵ = C[A] ⊙ S``.
The stored codebook is rounded to its storage dtype (fp16, or int8 with one fp16 scale) and the
assignments are recomputed against the rounded codebook, so :meth:`CompressedWeight.dequantize`
equals what a trace reader reconstructs, bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from quant.int8 import dequantize_int8, quantize_int8
from quant.kmeans import assign, kmeans
from quant.vectors import as_matrix, pad_mask, to_vectors
from workloads.trace import SCHEMES, stream_bytes


@dataclass
class CompressedWeight:
    """One compressed ``[out, in]`` weight matrix (numpy arrays, ready for a trace)."""

    scheme: str
    shape: tuple[int, int]
    k: int | None = None
    d: int | None = None
    codebook_dtype: str = "fp16"
    codebook: np.ndarray | None = None  # [k, d] float32 (exact stored values)
    codebook_q: np.ndarray | None = None  # int8 codebook when codebook_dtype == "int8"
    codebook_scale: float = 1.0
    indices: np.ndarray | None = None  # [n_vec] int64
    signs: np.ndarray | None = None  # [out*in] bool, True = negative
    q: np.ndarray | None = None
    scale: np.ndarray | None = None
    stats: dict = field(default_factory=dict)

    def dequantize(self) -> np.ndarray:
        """The reconstructed ``[out, in]`` float32 matrix."""
        if self.scheme == "int8":
            return dequantize_int8(self.q, self.scale)
        if self.scheme == "fp16":
            return self.q.astype(np.float32)
        out, inp = self.shape
        w = self.codebook[self.indices].reshape(out, -1)[:, :inp]
        if self.scheme == "ssvq":
            w = np.where(self.signs.reshape(out, inp), -w, w)
        return np.ascontiguousarray(w, dtype=np.float32)

    @property
    def stream_bytes(self) -> dict[str, int]:
        return stream_bytes(self.shape, self.scheme, self.k, self.d, self.codebook_dtype)

    @property
    def bits_per_weight(self) -> float:
        """All stored bits (indices, signs, codebook, scales) per weight."""
        return 8 * sum(self.stream_bytes.values()) / (self.shape[0] * self.shape[1])

    def trace_layer(self, name: str, op: str = "linear", **extra) -> dict:
        """The layer dict :func:`workloads.trace.write_trace` takes (``extra``: K, N, groups…)."""
        lay = {"name": name, "op": op, "weight_shape": self.shape, **extra}
        lay.setdefault("meta", {}).update(self.stats)
        if self.scheme == "int8":
            lay.update(q=self.q, scale=self.scale)
        elif self.scheme == "fp16":
            lay.update(weights=self.q)
        else:
            lay.update(k=self.k, d=self.d, codebook_dtype=self.codebook_dtype,
                       indices=self.indices)
            if self.codebook_dtype == "int8":
                lay.update(codebook=self.codebook_q, codebook_scale=self.codebook_scale)
            else:
                lay.update(codebook=self.codebook.astype(np.float16))
            if self.scheme == "ssvq":
                lay["signs"] = self.signs
        return lay


def store_codebook(c: torch.Tensor, dtype: str) -> tuple[torch.Tensor, np.ndarray | None, float]:
    """Round a codebook to its storage dtype → (exact float values, int8 values, int8 scale)."""
    if dtype == "fp16":
        return c.half().float(), None, 1.0
    amax = float(c.abs().max())
    scale = float(np.float16(amax / 127.0)) if amax > 0 else 1.0
    cq = torch.clamp(torch.round(c / scale), -127, 127).to(torch.int8)
    return cq.float() * scale, cq.numpy(), scale


def compress_weight(weight, scheme: str, k: int | None = None, d: int | None = None, *,
                    codebook_dtype: str = "fp16", fisher=None, seed: int = 0,
                    iters: int = 25) -> CompressedWeight:
    """Compress a Linear/Conv weight (torch or numpy; conv viewed as ``[K, C·R·S]``).

    ``fisher``: optional per-weight importance (same shape as ``weight``) for Hessian-weighted
    k-means (supplementary §11). ``seed`` makes the k-means initialisation reproducible.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    w = as_matrix(torch.as_tensor(np.asarray(weight) if not torch.is_tensor(weight) else weight)
                  .detach().to(torch.float32))
    shape = (int(w.shape[0]), int(w.shape[1]))
    if scheme == "int8":
        q, scale = quantize_int8(w.numpy())
        cw = CompressedWeight("int8", shape, q=q, scale=scale)
    elif scheme == "fp16":
        cw = CompressedWeight("fp16", shape, q=w.half().numpy())
    else:
        stream_bytes(shape, scheme, k, d, codebook_dtype)  # validates k, d, dtype
        cw = _compress_vq(w, scheme, k, d, codebook_dtype, fisher, seed, iters)
    ref = w.numpy()
    err = cw.dequantize() - ref
    cw.stats.update(rel_err=float(np.linalg.norm(err) / max(np.linalg.norm(ref), 1e-30)),
                    bits_per_weight=cw.bits_per_weight)
    return cw


def _compress_vq(w, scheme, k, d, codebook_dtype, fisher, seed, iters) -> CompressedWeight:
    shape = tuple(w.shape)
    signs = (w < 0) if scheme == "ssvq" else None
    x = to_vectors(w.abs() if scheme == "ssvq" else w, d)
    h = pad_mask(shape, d)
    if fisher is not None:
        f = as_matrix(torch.as_tensor(np.asarray(fisher) if not torch.is_tensor(fisher)
                                      else fisher).detach().float())
        if tuple(f.shape) != shape:
            raise ValueError(f"fisher must have the weight's shape {shape}, got {tuple(f.shape)}")
        h = to_vectors(f.clamp_min(0) + 1e-12 * float(f.abs().mean() + 1e-30), d)
        if shape[1] % d:
            h = h * pad_mask(shape, d)
    res = kmeans(x, k, weights=h, iters=iters, seed=seed)
    c = res.codebook.clamp_min(0) if scheme == "ssvq" else res.codebook
    exact, cq, cscale = store_codebook(c, codebook_dtype)
    idx, _ = assign(x, exact, h)
    return CompressedWeight(
        scheme, shape, k=k, d=d, codebook_dtype=codebook_dtype, codebook=exact.numpy(),
        codebook_q=cq, codebook_scale=cscale, indices=idx.numpy().astype(np.int64),
        signs=None if signs is None else signs.flatten().numpy(),
        stats={"kmeans_iters": res.iterations})


def reconstruct(cw: CompressedWeight) -> torch.Tensor:
    """:meth:`CompressedWeight.dequantize` as a torch tensor."""
    return torch.from_numpy(cw.dequantize())

