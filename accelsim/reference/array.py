"""The reference PE array and write-back unit, one cycle at a time.

The array walks every layer's steps in order. Before a step computes it takes the step's new
weight tile and new input tile (freeing the slot of the tile it leaves), and, when the step opens
an output tile, an output-buffer slot (and reads the partial sums back when the tile resumes a
K loop). Then it ticks through :func:`~accelsim.reference.systolic.step_ticks`: a tick happens
only in a cycle in which its operands are on chip — in the weight buffer (dense) or out of the
decoder (compressed) — otherwise the whole array waits that cycle, and the wait is charged to
what is missing: DRAM (raw bytes not stored yet), the codebook, or the decoder.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from accelsim.reference.systolic import step_ticks
from accelsim.reference.transfer import Filler, Transfer, issue


def step_dims(layer, mp) -> list[tuple[int, int, int, int]]:
    """``(gs, ms, ks, ns)`` of every step of a mapped layer, in the mapping's loop order."""
    tg, tm, tk, tn = mp.tiles
    trips = {"m": tm, "k": tk, "n": tn}
    size = {"m": (mp.Mt, layer.M), "k": (mp.Kt, layer.K), "n": (mp.Nt, layer.N)}
    shape = (tg, *(trips[d] for d in mp.order))
    out = []
    for pos in np.ndindex(*shape):
        at = dict(zip(mp.order, pos[1:], strict=True))
        dims = [min(t, total - at[d] * t) for d, (t, total) in size.items()]
        out.append((min(mp.Gt, layer.groups - pos[0] * mp.Gt), *dims))
    return out


def _needed(share: float, total: int) -> int:
    return math.ceil(share * total - 1e-9)


class WriteBack:
    """Owns the output buffer's slots; writes finished tiles and spills to DRAM, one at a time."""

    def __init__(self, plans, arch, port, tallies, written: list[bool], slots: int) -> None:
        self.plans, self.port, self.tallies, self.written = plans, port, tallies, written
        out = arch.sram.output
        self.fill = Filler(out.width_bits, out.banks)
        self.port_B = out.width_bits // 8 * out.banks
        self.free = slots
        self.queue: deque = deque()
        self.cur, self.busy_until = None, 0

    def step(self, cycle: int) -> None:
        self.fill.step(cycle)
        if self.cur is not None and cycle >= self.busy_until:
            li, last = self.cur
            self.free += 1
            if last:
                self.tallies[li].wb_end = self.busy_until
                self.written[li] = True
            self.cur = None
        if self.cur is None and self.queue:
            li, j, nbytes, final, last = self.queue.popleft()
            self.port.charge(li, "output" if final else "psum_write", nbytes)
            done = cycle
            if nbytes > 0:
                done = self.port.request(cycle, li, self.plans[li].place.o_addr[j], nbytes, True)
            # the tile leaves SRAM at the buffer's port width while the write is accepted
            self.busy_until = max(done, cycle + -(-nbytes // self.port_B))
            self.cur = (li, last)


class PeArray:
    """Walks the steps of every layer; charges each cycle to compute or to one stall."""

    def __init__(self, plans, arch, dma, decoder, wb: WriteBack, tallies) -> None:
        self.plans, self.dma, self.decoder, self.wb, self.tallies = plans, dma, decoder, wb, tallies
        pe = arch.pe_array
        self.shape = (pe.dataflow, pe.rows, pe.cols)
        self.li, self.j, self.phase = 0, 0, "enter"
        self.wt = self.inp = self.psum = self.ticks = self.need = None
        self.done = not plans

    def step(self, cycle: int) -> None:
        while not self.done:
            tally = self.tallies[self.li]
            spent = getattr(self, f"_{self.phase}")(cycle)
            if spent == "tick":
                tally.compute += 1
                return
            if spent is not None:
                setattr(tally, f"stall_{spent}", getattr(tally, f"stall_{spent}") + 1)
                return

    def _enter(self, cycle: int):
        plan = self.plans[self.li]
        if self.j == 0:
            self.tallies[self.li].start = cycle
            mp = plan.mapping
            self.dims = step_dims(plan.layer, mp) if mp is not None else [None]
        self.phase = "weights" if plan.schedule.new_w[self.j] else "inputs"
        if self.phase == "weights" and self.wt is not None:
            self.dma.free["weight"] += 1
            self.wt = None

    def _weights(self, cycle: int):
        if not self.dma.weights:
            return "dram"
        self.wt = self.dma.weights.popleft()
        self.phase = "inputs"

    def _inputs(self, cycle: int):
        if self.plans[self.li].schedule.new_i[self.j]:
            if self.inp is not None:
                self.dma.free["input"] += 1
                self.inp = None
            if not self.dma.inputs:
                return "dram"
            self.inp = self.dma.inputs.popleft()
        self.phase = "output"

    def _output(self, cycle: int):
        li, j, plan = self.li, self.j, self.plans[self.li]
        if plan.schedule.out_start[j]:
            if self.wb.free == 0:
                return "dram"
            self.wb.free -= 1
            psum = int(plan.schedule.psum_read[j])
            self.psum = Transfer(psum)
            if psum:
                self.dma.port.charge(li, "psum_read", psum)
                issue(self.dma.port, cycle, li, [(self.psum, plan.place.psum_read_addr)])
                self.wb.fill.add(self.psum)
        self.phase = "psum"

    def _psum(self, cycle: int):
        if self.psum is not None and not self.psum.complete:
            return "dram"
        dims = self.dims[self.j]
        self.ticks = iter(()) if dims is None else step_ticks(*self.shape, *dims)
        self.need = next(self.ticks, None)
        self.phase = "compute"

    def _compute(self, cycle: int):
        if self.need is None:  # a step without MACs (an embedding gather) waits for its data
            self.need = (1.0, 1.0)
            stall, self.need = self._missing(cycle), None
            return stall if stall is not None else self._finish(cycle, ticked=False)
        stall = self._missing(cycle)
        if stall is not None:
            return stall
        self.need = next(self.ticks, None)
        if self.need is None:
            self._finish(cycle, ticked=True)
        return "tick"

    def _missing(self, cycle: int):
        """What keeps the current tick from running this cycle (None: nothing)."""
        w_share, i_share = self.need
        if self.inp is not None and self.inp.stored < _needed(i_share, self.inp.size):
            return "dram"
        wt = self.wt
        if wt is None or w_share <= 0:
            return None
        raw = wt.data
        if wt.lookups == 0:
            return None if raw.stored >= _needed(w_share, raw.size) else "dram"
        want = _needed(w_share, wt.lookups)
        if wt.decoded_by(cycle) >= want:
            return None
        if raw.stored < _needed(want / wt.lookups, raw.size):
            return "dram"
        return "codebook" if self.decoder.waiting_codebook(wt) else "decoder"

    def _finish(self, cycle: int, ticked: bool):
        li, j, plan = self.li, self.j, self.plans[self.li]
        sch = plan.schedule
        if sch.out_end[j]:
            last = j == sch.steps - 1
            self.wb.queue.append((li, j, int(sch.o_bytes[j]), bool(sch.o_final[j]), last))
        self.j, self.phase = j + 1, "enter"
        if self.j == sch.steps:
            self._close_layer(cycle + 1 if ticked else cycle)

    def _close_layer(self, end: int) -> None:
        for name, held in (("weight", self.wt), ("input", self.inp)):
            if held is not None:
                self.dma.free[name] += 1
        self.wt = self.inp = None
        self.tallies[self.li].end = end
        self.li, self.j = self.li + 1, 0
        self.done = self.li == len(self.plans)
