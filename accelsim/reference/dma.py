"""The reference DMA: walks every layer's steps in order and reads each new weight and input tile.

A weight tile needs a free weight-buffer slot, an input tile a free input-buffer slot (the PE
array frees a slot when it moves on to the next tile); a layer's first input also waits until the
outputs of every layer it reads are written. The tiles of one step go out one after the other, weights
first, each as a stream of bursts.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from accelsim.reference.transfer import Filler, Transfer, issue


@dataclass(eq=False)
class WeightTile:
    """A weight tile in the weight buffer; ``decoded`` counts lookups the decoder finished."""

    layer: int
    tile: int
    data: Transfer
    lookups: int = 0
    decoded: int = 0
    ready: deque = field(default_factory=deque)
    """(cycle, decoded count) pairs still in the decoder's pipeline."""

    def decoded_by(self, cycle: int) -> int:
        while self.ready and self.ready[0][0] <= cycle:
            self.decoded = self.ready.popleft()[1]
        return self.decoded


def _fetch_steps(plan) -> list[tuple]:
    sch, place = plan.schedule, plan.place
    cols = zip(sch.new_w.tolist(), sch.new_i.tolist(), sch.w_tile.tolist(), sch.i_bytes.tolist(),
               place.i_addr.tolist(), strict=True)
    return [c for c in cols if c[0] or c[1]]


class Dma:
    """Issues reads; ``weights`` / ``inputs`` hold the fetched tiles in order for the consumers."""

    def __init__(self, plans, arch, port, slots: dict, written: list[bool]) -> None:
        self.plans, self.port, self.written = plans, port, written
        self.free = dict(slots)
        self.fill = {n: Filler(getattr(arch.sram, n).width_bits, getattr(arch.sram, n).banks)
                     for n in ("weight", "input")}
        self.weights: deque[WeightTile] = deque()
        self.inputs: deque[Transfer] = deque()
        self.to_decode: deque[WeightTile] = deque()
        """Compressed weight tiles issued and not yet taken by the decoder, in order."""
        self.weights_issued = [False] * len(plans)
        self.steps = [_fetch_steps(p) for p in plans]
        self.first_input = [next((n for n, s in enumerate(st) if s[1]), -1) for st in self.steps]
        self.layer = self.pos = 0
        self.w_out = False  # the current step's weight tile is already issued

    def step(self, cycle: int) -> None:
        while self.layer < len(self.plans) and self._next(cycle):
            pass
        for f in self.fill.values():
            f.step(cycle)

    def _next(self, cycle: int) -> bool:
        """Issue what the next fetching step can; False when blocked."""
        li, steps = self.layer, self.steps[self.layer]
        if self.pos == len(steps):
            self.weights_issued[li] = True
            self.layer, self.pos = li + 1, 0
            return True
        new_w, new_i, tile, i_bytes, i_addr = steps[self.pos]
        reads = []
        if new_w and not self.w_out:
            if self.free["weight"] == 0:
                return False
            reads.append(self._weight_tile(li, tile))
        if new_i:
            first = self.pos == self.first_input[li]
            if self.free["input"] == 0 or (first and not all(self.written[d] for d in self.plans[li].deps)):
                issue(self.port, cycle, li, reads)
                return False
            self.free["input"] -= 1
            tr = Transfer(i_bytes)
            self.port.charge(li, "input", i_bytes)
            self.inputs.append(tr)
            self.fill["input"].add(tr)
            reads.append((tr, i_addr))
        issue(self.port, cycle, li, reads)
        self.pos, self.w_out = self.pos + 1, False
        return True

    def _weight_tile(self, li: int, tile: int):
        plan = self.plans[li]
        self.free["weight"] -= 1
        self.w_out = True
        parts = [(s, int(b[tile])) for s, b in plan.schedule.w_bytes.items()]
        tr = Transfer(sum(b for _, b in parts))
        for stream, nbytes in parts:
            self.port.charge(li, stream, nbytes)
        lookups = plan.decode.tile_lookups(tile) if plan.decode is not None else 0
        wt = WeightTile(li, tile, tr, lookups)
        self.weights.append(wt)
        if plan.decode is not None:
            self.to_decode.append(wt)
        self.fill["weight"].add(tr)
        return tr, int(plan.place.w_tile_addr[tile])
