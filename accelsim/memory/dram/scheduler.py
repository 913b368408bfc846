"""Burst-level FR-FCFS scheduler for small requests.

Each burst takes the earliest ACT (if its row is not open) and data-bus slot that satisfy every
timing constraint against the commands already booked, including ones booked later in time, so a
later request can take a free slot before an earlier, blocked one. Row hits go first: a burst
for a row that a booked conflict is closing is served before that precharge if it fits, and a
streamed row is held open (:class:`~accelsim.memory.dram.banks.BankState`). Reads wait outside a
full rank queue (an entry leaves at its column command); writes are posted and drained in batches.
"""

from __future__ import annotations

import bisect
import math

from accelsim.memory.dram.banks import NO_ROW, BankState
from accelsim.memory.dram.bus import Bus
from accelsim.memory.dram.mapper import AddressMapper, Coord
from accelsim.memory.dram.presets import DramSpec
from accelsim.memory.dram.refresh import Refresh

ENTRY_BYTES = 64  # a queue entry holds one 64 B transaction (two bursts of a 16-bit channel)
KEEP_ACTS = 256


def queue_bursts(spec: DramSpec) -> int:
    """Bursts a rank's controller queue holds (``queue_depth`` entries of 64 B transactions)."""
    return spec.queue_depth * max(1, ENTRY_BYTES // spec.burst_bytes)


def write_watermarks(spec: DramSpec) -> tuple[int, int]:
    """(high, low) in bursts: a channel's write queue (``queue_depth`` entries) starts draining
    when it holds ``ceil(high × capacity)`` bursts and stops at ``floor(low × capacity)``."""
    cap = queue_bursts(spec)
    high, low = spec.write_watermarks
    n_high = max(1, math.ceil(high * cap - 1e-9))
    return n_high, min(n_high - 1, math.floor(low * cap + 1e-9))


class BurstScheduler:
    """Schedules bursts on shared bank, bus, ACT-window and refresh state."""

    def __init__(self, spec: DramSpec, mapper: AddressMapper, banks: BankState, refresh: Refresh,
                 buses: list[Bus], counts: dict) -> None:
        self.spec, self.t, self.tBL = spec, spec.timing, spec.tBL
        self.mapper, self.banks, self.refresh, self.buses, self.counts = (
            mapper, banks, refresh, buses, counts)
        n_ranks = spec.channels * spec.ranks
        self._acts: list[list[float]] = [[] for _ in range(n_ranks)]
        self._act_bg: list[list[int]] = [[] for _ in range(n_ranks)]
        self._queue: list[list[float]] = [[] for _ in range(n_ranks)]  # CAS times per rank
        self.queue_bursts = queue_bursts(spec)
        self.w_high, self.w_low = write_watermarks(spec)
        self._issued = 0.0  # issue time of the request being scheduled
        self.ends: list[float] = []  # data end of each burst of the last read, in address order
        self._arrival: float | None = 0.0  # a read's issue time (row arrival history); None: a drain

    # ---------------------------------------------------------------- requests
    def read(self, t: float, g0: int, n: int, req: int) -> float:
        """Bursts ``g0 .. g0+n-1`` of read request ``req`` arriving at ``t``; data end."""
        done, self._issued, self._arrival = t, t, t
        ends = self.ends = []
        for g in range(g0, g0 + n):
            c = self.mapper.decode(g)
            inflight = self._queue[self.mapper.rank(c)]
            del inflight[: bisect.bisect_right(inflight, t)]
            q = self.queue_bursts
            t_in = t if len(inflight) < q else inflight[-q]
            end = self.burst(c, req, False, t_in)
            bisect.insort(inflight, end - self.t.CL - self.tBL)  # leaves at its CAS
            ends.append(end)
            if end > done:
                done = end
        if self.spec.closed_page:
            self._close(g0, n)
        return done

    def _close(self, g0: int, n: int) -> None:
        """Closed page: every bank the bursts touched precharges (at its earliest precharge)."""
        for g in range(g0, g0 + n):
            self.banks.open_row[self.mapper.bank(self.mapper.decode(g))] = NO_ROW

    def write(self, t: float, g0: int, n: int, req: int) -> float:
        """Post the bursts of write request ``req``; a write queue reaching its high watermark
        drains its oldest writes down to the low watermark. Accepted at ``t``."""
        for g in range(g0, g0 + n):
            c = self.mapper.decode(g)
            bus = self.buses[c.ch]
            bus.wbuf.append((c, req))
            if len(bus.wbuf) >= self.w_high:
                self.drain(bus, t, len(bus.wbuf) - self.w_low)
        return t

    def drain(self, bus: Bus, t: float, count: int | None = None) -> float:
        """Schedule the oldest ``count`` (default: all) posted writes of ``bus`` from cycle ``t``;
        the last data end."""
        batch = bus.wbuf[:count] if count is not None else list(bus.wbuf)
        del bus.wbuf[: len(batch)]
        done, self._issued, self._arrival = t, t, None  # a drain is no arrival of a row's requests
        for c, req in batch:
            done = max(done, self.burst(c, req, True, t))
        if self.spec.closed_page:
            for c, _ in batch:
                self.banks.open_row[self.mapper.bank(c)] = NO_ROW
        return done

    # ---------------------------------------------------------------- one burst
    def burst(self, c: Coord, req: int, w: bool, t0: float) -> float:
        """Schedule one burst arriving at cycle ``t0``; return its data end (cycles)."""
        gb = self.mapper.bank(c)
        entry = self.banks.closing_row(gb, c.row, t0)
        if entry is not None:
            end = self._hit_closing(entry, c, w, t0)
            if end is not None:
                return end
        x, s, a, pre_prev = self._place(c, gb, w, t0)
        bus = self.buses[c.ch]
        bus.book(s, s + self.tBL, (c.ra, c.bg, c.ra, c.bg, w), self._issued)
        bus.small_end = max(bus.small_end, s + self.tBL)
        self._account(c, gb, req, w, t0, x, a, pre_prev)
        return s + self.tBL

    def _hit_closing(self, entry: tuple, c: Coord, w: bool, t0: float) -> float | None:
        """Serve a burst as a hit on a row that stays open until its booked precharge."""
        _, epoch, col_ok, pre, _ = entry
        t = self.t
        lat = t.CWL if w else t.CL
        s = self.buses[c.ch].slot(max(t0, col_ok) + lat, c.ra, c.bg, w)
        x = s - lat
        close = x + (t.CWL + self.tBL + t.tWR if w else t.tRTP)
        rf = self.refresh
        if close > pre or rf.unblock(c.ra, x) != x or rf.count(c.ra, x) > epoch:
            return None
        bus = self.buses[c.ch]
        bus.book(s, s + self.tBL, (c.ra, c.bg, c.ra, c.bg, w), self._issued)
        bus.small_end = max(bus.small_end, s + self.tBL)
        self.counts["row_hits"] += 1
        return s + self.tBL

    def _place(self, c: Coord, gb: int, w: bool, t0: float) -> tuple:
        """(CAS, data start, ACT or None, precharge of the row closed or None) of a burst."""
        t, b, rf = self.t, self.banks, self.refresh
        lat = t.CWL if w else t.CL
        rk = self.mapper.rank(c)
        start = t0
        while True:
            x = rf.unblock(c.ra, max(start, float(b.col_ok[gb])))
            valid = int(b.epoch[gb]) >= rf.count(c.ra, x) and b.open_row[gb] != NO_ROW
            a = None
            if not (valid and b.open_row[gb] == c.row):
                a = start
                if self.spec.closed_page and b.pre_ok[gb] > 0:  # its precharge after the last use
                    a = max(start, float(b.pre_ok[gb]) + t.tRP)
                if valid:  # row conflict: precharge the open row first (after its hold)
                    a = b.hold(gb, max(start, float(b.pre_ok[gb]))) + t.tRP
                a = self._act_slot(rk, c.ra, c.bg, a)
                x = a + t.tRCD
            s = self.buses[c.ch].slot(x + lat, c.ra, c.bg, w)
            x = s - lat
            ref_x = rf.count(c.ra, x)
            if rf.unblock(c.ra, x) == x and (a is None or rf.count(c.ra, a) == ref_x):
                return x, s, a, (a - t.tRP if a is not None and valid else None)
            if a is not None:  # undo the ACT reservation; retry after the refresh
                i = self._acts[rk].index(a)
                del self._acts[rk][i], self._act_bg[rk][i]
            start = rf.unblock(c.ra, x)
            b.epoch[gb] = -1  # the refresh closed the row

    def _account(self, c: Coord, gb: int, req: int, w: bool, t0: float, x: float, a, pre_prev) -> None:
        """Bank state and counters after a burst at CAS ``x`` (ACT at ``a`` if any)."""
        t, b, cnt = self.t, self.banks, self.counts
        rk = self.mapper.rank(c)
        if len(self._acts[rk]) > KEEP_ACTS:
            k = bisect.bisect_left(self._acts[rk], t0 - 4 * t.tFAW)
            del self._acts[rk][:k], self._act_bg[rk][:k]
        if a is not None:
            b.opened(gb, c.row, req, x, pre_prev, self._arrival)
            cnt["row_misses"] += 1
            cnt["activates"] += 1
            cnt["energy_act_pJ"] += self.spec.e_act_pJ
            b.col_ok[gb] = a + t.tRCD
            b.pre_ok[gb] = max(float(b.pre_ok[gb]), a + t.tRAS)
        else:
            cnt["row_hits"] += 1
            b.hit(gb, req, self._arrival)
        b.cas(gb, x, c.col)
        close = x + (t.CWL + self.tBL + t.tWR if w else t.tRTP)
        b.pre_ok[gb] = max(float(b.pre_ok[gb]), close)
        b.open_row[gb] = c.row
        b.small[gb] = True
        b.epoch[gb] = self.refresh.count(c.ra, x)

    def _act_slot(self, rk: int, ra: int, bg: int, a: float) -> float:
        """Earliest ACT >= ``a`` on global rank ``rk`` meeting tRRD_S/L, tFAW and refresh."""
        t = self.t
        acts, abg = self._acts[rk], self._act_bg[rk]
        faw, rrd_s, rrd_l = t.tFAW, t.tRRD_S, t.tRRD_L
        while True:
            a2 = self.refresh.unblock(ra, a)
            if a2 != a:
                a = a2
                continue
            i = bisect.bisect_left(acts, a)
            if i > 0 and a < acts[i - 1] + (rrd_l if abg[i - 1] == bg else rrd_s):
                a = acts[i - 1] + (rrd_l if abg[i - 1] == bg else rrd_s)
                continue
            if i < len(acts) and acts[i] - a < (rrd_l if abg[i] == bg else rrd_s):
                a = acts[i] + (rrd_l if abg[i] == bg else rrd_s)
                continue
            if i >= 4 and a < acts[i - 4] + faw:  # (not a - acts[i-4] < faw: rounding could loop)
                a = acts[i - 4] + faw
                continue
            moved = False
            for p in range(max(0, i - 3), i + 1):
                if p + 3 < len(acts) and acts[p + 3] - (acts[p] if p < i else a) < faw:
                    a = acts[p + 3] + rrd_s
                    moved = True
                    break
            if not moved:
                acts.insert(i, a)
                abg.insert(i, bg)
                return a
