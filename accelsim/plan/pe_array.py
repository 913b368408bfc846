"""Closed-form systolic-array timing, identical to SCALE-Sim's fold model.

A GEMM of ``M × K × N`` maps onto an ``R × C`` array as (Sr, Sc, T) = spatial rows, spatial
columns and temporal length:

====== ============ ============ ======
flow   Sr           Sc           T
====== ============ ============ ======
ws     K            N            M
os     M            N            K
is     K            M            N
====== ============ ============ ======

There are ``ceil(Sr/R) · ceil(Sc/C)`` folds, partial folds included at full cost. A fold takes
``2R + C + T − 2`` cycles for ws and is (preload the stationary operand, stream T operands,
drain) and ``R + C + T − 2`` for os (both operands stream in skewed; nothing is preloaded).

These are SCALE-Sim 3.0's counts; its printed "Compute cycles" is one less (the index of the
last cycle): ``benchmarks/scalesim_crosscheck.py`` compares the two on ws/os/is GEMMs.
"""

from __future__ import annotations

import numpy as np

DATAFLOWS = ("ws", "os", "is")


def spatial_temporal(dataflow: str, M, K, N):
    """(Sr, Sc, T) for a dataflow; works on scalars or numpy arrays."""
    if dataflow == "ws":
        return K, N, M
    if dataflow == "os":
        return M, N, K
    if dataflow == "is":
        return K, M, N
    raise ValueError(f"unknown dataflow {dataflow!r}; expected one of {DATAFLOWS}")


def folds(dataflow: str, rows: int, cols: int, M, K, N):
    """Number of array folds (row folds × column folds)."""
    sr, sc, _ = spatial_temporal(dataflow, M, K, N)
    return -(-np.asarray(sr) // rows) * -(-np.asarray(sc) // cols)


def compute_cycles(dataflow: str, rows: int, cols: int, M, K, N):
    """SCALE-Sim compute cycles of one ``M × K × N`` GEMM (scalar or element-wise on arrays)."""
    _, _, t = spatial_temporal(dataflow, M, K, N)
    preload = 0 if dataflow == "os" else rows
    cycles = folds(dataflow, rows, cols, M, K, N) * (preload + rows + cols + np.asarray(t) - 2)
    return int(cycles) if np.ndim(cycles) == 0 else cycles


def utilization(dataflow: str, rows: int, cols: int, M: int, K: int, N: int) -> float:
    """MACs done / (cycles × array size): the fraction of PE-cycles doing useful work."""
    return M * K * N / (compute_cycles(dataflow, rows, cols, M, K, N) * rows * cols)
