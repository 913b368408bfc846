"""The data bus of one channel: sorted, disjoint reservations and the gaps JEDEC requires
between them (tCCD_S/L, read↔write turnaround, rank switch)."""

from __future__ import annotations

import bisect

from accelsim.memory.dram.presets import Timing

KEEP_RESERVATIONS = 512  # older reservations are pruned beyond this many
PRUNE_BEHIND = 256  # cycles before the current request that stay bookable
SCAN_GAPS = 16  # reservations searched for a free slot before a large read goes in closed form


class Bus:
    """Reservations of one channel's data bus and its queue of posted writes."""

    __slots__ = ("t", "tBL", "starts", "ends", "meta", "wbuf", "small_end")

    def __init__(self, timing: Timing, tBL: float) -> None:
        self.t, self.tBL = timing, tBL
        self.starts: list[float] = []
        self.ends: list[float] = []
        self.meta: list[tuple] = []  # (rank, bg of first burst, rank, bg of last burst, write)
        self.wbuf: list[tuple] = []  # posted writes: (Coord, request id)
        self.small_end = 0.0  # end of the latest burst booked one by one (not in closed form)

    def gap(self, a: tuple, b_rank: int, b_bg: int, b_w: bool) -> float:
        """Idle data-bus cycles needed between the end of reservation ``a`` and a burst b."""
        t = self.t
        a_rank, a_bg, a_w = a[2], a[3], a[4]
        if a_rank != b_rank:
            return t.tRTRS
        if a_w == b_w:
            return max(0.0, (t.tCCD_L if a_bg == b_bg else t.tCCD_S) - self.tBL)
        if b_w:
            return 2.0
        return t.CL + (t.tWTR_L if a_bg == b_bg else t.tWTR_S)

    def slot(self, s: float, ra: int, bg: int, w: bool) -> float:
        """Earliest data start >= ``s`` that fits a burst among the reservations."""
        starts, ends, meta, tbl = self.starts, self.ends, self.meta, self.tBL
        while True:
            i = bisect.bisect_right(starts, s)
            if i > 0:
                need = ends[i - 1] + self.gap(meta[i - 1], ra, bg, w)
                if s < need:
                    s = need
                    continue
            if i < len(starts):
                m = meta[i]
                if starts[i] < s + tbl + self.gap((0, 0, ra, bg, w), m[0], m[1], m[4]):
                    s = ends[i] + self.gap(m, ra, bg, w)
                    continue
            return s

    def book(self, s: float, end: float, meta: tuple, t0: float) -> None:
        """Reserve [s, end) (``meta`` as in :attr:`meta`); prune history behind ``t0``."""
        if not self.starts or s > self.starts[-1]:  # the common case: after everything booked
            self.starts.append(s)
            self.ends.append(end)
            self.meta.append(meta)
        else:
            i = bisect.bisect_left(self.starts, s)
            self.starts.insert(i, s)
            self.ends.insert(i, end)
            self.meta.insert(i, meta)
        if len(self.starts) > KEEP_RESERVATIONS:
            k = bisect.bisect_left(self.ends, t0 - PRUNE_BEHIND)
            del self.starts[:k], self.ends[:k], self.meta[:k]

    def free_before(self, t: float) -> bool:
        """Whether a burst's worth of the bus is free between ``t`` and the end of the
        reservations, among the first ``SCAN_GAPS`` reservations after ``t``, while bursts booked
        one by one are in flight (gaps between closed-form transfers are not filled)."""
        starts, ends = self.starts, self.ends
        if self.small_end <= t or starts[-1] <= t:  # no bursts in flight, or one block covers t
            return False
        prev = t
        first = bisect.bisect_right(ends, t)
        for j in range(first, min(first + SCAN_GAPS, len(starts))):
            if starts[j] - prev >= self.tBL:
                return True
            prev = ends[j]
        return False
