"""Seeded, vectorised (optionally element-weighted) k-means on CPU with k-means++ initialisation.

With element weights ``h`` (``[n, d]``, e.g. a diagonal Fisher estimate, or a 0/1 padding mask)
the objective is ``Σ_i Σ_j h_ij (x_ij − c_{a(i), j})²`` (supplementary §11, eq. 12); without them it
is plain squared Euclidean distance. Distances are computed in chunks with matrix products so
memory stays at about ``CHUNK_ELEMS`` floats.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

CHUNK_ELEMS = 1 << 20  # distance-matrix entries per chunk: keeps the [rows, k] block cache-sized
INIT_SAMPLE = 1 << 15  # k-means++ seeds from at most this many points


@dataclass
class KMeansResult:
    """Codebook ``[k, d]``, assignments ``[n]`` (int64), final objective and iterations run."""

    codebook: torch.Tensor
    assignments: torch.Tensor
    inertia: float
    iterations: int


def _distances(x: torch.Tensor, c: torch.Tensor, h: torch.Tensor | None) -> torch.Tensor:
    """(Weighted) squared distances ``[n, k]`` up to a per-row constant (argmin-equivalent)."""
    if h is None:
        return torch.addmm((c * c).sum(1), x, c.T, alpha=-2.0)
    # Σ_j h_j c_j² − 2 Σ_j h_j x_j c_j as one product: [h, h⊙x] @ [c², c]ᵀ with weights (1, −2)
    return torch.cat([h, -2.0 * h * x], 1) @ torch.cat([c * c, c], 1).T


def assign(x: torch.Tensor, c: torch.Tensor, h: torch.Tensor | None = None
           ) -> tuple[torch.Tensor, torch.Tensor]:
    """Nearest codeword of every row and its (weighted) squared distance."""
    idx = torch.empty(x.shape[0], dtype=torch.long)
    dist = torch.empty(x.shape[0], dtype=x.dtype)
    rows = max(1024, CHUNK_ELEMS // c.shape[0])
    for s in range(0, x.shape[0], rows):
        xs = x[s:s + rows]
        hs = None if h is None else h[s:s + rows]
        const = (xs * xs).sum(1) if hs is None else (hs * xs * xs).sum(1)
        best, arg = _distances(xs, c, hs).min(1)
        idx[s:s + rows] = arg
        dist[s:s + rows] = (best + const).clamp_min(0)
    return idx, dist


def kmeans_pp(x: torch.Tensor, k: int, gen: torch.Generator, h: torch.Tensor | None = None
              ) -> torch.Tensor:
    """k-means++ seeding (D² sampling) on a random subsample of at most ``INIT_SAMPLE`` rows."""
    n = x.shape[0]
    if n > INIT_SAMPLE:
        pick = torch.randperm(n, generator=gen)[:INIT_SAMPLE]
        x = x[pick]
        h = None if h is None else h[pick]
        n = INIT_SAMPLE
    centers = torch.empty(k, x.shape[1], dtype=x.dtype)
    first = int(torch.randint(n, (1,), generator=gen))
    centers[0] = x[first]
    _, d2 = assign(x, centers[:1], h)
    for j in range(1, k):
        total = d2.sum()
        if total <= 0:  # fewer distinct points than k: duplicate (they get reseeded or stay empty)
            centers[j:] = x[torch.randint(n, (k - j,), generator=gen)]
            break
        u = torch.rand(1, generator=gen, dtype=torch.float64) * float(total)
        nxt = min(int(torch.searchsorted(torch.cumsum(d2, 0, dtype=torch.float64), u)), n - 1)
        centers[j] = x[nxt]
        _, dj = assign(x, centers[j:j + 1], h)
        d2 = torch.minimum(d2, dj)
    return centers


def _update(x, a, k, h, old):
    """Centroid step: (weighted) mean per cluster; clusters without mass keep ``old``."""
    d = x.shape[1]
    w = torch.ones_like(x) if h is None else h
    num = torch.zeros(k, d, dtype=x.dtype).index_add_(0, a, w * x)
    den = torch.zeros(k, d, dtype=x.dtype).index_add_(0, a, w)
    return torch.where(den > 0, num / den.clamp_min(1e-30), old), den.sum(1)


def kmeans(x: torch.Tensor, k: int, *, weights: torch.Tensor | None = None, iters: int = 25,
           tol: float = 1e-5, seed: int = 0, init: torch.Tensor | None = None,
           max_points_per_centroid: int | None = 256) -> KMeansResult:
    """Cluster the rows of ``x`` ``[n, d]`` into ``k`` codewords (Lloyd's algorithm).

    ``weights``: optional non-negative element weights ``[n, d]``. Stops after ``iters``
    iterations or when the objective improves by less than ``tol`` (relative). Empty clusters are
    reseeded at the points with the largest error. Like faiss, the Lloyd iterations run on a seeded
    random sample of at most ``max_points_per_centroid · k`` rows (None = all rows); the final
    assignment and the reported inertia always cover every row. Deterministic for a given ``seed``.
    """
    if x.dim() != 2 or x.shape[0] == 0:
        raise ValueError(f"kmeans expects a non-empty [n, d] tensor, got {tuple(x.shape)}")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    x = x.detach().to(torch.float32).contiguous()
    h = None if weights is None else weights.detach().to(torch.float32).contiguous()
    if h is not None and h.shape != x.shape:
        raise ValueError(f"weights must match x {tuple(x.shape)}, got {tuple(h.shape)}")
    gen = torch.Generator().manual_seed(seed)
    full_x, full_h = x, h
    if max_points_per_centroid is not None and x.shape[0] > max_points_per_centroid * k:
        pick = torch.randperm(x.shape[0], generator=gen)[:max_points_per_centroid * k]
        x, h = x[pick], None if h is None else h[pick]
    c = kmeans_pp(x, k, gen, h) if init is None else init.detach().to(torch.float32).clone()
    prev = float("inf")
    it = 0
    while it < iters:
        it += 1
        a, dist = assign(x, c, h)
        c, mass = _update(x, a, k, h, c)
        empty = torch.nonzero(mass == 0).flatten()
        if len(empty):
            worst = torch.topk(dist, min(len(empty), x.shape[0])).indices
            c[empty[:len(worst)]] = x[worst]
        inertia = float(dist.sum())
        if len(empty) == 0 and prev < float("inf") and prev - inertia <= tol * prev:
            break
        prev = inertia
    a, dist = assign(full_x, c, full_h)
    return KMeansResult(codebook=c, assignments=a, inertia=float(dist.sum()), iterations=it)
