"""Decoder work of a compressed layer: sign-mask decoder cycles per weight tile.

**Sign-mask decoder.** Each cycle it takes up to ``lookups_per_cycle`` consecutive indices of a
tile's index stream and reads their codewords from the banked codebook buffer (codeword ``c``
lives in bank ``c mod banks``). Indices of one group that hit the same bank serialise, so a group
costs as many cycles as its busiest bank holds lookups (× the reads a codeword needs when it is
wider than a bank). Conflicts are counted from the real index stream (a trace) or, for
synthetic uniform indices, from a fixed seeded sample of ``SAMPLE_GROUPS`` groups scaled to the
tile. Signs are applied by flipping the magnitude's sign bit (an XOR, no extra cycle);
the sign bits themselves come from DRAM with the indices. ``pipeline_depth`` cycles are added once
per tile. Decoding streams: the array can start once the first row of the first fold's weights
is decoded (in the last pass when the codebook needs several).

**Codebook buffer** (its DMA is :mod:`accelsim.engine.codebook`). A codebook larger than the
buffer is processed in ``passes = ceil(codebook / buffer)`` slices: for every weight tile each
slice is loaded again and the tile's indices are scanned once per slice, ``lookups_per_cycle``
consecutive positions a cycle (a group costs its busiest bank's lookups of that slice, at least
one cycle; no compaction of the slice's lookups across groups), so decode time and
codebook traffic grow with the number of passes (all of it counted as codebook stall where the
PE array waits for it).
"""

from __future__ import annotations

import math

import numpy as np

SAMPLE_GROUPS = 1024
"""Decoder groups drawn to time synthetic (uniform) index streams."""


def decode_cycles(indices: np.ndarray, lookups_per_cycle: int, banks: int,
                  reads_per_lookup: int = 1) -> tuple[int, int]:
    """(cycles, conflict cycles) to look up ``indices`` in order, ``lookups_per_cycle`` at a time."""
    worst = group_worst(indices, lookups_per_cycle, banks)
    cycles = int(worst.sum()) * reads_per_lookup
    return cycles, cycles - len(worst) * reads_per_lookup


def group_worst(indices: np.ndarray, lookups_per_cycle: int, banks: int) -> np.ndarray:
    """Per group of ``lookups_per_cycle`` consecutive indices: its busiest bank's lookups."""
    n = len(indices)
    groups = -(-n // lookups_per_cycle)
    gid = np.arange(n) // lookups_per_cycle
    counts = np.bincount(gid * banks + indices % banks, minlength=groups * banks)
    return counts.reshape(groups, banks).max(axis=1)


def arrival(share: float, first: float, done: float, s0: float, knee) -> float:
    """When the first ``share`` of a transfer's bytes is stored, with a refresh inside the
    transfer: ``s0`` of them at ``first``, all at ``done``, each side of the ``knee`` (share
    before the pause, its last byte, the first byte after) at an even rate."""
    frac, before, resumed = knee
    if share <= frac:
        return first + (before - first) * (share - s0) / (frac - s0) if frac > s0 else before
    return resumed + (done - resumed) * (share - frac) / (1.0 - frac)


class TileDecoder:
    """Decode work of one compressed layer, per unique weight tile (cached)."""

    def __init__(self, layer, fmt, mp, arch) -> None:
        self.layer, self.fmt, self.mp = layer, fmt, mp
        dec, cb = arch.decoder, arch.sram.codebook
        self.lookups = dec.lookups_per_cycle
        self.depth = dec.pipeline_depth
        self.banks = cb.banks
        self.entry_bytes = fmt.d * (2 if fmt.codebook_dtype == "fp16" else 1)
        self.reads = -(-self.entry_bytes * 8 // cb.width_bits)
        cap = cb.size_KiB * 1024
        self.passes = max(1, -(-fmt.codebook_bytes // int(cap)))
        self.vec_per_row = -(-layer.K // fmt.d)
        self._cache: dict[int, tuple[float, float, int]] = {}
        self._last: dict[int, np.ndarray] = {}
        """Per tile: cumulative cycles of the last pass's groups."""
        self._sample: tuple | None = None
        self._passes: dict[int, list[float]] = {}
        self._by_lookups: dict[int, tuple] = {}
        """Synthetic streams: the three per-tile entries above, by the tile's lookup count."""

    def _block(self, tile: int) -> tuple[range, range, int, int]:
        """A weight tile's groups, output rows within a group, and vector columns [c0, c1)."""
        mp, layer = self.mp, self.layer
        _, _, tk, tn = mp.tiles
        n_blk, k_blk, g_blk = tile % tn, (tile // tn) % tk, tile // (tn * tk)
        groups = range(g_blk * mp.Gt, min(layer.groups, (g_blk + 1) * mp.Gt))
        rows = range(n_blk * mp.Nt, min(layer.N, (n_blk + 1) * mp.Nt))
        c0 = k_blk * mp.Kt // self.fmt.d
        c1 = -(-min(layer.K, (k_blk + 1) * mp.Kt) // self.fmt.d)
        return groups, rows, c0, c1

    def tile_indices(self, tile: int) -> np.ndarray:
        """The index stream of one weight tile (rows = output channels, vectors along K)."""
        groups, rows, c0, c1 = self._block(tile)
        n = self.layer.N
        idx = self.fmt.indices.reshape(self.layer.groups * n, self.vec_per_row)
        sel = np.concatenate([np.arange(g * n + rows.start, g * n + rows.stop) for g in groups])
        return idx[sel, c0:c1].ravel()

    def tile_lookups(self, tile: int) -> int:
        """Number of vectors (codebook lookups) in one weight tile."""
        groups, rows, c0, c1 = self._block(tile)
        return len(groups) * len(rows) * (c1 - c0)

    def _group_costs(self, worst: np.ndarray) -> np.ndarray:
        return np.maximum(worst.astype(np.int64) * self.reads, 1)

    def _cycles(self, idx: np.ndarray) -> tuple[int, int, np.ndarray, list[int]]:
        """(cycles, conflicts, cycles of each group of the last pass, cycles of each pass) to
        decode ``idx``, in as many passes as the codebook needs."""
        if self.passes == 1:
            last = group_worst(idx, self.lookups, self.banks).astype(np.int64) * self.reads
            cycles = int(last.sum())
            return cycles, cycles - len(last) * self.reads, last, [cycles]
        # every pass scans the whole stream, lookups_per_cycle positions a cycle; a group costs
        # its busiest bank's lookups of the resident slice, at least the one cycle of the scan
        n, banks = len(idx), self.banks
        groups = -(-n // self.lookups)
        key = (np.arange(n) // self.lookups) * banks + idx % banks
        conflicts, per_pass = 0, []
        last = np.zeros(0, dtype=np.int64)
        for mine in (idx // -(-self.fmt.k // self.passes))[None, :] == np.arange(self.passes)[:, None]:
            worst = np.bincount(key, weights=mine, minlength=groups * banks).reshape(groups, banks)
            worst = worst.max(axis=1).astype(np.int64)
            last = self._group_costs(worst)
            per_pass.append(int(last.sum()))
            conflicts += int(np.maximum(worst - 1, 0).sum()) * self.reads
        return sum(per_pass), conflicts, last, per_pass

    def __call__(self, tile: int) -> tuple[float, float, int]:
        """(decode cycles, conflict cycles, codebook lookups) of one weight tile."""
        if tile in self._cache:
            return self._cache[tile]
        if self.fmt.synthetic:
            n = self.tile_lookups(tile)
            same = self._by_lookups.get(n)
            if same is not None:  # a sampled stream's timing depends on its length alone
                self._cache[tile], self._passes[tile], self._last[tile] = same
                return same[0]
            if self._sample is None:
                self._sample = self._cycles(self.fmt.sample_indices(SAMPLE_GROUPS * self.lookups))
            scale = n / (SAMPLE_GROUPS * self.lookups)
            cycles, conflicts, last, per_pass = self._sample
            cycles, conflicts = cycles * scale, conflicts * scale
            per_pass = [c * scale for c in per_pass]
            # a sampled stream decodes at its mean group cost
            last = np.full(-(-n // self.lookups), last.sum() * scale / max(1, -(-n // self.lookups)))
        else:
            idx = self.tile_indices(tile)
            n = len(idx)
            cycles, conflicts, last, per_pass = self._cycles(idx)
        self._cache[tile] = (float(cycles + self.depth), float(conflicts), n)
        self._passes[tile] = [float(c) for c in per_pass]
        self._last[tile] = np.cumsum(last, dtype=float)
        if self.fmt.synthetic:
            self._by_lookups[n] = (self._cache[tile], self._passes[tile], self._last[tile])
        return self._cache[tile]

    def last_pass(self, tile: int) -> float:
        """Decode cycles of a weight tile's last pass over the codebook (all of them in one
        pass; ``pipeline_depth`` not included): the pass in which its weights come out."""
        if tile not in self._last:
            self(tile)
        cum = self._last[tile]
        return float(cum[-1]) if len(cum) else 0.0

    def pass_cycles(self, tile: int) -> list[float]:
        """Decode cycles of each of a weight tile's passes over the codebook
        (``pipeline_depth`` not included)."""
        if tile not in self._passes:
            self(tile)
        return self._passes[tile]

    def last_out(self, tile: int, start: float, first: float, done: float, s0: float,
                 knee=None) -> float:
        """When the last pass over a weight tile, started at ``start``, has its last weights out
        of the pipeline, if each group starts only once its bytes are stored: the tile's raw
        bytes arrive at an even rate, the first ``s0`` of them at ``first``, all at ``done``, or,
        with a refresh inside the transfer, ``knee`` = (share before it, its last byte, the first
        byte after), each part at an even rate (a group's share of the bytes is its share of the
        lookups)."""
        if tile not in self._last:
            self(tile)
        cum = self._last[tile]
        if len(cum) == 0:
            return start + self.depth
        last = float(cum[-1])
        if done <= start:
            return start + last + self.depth  # every byte is in
        groups = len(cum)
        rate = (done - first) / (1.0 - s0) if s0 < 1.0 else 0.0
        if self.fmt.synthetic and knee is None:  # equal group costs: the first or last group waits longest
            wait = max(first + rate * (1.0 / groups - s0), first, done - (last - last / groups))
            return max(start + last, wait + last) + self.depth
        if self.fmt.synthetic:  # equal group costs, arrival linear on each side of the knee:
            cost = last / groups  # the latest start is at an end of one of the two pieces
            frac = knee[0]
            split = int(frac * groups + 1e-9) - 1  # the last group in before the pause
            ends = {0, groups - 1, min(max(split, 0), groups - 1), min(split + 1, groups - 1)}
            wait = max(max(arrival((g + 1) / groups, first, done, s0, knee), first) - g * cost
                       for g in ends)
            return max(start + last, wait + last) + self.depth
        shares = np.arange(1, groups + 1, dtype=float) / groups
        if knee is None:
            arrive = np.maximum(first + rate * (shares - s0), first)
        else:
            frac, before, resumed = knee
            early = first + (before - first) * (shares - s0) / (frac - s0) if frac > s0 else before
            late = resumed + (done - resumed) * (shares - frac) / (1.0 - frac)
            arrive = np.maximum(np.where(shares <= frac, early, late), first)
        before = np.concatenate(([0.0], cum[:-1]))
        return max(start + last, float((arrive - before).max()) + last) + self.depth

    def group_shares(self, tile: int, lead: float) -> tuple[float, float, float] | None:
        """A weight tile's lookups come out group by group: (a group's share of them, the share
        out with the groups that hold the first ``lead`` share, the last group's share); None
        for a tile without lookups."""
        n = self(tile)[2]
        if n == 0:
            return None
        per = self.lookups
        want = max(1, math.ceil(lead * n - 1e-9))
        return per / n, min(n, -(-want // per) * per) / n, (n - (-(-n // per) - 1) * per) / n

    def first_out(self, tile: int, share: float) -> float:
        """Cycles from the start of a weight tile's last pass until the first ``share`` of its
        lookups are decoded and out of the pipeline: the groups holding them (a group's
        weights come out together, when its busiest bank is done) plus ``pipeline_depth``."""
        n = self(tile)[2]
        cum = self._last[tile]
        if n == 0 or len(cum) == 0:
            return float(self.depth)
        want = max(1, math.ceil(share * n - 1e-9))
        return float(cum[min(len(cum), -(-want // self.lookups)) - 1]) + self.depth
