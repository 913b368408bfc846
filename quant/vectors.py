"""Weight matrix ↔ d-dimensional vectors: rows of ``W[out, in]`` cut into d-vectors.

Conv weights ``[K, C/g, R, S]`` are viewed as ``[K, C/g·R·S]`` (torch order). When ``in % d != 0``
the last vector of every row is zero-padded; :func:`pad_mask` marks the real entries.
"""

from __future__ import annotations

import math

import torch


def as_matrix(weight: torch.Tensor) -> torch.Tensor:
    """The 2-D ``[out, in]`` view of a Linear or Conv weight."""
    if weight.dim() < 2:
        raise ValueError(f"expected a weight with >= 2 dims, got shape {tuple(weight.shape)}")
    return weight.reshape(weight.shape[0], -1)


def vectors_per_row(in_features: int, d: int) -> int:
    return math.ceil(in_features / d)


def to_vectors(matrix: torch.Tensor, d: int) -> torch.Tensor:
    """``[out, in]`` → ``[out·ceil(in/d), d]`` in vector order, last vector of a row zero-padded."""
    out, inp = matrix.shape
    pad = vectors_per_row(inp, d) * d - inp
    if pad:
        matrix = torch.nn.functional.pad(matrix, (0, pad))
    return matrix.reshape(-1, d)


def from_vectors(vectors: torch.Tensor, shape: tuple[int, int]) -> torch.Tensor:
    """Inverse of :func:`to_vectors`: drop the padding, back to ``[out, in]``."""
    out, inp = shape
    return vectors.reshape(out, -1)[:, :inp]


def pad_mask(shape: tuple[int, int], d: int) -> torch.Tensor | None:
    """``[n_vec, d]`` float mask (1 = real weight, 0 = padding), or None when nothing is padded."""
    out, inp = shape
    if inp % d == 0:
        return None
    return to_vectors(torch.ones(out, inp), d)
