"""Tile steps of one mapped layer: the loop nest unrolled into per-step numpy arrays.

Each step is one ``Gt × Mt × Kt × Nt`` tile computed on the PE array. For every step the
schedule says whether a new weight tile or input tile must be fetched (and how many bytes of
each weight stream), whether an output tile starts (needs an output-buffer slot) or finishes
(final write, or a partial-sum spill when the K loop is not innermost), and its compute cycles.

Stream bytes are integers: a stream's exact total (e.g. a trace's packed index bytes) is split
over the unique tiles in proportion to their elements (largest remainder), and a tile fetched
again costs its bytes again. With every tile fetched once, the fetched bytes equal the total.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from accelsim.errors import ConfigError
from accelsim.plan.mapping import PSUM_BYTES, Mapping
from accelsim.plan.pe_array import compute_cycles, folds, spatial_temporal

MAX_STEPS = 1 << 20
"""Tile steps of one layer (each is a few events in the engine and ~100 bytes of schedule)."""


@dataclass
class Schedule:
    """Per-step arrays (length ``steps``) for one layer."""

    compute: np.ndarray
    folds: np.ndarray
    """Array folds per step: operands stream in fold by fold, so a step may start once its
    first fold's first row is on chip and ends no earlier than its last data + the folds (or
    the fold's drain) still to run after it (``engine/pe_array.fold_tails``)."""
    new_w: np.ndarray
    w_tile: np.ndarray
    """Unique weight-tile id per step (for stream byte lookups and decoder work)."""
    w_elems: np.ndarray
    """Weight elements decoded/streamed per unique weight tile (indexed by w_tile)."""
    w_bytes: dict[str, np.ndarray]
    """Per weight stream, bytes of each unique weight tile (indexed by w_tile)."""
    new_i: np.ndarray
    i_bytes: np.ndarray
    out_start: np.ndarray
    psum_read: np.ndarray
    out_end: np.ndarray
    o_bytes: np.ndarray
    o_final: np.ndarray
    fold_grid: np.ndarray | None = None
    """Per step, (row folds, column folds) of one group (shape ``(steps, 2)``): folds walk the
    row blocks outermost, so an operand indexed by row block alone is reused across the column
    folds. None for steps without MACs."""
    _lists: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def steps(self) -> int:
        return len(self.compute)

    def column(self, name: str) -> list:
        """The per-step array ``name`` as a Python list (made once: the engine walks it step by
        step, and identical layers share one schedule). Schedules are not changed after they
        are built."""
        col = self._lists.get(name)
        if col is None:
            col = self._lists[name] = getattr(self, name).tolist()
        return col


def split_bytes(total: int, weights: np.ndarray) -> np.ndarray:
    """Integer split of ``total`` proportional to ``weights`` (largest remainder), summing exactly."""
    weights = np.asarray(weights, dtype=np.float64)
    if total == 0 or weights.sum() == 0:
        return np.zeros(len(weights), dtype=np.int64)
    exact = weights / weights.sum() * total
    base = np.floor(exact).astype(np.int64)
    short = int(total - base.sum())
    if short:
        base[np.argsort(-(exact - base), kind="stable")[:short]] += 1
    return base


def _sizes(idx: np.ndarray, tile: int, total: int) -> np.ndarray:
    return np.minimum(tile, total - idx * tile)


def build_schedule(layer, mp: Mapping, dataflow: str, rows: int, cols: int,
                   w_stream_totals: dict[str, int], in_bytes: float, out_bytes: float) -> Schedule:
    """Unroll ``mp``'s loop nest over ``layer`` into a :class:`Schedule`."""
    tg, tm, tk, tn = mp.tiles
    if tg * tm * tk * tn > MAX_STEPS:
        raise ConfigError(f"layer {layer.name!r}: too large: {tg * tm * tk * tn:,} tile steps "
                          f"(limit {MAX_STEPS:,}); use larger SRAM buffers or a smaller layer")
    trips = {"m": tm, "k": tk, "n": tn}
    shape = (tg, *(trips[d] for d in mp.order))
    grid = np.indices(shape).reshape(len(shape), -1)
    g = grid[0]
    idx = {d: grid[1 + mp.order.index(d)] for d in "mkn"}
    gs = _sizes(g, mp.Gt, layer.groups)
    ms, ks, ns = (_sizes(idx[d], t, getattr(layer, d.upper())) for d, t in
                  (("m", mp.Mt), ("k", mp.Kt), ("n", mp.Nt)))
    compute = gs * compute_cycles(dataflow, rows, cols, ms, ks, ns)
    nfolds = gs * folds(dataflow, rows, cols, ms, ks, ns)
    sr, sc, _ = spatial_temporal(dataflow, ms, ks, ns)
    fold_grid = np.stack([-(-sr // rows), -(-sc // cols)], axis=1)

    def changes(key: np.ndarray) -> np.ndarray:
        return np.concatenate(([True], key[1:] != key[:-1]))

    w_key = (g * tk + idx["k"]) * tn + idx["n"]
    i_key = (g * tm + idx["m"]) * tk + idx["k"]
    o_key = (g * tm + idx["m"]) * tn + idx["n"]
    new_w, new_i = changes(w_key), changes(i_key)
    out_start = changes(o_key)
    out_end = np.concatenate((out_start[1:], [True]))

    # unique weight tiles, numbered by their key, and their element counts
    n_w = tg * tk * tn
    w_elems = np.zeros(n_w, dtype=np.int64)
    w_elems[w_key] = gs * ks * ns
    w_bytes = {s: split_bytes(int(t), w_elems) for s, t in w_stream_totals.items()}

    footprint = min(1.0, layer.in_elems / (layer.groups * layer.M * layer.K))
    i_total = int(round(layer.in_elems * in_bytes))
    n_i = tg * tm * tk
    i_elems = np.zeros(n_i, dtype=np.int64)
    i_elems[i_key] = gs * ms * ks
    i_bytes = split_bytes(i_total, i_elems * footprint)[i_key]

    o_final = out_end & (idx["k"] == tk - 1)
    psum_read = out_start & (idx["k"] != 0)
    o_elems = gs * ms * ns
    o_bytes = np.where(o_final, np.round(o_elems * out_bytes), o_elems * PSUM_BYTES).astype(np.int64)
    return Schedule(
        compute=compute.astype(np.float64), folds=nfolds.astype(np.float64), new_w=new_w,
        w_tile=w_key, w_elems=w_elems,
        w_bytes=w_bytes, new_i=new_i, i_bytes=i_bytes, out_start=out_start,
        psum_read=np.where(psum_read, o_elems * PSUM_BYTES, 0), out_end=out_end,
        o_bytes=o_bytes, o_final=o_final, fold_grid=fold_grid,
    )
