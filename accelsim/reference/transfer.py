"""Data movement of the reference model, one cycle at a time.

A read of a tile is issued to the memory model burst by burst (the memory's burst, at least
``BURST_B`` bytes with the analytic models, whose bursts are bytes); each burst is
*delivered* on the cycle the memory model says it completes, and a buffer's :class:`Filler`
then writes delivered bytes into SRAM at the buffer's port width (``width_bits / 8 × banks``
bytes per cycle), oldest transfer first. A tile's ``stored`` bytes are what the consumers see.
"""

from __future__ import annotations

import math
from collections import deque

BURST_B = 64
"""Size of the reference DMA's read requests with the analytic memory models (a DRAM model's
requests are its bursts, so that each burst is delivered on the cycle the memory completes it)."""


COUNTED = ("start", "end", "wb_end", "compute", "stall_dram", "stall_decoder", "stall_codebook",
           "decoder_busy", "decoder_conflicts", "codebook_reads")
"""What the reference counts per layer: the fields ``report.rows.layer_row`` reads."""


class Tally:
    """One layer's counts (:data:`COUNTED`, cycles), DRAM ``bytes`` per stream and memory
    counter differences ``mem``."""

    def __init__(self) -> None:
        for name in COUNTED:
            setattr(self, name, 0.0)
        self.bytes: dict[str, int] = {}
        self.mem: dict[str, float] = {}


class Port:
    """The reference's door to the memory model: whole cycles, bytes and counters per layer."""

    def __init__(self, memory, clock_MHz: float, tallies: list[Tally]) -> None:
        self.memory, self.tallies = memory, tallies
        self.cycles_per_ns = clock_MHz / 1000.0
        self.seen = memory.counters()
        self.burst_B = memory.burst_B if memory.burst_B > 1 else BURST_B

    def charge(self, layer: int, stream: str, nbytes: int) -> None:
        by = self.tallies[layer].bytes
        by[stream] = by.get(stream, 0) + int(nbytes)

    def request(self, cycle: int, layer: int, addr: int, nbytes: int, write: bool) -> int:
        """Issue one request at ``cycle``; the first whole cycle at which it is complete."""
        done_ns = self.memory.request(cycle / self.cycles_per_ns, int(addr), int(nbytes), write)
        now = self.memory.counters()
        mem = self.tallies[layer].mem
        for key, val in now.items():
            mem[key] = mem.get(key, 0.0) + val - self.seen.get(key, 0.0)
        self.seen = now
        return max(cycle, math.ceil(done_ns * self.cycles_per_ns - 1e-9))


class Transfer:
    """One tile being read into a buffer: per-chunk due cycles, bytes delivered and stored."""

    __slots__ = ("size", "due", "sizes", "next", "delivered", "stored")

    def __init__(self, size: int) -> None:
        self.size = int(size)
        self.due: list[int] = []
        self.sizes: list[int] = []
        self.next = 0
        self.delivered = 0
        self.stored = self.size if self.size <= 0 else 0

    @property
    def complete(self) -> bool:
        return self.stored >= self.size


def issue(port: Port, cycle: int, layer: int, reads) -> None:
    """Issue the bursts of several transfers, one transfer after the other (a DMA working
    through its descriptors in order); ``reads`` holds ``(transfer, addr)`` pairs, a transfer's
    bytes read from ``addr`` on, one request per burst it touches (split at burst boundaries)."""
    burst = port.burst_B
    for tr, addr in reads:
        off = 0
        while off < tr.size:
            part = min(burst - (addr + off) % burst, tr.size - off)
            tr.due.append(port.request(cycle, layer, addr + off, part, False))
            tr.sizes.append(part)
            off += part


class Filler:
    """An SRAM buffer's write port: each cycle moves up to ``port_B`` delivered bytes in."""

    def __init__(self, width_bits: int, banks: int) -> None:
        self.port_B = width_bits // 8 * banks
        self.pending: deque[Transfer] = deque()

    def add(self, tr: Transfer) -> None:
        if tr.size > 0:
            self.pending.append(tr)

    def step(self, cycle: int) -> None:
        budget = self.port_B
        for tr in self.pending:
            while tr.next < len(tr.due) and tr.due[tr.next] <= cycle:
                tr.delivered += tr.sizes[tr.next]
                tr.next += 1
            move = min(budget, tr.delivered - tr.stored)
            tr.stored += move
            budget -= move
            if budget == 0:
                break
        while self.pending and self.pending[0].complete:
            self.pending.popleft()
