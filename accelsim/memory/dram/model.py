"""Bank-level DRAM timing model behind the engine's ``MemoryModel`` interface (DESIGN §4).

A request (one tile) is split into bursts by the address mapping. Small requests (at most
``SMALL_BURSTS`` bursts) are scheduled burst by burst: each burst takes the earliest ACT and
data-bus slot that satisfies every timing constraint against the commands already scheduled
(tRCD, tRP, tRAS, tRTP, tWR, tRRD_S/L, tFAW, tCCD_S/L, tWTR_S/L, read/write turnaround, rank
switch, refresh). Because a later request may take an earlier free slot, row hits and idle banks
are served first (FR-FCFS-like) within the bounded queue; small writes are posted to a write queue
and drained in batches. Larger requests are timed in closed form from their row visits (one ACT
per bank/row, bursts per visit) and the same bank state, with bank-group interleaving limited by
the ``queue_depth``-burst reorder window; they occupy the channel's bus in arrival order.
Time is kept in DRAM clock cycles internally; the interface speaks ns.
"""

from __future__ import annotations

import bisect
import math

import numpy as np

from accelsim.memory.dram.layout import BulkLayout
from accelsim.memory.dram.presets import MAPPING_FIELDS, PRESET_NAMES, DramSpec, resolve

__all__ = ["PRESET_NAMES", "DramModel", "make_dram"]

SMALL_BURSTS = 8
MAX_CLOSING = 8
ENTRY_BYTES = 64
_COUNTER_KEYS = (
    "read_bytes", "write_bytes", "requests", "bursts", "row_hits", "row_misses", "activates",
)  # fmt: skip


class _Channel:
    """Per-channel data-bus reservations (sorted, disjoint) and posted-write queue."""

    __slots__ = ("starts", "ends", "meta", "wbuf")

    def __init__(self) -> None:
        self.starts: list[float] = []
        self.ends: list[float] = []
        self.meta: list[tuple] = []  # (rank, bg first burst, rank, bg last burst, write)
        self.wbuf: list[tuple] = []


class DramModel:
    """A multi-channel DRAM system (one :class:`DramSpec`) with persistent bank state."""

    def __init__(self, spec: DramSpec) -> None:
        self.spec = spec
        self.name = spec.name
        self.peak_GBps = spec.peak_GBps
        self._burst_bytes = spec.burst_bytes
        t = spec.timing
        self._t = t
        self._tBL = spec.tBL
        self._nbanks = spec.banks_per_rank
        self._radix = {
            "Ro": spec.rows, "Ch": spec.channels, "Ra": spec.ranks,
            "Ba": spec.banks_per_group, "Bg": spec.bankgroups, "Co": spec.bursts_per_row,
        }  # fmt: skip
        self._lsb = [(MAPPING_FIELDS.index(f), self._radix[f]) for f in reversed(spec.mapping)]
        n_banks = spec.channels * spec.ranks * self._nbanks
        self._open_row = np.full(n_banks, -1, dtype=np.int64)
        self._epoch = np.zeros(n_banks, dtype=np.int64)
        self._col_ok = np.zeros(n_banks)
        self._pre_ok = np.zeros(n_banks)
        # FR-FCFS state per bank: the row closed by the latest conflict (still served until its
        # precharge), and the current row's streak of requests, last column and last CAS
        self._closing: list[list[tuple]] = [[] for _ in range(n_banks)]  # (row, epoch, col_ok, pre)
        self._streak = [0] * n_banks
        self._last_req = [-1] * n_banks
        self._last_col = [0] * n_banks
        self._last_cas = [0.0] * n_banks
        self._req = 0
        # a queue entry holds one 64 B transaction (one burst, or two of a 16-bit LPDDR channel)
        self._q_bursts = spec.queue_depth * max(1, ENTRY_BYTES // spec.burst_bytes)
        n_ranks = spec.channels * spec.ranks
        self._acts: list[list[float]] = [[] for _ in range(n_ranks)]
        self._act_bg: list[list[int]] = [[] for _ in range(n_ranks)]
        self._ref_off = [t["tREFI"] * (r + 0.5) / spec.ranks for r in range(spec.ranks)]
        self._ref_free = [(0.0, 0.0)] * spec.ranks  # a refresh-free window per rank (cache)
        self._ch = [_Channel() for _ in range(spec.channels)]
        self._queue: list[list[float]] = [[] for _ in range(n_ranks)]  # CAS times per rank
        self._c = dict.fromkeys(_COUNTER_KEYS, 0.0)
        self._e_act = self._e_rdwr = 0.0
        self._t_max = 0.0
        self._bulk = BulkLayout(spec, self._radix)

    # ---------------------------------------------------------------- interface
    def request(self, t_ns: float, addr: int, nbytes: int, write: bool) -> float:
        """Issue one request at ``t_ns``; return when its data is done (read) or accepted."""
        if nbytes <= 0:
            return t_ns
        s = self.spec
        t = t_ns / s.tCK_ns
        bb = self._burst_bytes
        g0 = addr // bb
        n = -(-(addr + nbytes) // bb) - g0
        c = self._c
        c["write_bytes" if write else "read_bytes"] += nbytes
        c["requests"] += 1
        c["bursts"] += n
        self._e_rdwr += n * (s.e_wr_burst_pJ if write else s.e_rd_burst_pJ)
        self._req += 1
        if n > SMALL_BURSTS:
            done = self._bulk_request(t, g0, n, write)
        elif write:
            done = t
            for g in range(g0, g0 + n):
                ch, ra, bg, ba, row, col = self._decode(g)
                chan = self._ch[ch]
                chan.wbuf.append((ch, ra, bg, ba, row, col, self._req))
                if len(chan.wbuf) >= s.queue_depth:
                    self._drain(chan, t)
        else:
            done = t
            for g in range(g0, g0 + n):
                ch, ra, bg, ba, row, col = self._decode(g)
                inflight = self._queue[ch * s.ranks + ra]
                del inflight[: bisect.bisect_right(inflight, t)]
                t_in = t if len(inflight) < self._q_bursts else inflight[-self._q_bursts]
                end = self._burst(ch, ra, bg, ba, row, col, self._req, False, t_in)
                bisect.insort(inflight, end - self._t["CL"] - self._tBL)  # leaves at its CAS
                done = max(done, end)
        done += self._t["tCTRL"]
        self._t_max = max(self._t_max, done)
        return float(done * s.tCK_ns)

    def flush(self, t_ns: float) -> float:
        """Drain every posted write; return when the last one is on the bus (ns)."""
        t = t_ns / self.spec.tCK_ns
        done = t
        for chan in self._ch:
            done = max(done, self._drain(chan, t))
        self._t_max = max(self._t_max, done)
        return done * self.spec.tCK_ns

    def counters(self) -> dict[str, float]:
        """Cumulative statistics; background and refresh energy accrue up to the latest time."""
        s, t = self.spec, self._t
        refreshes = 0
        for off in self._ref_off:
            if self._t_max >= off:
                refreshes += int((self._t_max - off) // t["tREFI"]) + 1
        refreshes *= s.channels
        e_ref = refreshes * s.e_ref_pJ
        e_bg = s.p_bg_mW * s.channels * s.ranks * self._t_max * s.tCK_ns
        out = dict(self._c)
        out.update(
            refreshes=float(refreshes),
            energy_act_pJ=self._e_act,
            energy_rdwr_pJ=self._e_rdwr,
            energy_ref_pJ=e_ref,
            energy_bg_pJ=e_bg,
            energy_pJ=self._e_act + self._e_rdwr + e_ref + e_bg,
        )
        return out

    # ---------------------------------------------------------------- mapping
    def _decode(self, g: int) -> tuple[int, int, int, int, int]:
        """(channel, rank, bank group, bank, row) of global burst ``g``."""
        d = [0] * 6
        for i, r in self._lsb:
            g, d[i] = divmod(g, r)
        return d[1], d[2], d[4], d[3], d[0], d[5]

    # ---------------------------------------------------------------- refresh
    def _refresh_count(self, ra: int, x: float) -> int:
        """Refreshes of local rank ``ra`` started at or before cycle ``x``."""
        off = self._ref_off[ra]
        return int((x - off) // self._t["tREFI"]) + 1 if x >= off else 0

    def _unblock(self, ra: int, x: float) -> float:
        """``x`` moved past a refresh of rank ``ra`` if it falls in [start - tRP, end)."""
        lo, hi = self._ref_free[ra]
        if lo <= x < hi:  # fast path: inside the current refresh-free window
            return x
        t = self._t
        k = self._refresh_count(ra, x + t["tRP"]) - 1
        start = self._ref_off[ra] + k * t["tREFI"]
        if k >= 0 and x < start + t["tRFC"]:
            return start + t["tRFC"]
        self._ref_free[ra] = (start + t["tRFC"] if k >= 0 else -math.inf,
                              start + t["tREFI"] - t["tRP"])  # fmt: skip
        return x

    # ---------------------------------------------------------------- scalar path
    def _gap(self, a: tuple, b_rank: int, b_bg: int, b_w: bool) -> float:
        """Idle data-bus cycles needed between the end of burst ``a`` and the start of b."""
        t = self._t
        a_rank, a_bg, a_w = a[2], a[3], a[4]
        if a_rank != b_rank:
            return t["tRTRS"]
        if a_w == b_w:
            return max(0.0, (t["tCCD_L"] if a_bg == b_bg else t["tCCD_S"]) - self._tBL)
        if b_w:
            return 2.0
        return t["CL"] + (t["tWTR_L"] if a_bg == b_bg else t["tWTR_S"])

    def _bus_slot(self, chan: _Channel, s: float, ra: int, bg: int, w: bool) -> float:
        """Earliest data start >= ``s`` that fits a burst among the bus reservations."""
        starts, ends, meta, tbl = chan.starts, chan.ends, chan.meta, self._tBL
        while True:
            i = bisect.bisect_right(starts, s)
            if i > 0:
                need = ends[i - 1] + self._gap(meta[i - 1], ra, bg, w)
                if s < need:
                    s = need
                    continue
            if i < len(starts):
                m = meta[i]
                if starts[i] < s + tbl + self._gap((0, 0, ra, bg, w), m[0], m[1], m[4]):
                    s = ends[i] + self._gap(m, ra, bg, w)
                    continue
            return s

    def _act_slot(self, rk: int, ra: int, bg: int, a: float) -> float:
        """Earliest ACT >= ``a`` on global rank ``rk`` meeting tRRD_S/L, tFAW and refresh."""
        t = self._t
        acts, abg = self._acts[rk], self._act_bg[rk]
        faw, rrd_s, rrd_l = t["tFAW"], t["tRRD_S"], t["tRRD_L"]
        while True:
            a2 = self._unblock(ra, a)
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
            if i >= 4 and a - acts[i - 4] < faw:
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

    def _hit_closing_row(self, chan, gb, ra, bg, row, w, t0):
        """Serve a burst as a hit on the row its bank keeps open until a booked precharge."""
        for entry in reversed(self._closing[gb]):
            if entry[0] == row and entry[3] > t0:
                return self._hit_before(chan, entry, ra, bg, w, t0)
        return None

    def _hit_before(self, chan, entry, ra, bg, w, t0):
        _, epoch, col_ok, pre = entry
        t = self._t
        lat = t["CWL"] if w else t["CL"]
        s = self._bus_slot(chan, max(t0, col_ok) + lat, ra, bg, w)
        x = s - lat
        close = x + (t["CWL"] + self._tBL + t["tWR"] if w else t["tRTP"])
        if close > pre or self._unblock(ra, x) != x or self._refresh_count(ra, x) > epoch:
            return None
        self._book(chan, s, ra, bg, w, t0)
        self._c["row_hits"] += 1
        return s + self._tBL

    def _book(self, chan, s, ra, bg, w, t0):
        i = bisect.bisect_left(chan.starts, s)
        chan.starts.insert(i, s)
        chan.ends.insert(i, s + self._tBL)
        chan.meta.insert(i, (ra, bg, ra, bg, w))
        if len(chan.starts) > 512:
            self._prune(chan, t0)

    def _hold(self, gb: int) -> float:
        """Until when FR-FCFS keeps a streamed row open for the hits still to come."""
        if self._streak[gb] < 2:
            return 0.0
        rem = self.spec.bursts_per_row - 1 - self._last_col[gb]
        return self._last_cas[gb] + min(self._q_bursts * self._tBL, rem * self._t["tCCD_L"])

    def _burst(self, ch, ra, bg, ba, row, col, req, w, t0) -> float:
        """Schedule one burst arriving at cycle ``t0``; return its data end (cycles)."""
        t, spec = self._t, self.spec
        rk = ch * spec.ranks + ra
        gb = (rk * spec.bankgroups + bg) * spec.banks_per_group + ba
        lat = t["CWL"] if w else t["CL"]
        chan = self._ch[ch]
        end = self._hit_closing_row(chan, gb, ra, bg, row, w, t0)
        if end is not None:
            return end
        start = t0
        prev = None
        while True:
            x = self._unblock(ra, max(start, float(self._col_ok[gb])))
            ref_now = self._refresh_count(ra, x)
            valid = int(self._epoch[gb]) >= ref_now and self._open_row[gb] >= 0
            a = None
            if not (valid and self._open_row[gb] == row):
                if valid:  # row conflict: precharge the open row first
                    a = max(start, float(self._pre_ok[gb]), self._hold(gb)) + t["tRP"]
                else:
                    a = start
                a = self._act_slot(rk, ra, bg, a)
                x = a + t["tRCD"]
            s = self._bus_slot(chan, x + lat, ra, bg, w)
            x = s - lat
            ref_x = self._refresh_count(ra, x)
            if self._unblock(ra, x) == x and (a is None or self._refresh_count(ra, a) == ref_x):
                break
            if a is not None:  # undo the ACT reservation; retry after the refresh
                i = self._acts[rk].index(a)
                del self._acts[rk][i], self._act_bg[rk][i]
            start = self._unblock(ra, x)
            self._epoch[gb] = -1  # the refresh closed the row
        if a is not None and valid:
            prev = (int(self._open_row[gb]), int(self._epoch[gb]), float(self._col_ok[gb]), a - t["tRP"])
        self._book(chan, s, ra, bg, w, t0)
        if len(self._acts[rk]) > 256:
            k = bisect.bisect_left(self._acts[rk], t0 - 4 * t["tFAW"])
            del self._acts[rk][:k], self._act_bg[rk][:k]
        if a is not None:
            closing = self._closing[gb]
            returning = any(e[0] == row for e in closing)  # reopened after a conflict: streamed
            if prev is not None:
                closing.append(prev)
                if len(closing) > MAX_CLOSING:
                    del closing[0]
            self._streak[gb], self._last_req[gb], self._last_cas[gb] = 1 + returning, req, x
            self._c["row_misses"] += 1
            self._c["activates"] += 1
            self._e_act += spec.e_act_pJ
            self._col_ok[gb] = a + t["tRCD"]
            self._pre_ok[gb] = max(float(self._pre_ok[gb]), a + t["tRAS"])
        else:
            self._c["row_hits"] += 1
            if req != self._last_req[gb]:
                self._streak[gb] += 1
                self._last_req[gb] = req
        if x >= self._last_cas[gb]:
            self._last_cas[gb], self._last_col[gb] = x, col
        close = x + (t["CWL"] + self._tBL + t["tWR"] if w else t["tRTP"])
        self._pre_ok[gb] = max(float(self._pre_ok[gb]), close)
        self._open_row[gb] = row
        self._epoch[gb] = ref_x
        return s + self._tBL

    def _prune(self, chan: _Channel, t0: float) -> None:
        k = bisect.bisect_left(chan.ends, t0 - 256)
        del chan.starts[:k], chan.ends[:k], chan.meta[:k]

    def _drain(self, chan: _Channel, t: float) -> float:
        """Schedule every posted write of ``chan`` from cycle ``t``; return the last data end."""
        done = t
        for ch, ra, bg, ba, row, col, req in chan.wbuf:
            done = max(done, self._burst(ch, ra, bg, ba, row, col, req, True, t))
        chan.wbuf.clear()
        return done

    # ---------------------------------------------------------------- bulk path
    def _bulk_request(self, t: float, g0: int, n: int, w: bool) -> float:
        """Closed-form timing of a request of ``n`` bursts from global burst ``g0``."""
        spec, tm, lay, nr = self.spec, self._t, self._bulk, self.spec.ranks
        p, base = lay.plan(g0, n)
        fb = p["fb"]
        if nr == 1:
            ref_t = self._refresh_count(0, t)
            valid = self._epoch[fb] >= ref_t
        else:
            ref_t = np.array([self._refresh_count(r, t) for r in range(nr)])
            valid = self._epoch[fb] >= ref_t[p["fb_ra"]]
        open_rows = self._open_row[fb]
        hit = valid & (open_rows == (p["fb_row"] + base) % spec.rows)
        miss = ~hit
        n_acts = p["static_acts"] + int(np.count_nonzero(miss))
        if len(p["channels"]) == 1 and nr == 1:
            acts_rank = [n_acts] * spec.channels
        else:
            miss_rk = np.bincount(p["fb_rk"][miss], minlength=spec.channels * nr)
            acts_rank = (p["acts_rank"] + miss_rk).tolist()
        lat = tm["CWL"] if w else tm["CL"]
        pos0 = p["pos0"]
        reopen = (valid & (open_rows >= 0))[pos0].tolist()
        hit0, pre0 = hit[pos0].tolist(), self._pre_ok[p["b0"]].tolist()
        col0 = self._col_ok[p["b0"]].tolist() if any(hit0) else None
        done = t
        for i, (ch, n_c, static, shares, ra0, bg0, ra_l, bg_l) in enumerate(p["channels"]):
            if hit0[i]:
                d0 = max(t, col0[i]) + lat
            else:  # the first visit's bank must be (re)opened before data flows
                d0 = (max(t, pre0[i]) + tm["tRP"] if reopen[i] else t) + tm["tRCD"] + lat
            chan = self._ch[ch]
            dur = max(static, lay.act_span(max(acts_rank[ch * nr : ch * nr + nr])))
            if chan.starts:
                m = chan.meta[-1]
                tail = chan.ends[-1] + self._gap(m, ra0, bg0, w)
                if tail >= d0 and (m[2], m[3]) != (ra0, bg0):  # window spans both requests
                    dur = lay.overlap_previous(n_c, dur)
                d0 = max(d0, tail)
            d0 = self._unblock(ra0, d0)
            end = d0 + dur
            for r, share in shares:  # refreshes inside the transfer stall the ranks they hit
                lo, hi = self._ref_free[r]
                if lo <= d0 - tm["tRP"] and end < hi:
                    continue
                k = self._refresh_count(r, end) - self._refresh_count(r, d0 - tm["tRP"])
                if k:
                    end += k * share * tm["tRFC"]
            chan.starts.append(d0)
            chan.ends.append(end)
            chan.meta.append((ra0, bg0, ra_l, bg_l, w))
            if len(chan.starts) > 512:
                self._prune(chan, t)
            done = max(done, end)
        self._close_banks(p, base, done, w)
        self._c["row_misses"] += n_acts
        self._c["activates"] += n_acts
        self._c["row_hits"] += n - n_acts
        self._e_act += n_acts * spec.e_act_pJ
        return done


    def _close_banks(self, p: dict, base: int, done: float, w: bool) -> None:
        """After a bulk request: the last row each bank saw stays open."""
        spec, tm, nr = self.spec, self._t, self.spec.ranks
        lb = p["lb"]
        close = done + (tm["CWL"] + self._tBL + tm["tWR"] if w else tm["tRTP"])
        self._open_row[lb] = (p["lb_row"] + base) % spec.rows
        if nr == 1:
            self._epoch[lb] = self._refresh_count(0, done)
        else:
            ref_done = np.array([self._refresh_count(r, done) for r in range(nr)])
            self._epoch[lb] = ref_done[p["lb_ra"]]
        self._pre_ok[lb] = np.maximum(self._pre_ok[lb], close)
        for b in lb.tolist():
            self._closing[b], self._streak[b] = [], 0


def make_dram(cfg) -> DramModel:
    """A bank-level DRAM model for a JEDEC preset named by a ``DramConfig``."""
    return DramModel(resolve(cfg))
