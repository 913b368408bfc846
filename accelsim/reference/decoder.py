"""The reference's codebook buffer and sign-mask decoder, one cycle at a time.

**Codebook buffer.** A layer's codebook is read into the buffer (at its port width) before the
layer's first lookup: as soon as the previous codebook's layer is decoded, or earlier — once the
previous layer's weight reads are all issued — when both codebooks fit together. A codebook larger
than the buffer is split into ``passes`` slices that the decoder reads again for every tile.

**Decoder.** Each cycle it starts at most one group of ``lookups_per_cycle`` consecutive indices
of the current tile's real index stream, once their bytes are in the weight buffer and the
codebook (slice) is resident; every bank serves one lookup per ``reads`` cycles, so the group
lasts as long as its busiest bank (at least one cycle: a pass scans every index). Decoded
weights become visible ``pipeline_depth`` cycles after their group ends.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from accelsim.plan.decode import TileDecoder
from accelsim.reference.transfer import Filler, Transfer, issue


def index_source(plan, arch) -> TileDecoder:
    """The plan's per-tile index streams; a synthetic layer gets its whole seeded stream drawn."""
    fmt, layer = plan.fmt, plan.layer
    if fmt.synthetic:
        n = layer.groups * layer.N * -(-layer.K // fmt.d)
        fixed = fmt.sample_indices(n)
        fmt = dataclasses.replace(fmt, index_source=lambda: fixed)
    return TileDecoder(layer, fmt, plan.mapping, arch)


class CodebookBuffer:
    """Loads codebooks layer by layer; ``ready(layer)`` once a single-pass one is resident."""

    def __init__(self, plans, arch, port, decoded: list[bool], weights_issued: list[bool]) -> None:
        self.plans, self.port = plans, port
        self.decoded, self.weights_issued = decoded, weights_issued
        cb = arch.sram.codebook
        self.capacity = cb.size_KiB * 1024
        self.fill = Filler(cb.width_bits, cb.banks)
        self.loads: dict[int, Transfer | None] = {}
        self.next, self.resident = 0, None

    def passes(self, li: int) -> int:
        dec = self.plans[li].decode
        return dec.passes if dec is not None else 1

    def ready(self, li: int) -> bool:
        if li not in self.loads:
            return False
        tr = self.loads[li]
        return tr is None or tr.complete

    def step(self, cycle: int) -> None:
        while self.next < len(self.plans) and self._load(cycle, self.next):
            self.next += 1
        self.fill.step(cycle)

    def _load(self, cycle: int, li: int) -> bool:
        size = self.plans[li].codebook_bytes
        if size == 0:
            self.loads[li] = None
            return True
        prev = self.resident
        if prev is not None:
            shared = self.plans[prev].codebook_bytes + size <= self.capacity
            if not (self.decoded[prev] if self.passes(li) > 1 or not shared
                    else self.weights_issued[prev]):
                return False
        self.loads[li] = self.read(cycle, li, 0, size) if self.passes(li) == 1 else None
        self.resident = li
        return True

    def read(self, cycle: int, li: int, offset: int, size: int) -> Transfer:
        """Read ``size`` bytes of layer ``li``'s codebook from ``offset`` into the buffer."""
        tr = Transfer(size)
        self.port.charge(li, "codebook", size)
        issue(self.port, cycle, li, [(tr, self.plans[li].place.codebook_addr + offset)])
        self.fill.add(tr)
        return tr


class Decoder:
    """Decodes the compressed weight tiles the DMA fetched, in order."""

    def __init__(self, plans, arch, codebook: CodebookBuffer, queue, tallies, decoded) -> None:
        self.plans, self.codebook, self.queue, self.tallies = plans, codebook, queue, tallies
        self.lookups = arch.decoder.lookups_per_cycle
        self.depth = arch.decoder.pipeline_depth
        self.banks = arch.sram.codebook.banks
        self.width_bits = arch.sram.codebook.width_bits
        self.sources = {li: index_source(p, arch) for li, p in enumerate(plans) if p.decode}
        self.left = [int(np.count_nonzero(p.schedule.new_w)) if p.decode else 0 for p in plans]
        self.decoded = decoded
        """Per layer: every weight tile decoded (shared with the codebook buffer)."""
        self.tile = None
        self.slice: Transfer | None = None
        self.busy_until = None

    def _costs(self, li: int, idx: np.ndarray, p: int, passes: int) -> list[int]:
        """Cycles of each group of one pass over ``idx`` (lookups of slice ``p`` only)."""
        fmt = self.plans[li].fmt
        reads = -(-fmt.d * (2 if fmt.codebook_dtype == "fp16" else 1) * 8 // self.width_bits)
        mine = (idx // -(-fmt.k // passes)) == p
        gid = np.arange(len(idx)) // self.lookups
        groups = -(-len(idx) // self.lookups)
        counts = np.bincount(gid * self.banks + idx % self.banks, weights=mine,
                             minlength=groups * self.banks).reshape(groups, self.banks)
        worst = counts.max(axis=1).astype(np.int64)
        tally = self.tallies[li]
        tally.decoder_conflicts += float(np.maximum(worst - 1, 0).sum() * reads)
        tally.codebook_reads += float(mine.sum()) * fmt.d * (2 if fmt.codebook_dtype == "fp16" else 1)
        return np.maximum(worst * reads, 1).tolist()

    def _begin(self, cycle: int) -> None:
        wt = self.tile = self.queue.popleft()
        idx = self.sources[wt.layer].tile_indices(wt.tile)
        self.passes = self.codebook.passes(wt.layer)
        self.plan_costs = [self._costs(wt.layer, idx, p, self.passes) for p in range(self.passes)]
        self.n, self.pass_, self.group = len(idx), 0, 0
        self._open_pass(cycle)

    def _open_pass(self, cycle: int) -> None:
        self.slice = None
        if self.passes > 1:
            li = self.tile.layer
            size = self.plans[li].codebook_bytes
            per = -(-size // self.passes)
            off = self.pass_ * per
            self.slice = self.codebook.read(cycle, li, off, min(per, size - off))

    def waiting_codebook(self, wt) -> bool:
        """True when the tile ``wt`` waits for its codebook (or the current slice of it)."""
        if not self.codebook.ready(wt.layer):
            return True
        return wt is self.tile and self.slice is not None and not self.slice.complete

    def step(self, cycle: int) -> None:
        if self.busy_until is not None:
            if cycle < self.busy_until:
                return
            self._end_group(cycle)
        if self.tile is None:
            if not self.queue:
                return
            self._begin(cycle)
        wt = self.tile
        if self.waiting_codebook(wt):
            return
        end = min(self.n, (self.group + 1) * self.lookups)
        if wt.data.stored < math.ceil(end / self.n * wt.data.size - 1e-9):
            return
        cost = self.plan_costs[self.pass_][self.group]
        self.tallies[wt.layer].decoder_busy += cost
        self.busy_until = cycle + cost

    def _end_group(self, cycle: int) -> None:
        wt = self.tile
        end = min(self.n, (self.group + 1) * self.lookups)
        last_pass = self.pass_ == self.passes - 1
        if last_pass:
            wt.ready.append((self.busy_until + self.depth, end))
        self.group += 1
        if end == self.n:
            if not last_pass:
                self.pass_, self.group = self.pass_ + 1, 0
                self._open_pass(cycle)
            else:
                self.left[wt.layer] -= 1
                self.decoded[wt.layer] = self.left[wt.layer] == 0
                self.tile = None
        self.busy_until = None
