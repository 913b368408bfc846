"""Every DRAM address decision: where each layer's weights, activations, partial sums and
codebook live, as a compiler would lay them out.

* **Weights**: layers one after the other from address 0; within a layer, each unique weight
  tile's streams (index, sign, … or INT8 weights + scales) are stored back to back, and tiles
  start on ``TILE_ALIGN`` (64 KiB) boundaries (one request fetches a whole tile).
* **Activations**: two ping-pong regions at ``ACT_BASE``; layer ``i`` reads region ``i mod 2``
  and writes region ``(i + 1) mod 2``. Input tiles are read at 64 KiB-aligned offsets in step
  order; output tiles are written back to back.
* **Partial sums**: spills are written back to back from ``PSUM_BASE``; read-backs read from
  ``PSUM_BASE``.
* **Codebooks**: layer ``i`` at ``CODEBOOK_BASE + i · 16 MiB``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TILE_ALIGN = 1 << 16
"""Tiles start on 64 KiB boundaries in DRAM, as a compiler lays out tiled tensors (DRAM pages)."""
ACT_BASE = 1 << 40
ACT_REGION = 1 << 36
PSUM_BASE = 1 << 41
CODEBOOK_BASE = 1 << 42
CODEBOOK_STRIDE = 1 << 24


@dataclass(frozen=True)
class Placement:
    """DRAM addresses of one layer's requests."""

    w_tile_addr: np.ndarray
    """Address of each unique weight tile (indexed by the schedule's ``w_tile``)."""
    i_addr: np.ndarray
    """Per step: the address its input tile is read from (when it fetches one)."""
    o_addr: np.ndarray
    """Per step: the address its output tile or partial-sum spill is written to (when it ends one)."""
    psum_read_addr: int
    codebook_addr: int


def _aligned(nbytes: np.ndarray) -> np.ndarray:
    return -(-nbytes // TILE_ALIGN) * TILE_ALIGN


def _exclusive_cumsum(x: np.ndarray) -> np.ndarray:
    return np.concatenate(([0], np.cumsum(x)[:-1])).astype(np.int64)


def place_layer(index: int, schedule, w_base: int) -> Placement:
    """Addresses of layer ``index`` whose weights start at ``w_base``."""
    sch = schedule
    tile_bytes = sum(sch.w_bytes.values())
    w_tile_addr = w_base + _exclusive_cumsum(_aligned(np.asarray(tile_bytes, dtype=np.int64)))
    i_step = np.where(sch.new_i, _aligned(sch.i_bytes.astype(np.int64)), 0)
    i_addr = ACT_BASE + (index % 2) * ACT_REGION + _exclusive_cumsum(i_step)
    out_base = ACT_BASE + ((index + 1) % 2) * ACT_REGION
    o_bytes = sch.o_bytes.astype(np.int64)
    final = sch.out_end & sch.o_final
    spill = sch.out_end & ~sch.o_final
    o_addr = np.where(final, out_base + _exclusive_cumsum(np.where(final, o_bytes, 0)),
                      PSUM_BASE + _exclusive_cumsum(np.where(spill, o_bytes, 0)))
    return Placement(w_tile_addr, i_addr, o_addr, PSUM_BASE,
                     CODEBOOK_BASE + index * CODEBOOK_STRIDE)


def next_weight_base(w_base: int, schedule, fmt) -> int:
    """Where the next layer's weights start."""
    return w_base + (schedule.steps + 1) * TILE_ALIGN + sum(fmt.streams.values())
