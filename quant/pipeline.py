"""Compress a set of weights and write them as a trace (what ``python -m quant compress`` does)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from quant import __version__
from quant.codec import compress_weight
from quant.sources import WeightSpec
from workloads.trace import write_trace


@dataclass
class CompressionRun:
    """Result of :func:`compress_specs`: trace layer dicts plus timing and error statistics."""

    layers: list[dict]
    seconds: float
    rel_err: dict[str, float] = field(default_factory=dict)

    @property
    def mean_rel_err(self) -> float:
        return float(np.mean(list(self.rel_err.values()))) if self.rel_err else 0.0


def compress_specs(specs: list[WeightSpec], scheme: str, k: int | None = None,
                   d: int | None = None, *, codebook_dtype: str = "fp16",
                   fisher: dict | None = None, seed: int = 0, iters: int = 25,
                   threads: int = 1, progress=None) -> CompressionRun:
    """Compress every spec (layer ``i`` uses k-means seed ``seed + i``) into trace layer dicts.

    ``threads``: torch intra-op threads (1 is fastest on a shared, loaded machine).
    ``progress(i, n, name)`` is called before each layer when given.
    """
    import torch

    torch.set_num_threads(max(1, threads))
    t0 = time.perf_counter()
    layers, errs = [], {}
    for i, spec in enumerate(specs):
        if progress is not None:
            progress(i, len(specs), spec.name)
        f = None if fisher is None else fisher.get(spec.name)
        cw = compress_weight(spec.weight, scheme, k, d, codebook_dtype=codebook_dtype, fisher=f,
                             seed=seed + i, iters=iters)
        errs[spec.name] = cw.stats["rel_err"]
        layers.append(cw.trace_layer(spec.name, spec.op, K=spec.K, N=spec.N, groups=spec.groups))
    return CompressionRun(layers, time.perf_counter() - t0, errs)


def write_compressed(out_dir: str | Path, model: str, scheme: str, run: CompressionRun,
                     **extra) -> Path:
    """Write a :class:`CompressionRun` as a trace; ``extra`` goes to the manifest."""
    extra = {**extra, "kmeans_seconds": round(run.seconds, 3),
             "mean_rel_err": run.mean_rel_err}
    return write_trace(out_dir, model, scheme, run.layers, creator=f"quant {__version__}",
                       extra=extra)
