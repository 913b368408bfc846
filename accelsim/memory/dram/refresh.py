"""All-bank refresh: every tREFI per rank, ranks staggered, each blocking its rank for tRFC
(and tRP before it, to precharge); a refresh closes every row of its rank."""

from __future__ import annotations

import math

from accelsim.memory.dram.presets import Timing


class Refresh:
    """Refresh schedule of the ranks of one channel (every channel runs the same schedule)."""

    def __init__(self, timing: Timing, ranks: int) -> None:
        self.t = timing
        self.offset = [timing.tREFI * (r + 0.5) / ranks for r in range(ranks)]
        self.free = [(0.0, 0.0)] * ranks  # the latest known refresh-free window [lo, hi) per rank

    def count(self, ra: int, x: float) -> int:
        """Refreshes of local rank ``ra`` started at or before cycle ``x``."""
        off = self.offset[ra]
        return int((x - off) // self.t.tREFI) + 1 if x >= off else 0

    def unblock(self, ra: int, x: float) -> float:
        """``x`` moved past a refresh of rank ``ra`` if it falls in [start - tRP, end)."""
        lo, hi = self.free[ra]
        if lo <= x < hi:  # fast path: inside the current refresh-free window
            return x
        t = self.t
        k = self.count(ra, x + t.tRP) - 1
        start = self.offset[ra] + k * t.tREFI
        if k >= 0 and x < start + t.tRFC:
            return start + t.tRFC
        self.free[ra] = (start + t.tRFC if k >= 0 else -math.inf, start + t.tREFI - t.tRP)
        return x

    def issued(self, t_end: float) -> int:
        """Refreshes of all ranks of one channel started by cycle ``t_end``."""
        n, refi = 0, self.t.tREFI
        for off in self.offset:
            if t_end >= off:
                n += int((t_end - off) // refi) + 1
        return n
