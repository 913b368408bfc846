"""Closed-form timing of large requests from their row visits (:mod:`.layout`).

Per channel the data time is the bursts at the bank-group limited rate (faster where the reorder
window spans two blocks in different bank groups or ranks), at least the time to issue the
request's ACTs (tRRD_S, tFAW) and tRC per reopened row in one bank. The first visit pays tRP (if
another row is open) + tRCD, refreshes inside the transfer stall the ranks they hit, and the
request follows the channel's earlier traffic on the bus (with turnaround gaps). Afterwards the
last row each bank saw stays open.
"""

from __future__ import annotations

import numpy as np

from accelsim.memory.dram.banks import BankState
from accelsim.memory.dram.bus import Bus
from accelsim.memory.dram.layout import RequestPlan, layout_for
from accelsim.memory.dram.presets import DramSpec
from accelsim.memory.dram.refresh import Refresh


class BulkTimer:
    """Times large requests on the same bank, bus and refresh state as the burst scheduler."""

    def __init__(self, spec: DramSpec, radix: dict[str, int], banks: BankState, refresh: Refresh,
                 buses: list[Bus], counts: dict) -> None:
        self.spec, self.t = spec, spec.timing
        self.layout = layout_for(spec, tuple(radix.items()))
        self.banks, self.refresh, self.buses, self.counts = banks, refresh, buses, counts

    def _refresh_counts(self, x: float, ra_of):
        """Refresh counts at ``x`` indexed like ``ra_of`` (local ranks); scalar for one rank."""
        return np.array([self.refresh.count(r, x) for r in range(self.spec.ranks)])[ra_of]

    def _refresh_counts_each(self, x: np.ndarray, ra: np.ndarray) -> np.ndarray:
        """Refresh counts of local ranks ``ra`` at cycles ``x`` (elementwise)."""
        return np.array([self.refresh.count(int(r), float(v)) for r, v in zip(ra, x, strict=True)])

    def request(self, t: float, g0: int, n: int, w: bool) -> float:
        """A request of ``n`` bursts from global burst ``g0`` arriving at ``t``; its data end."""
        spec, nr, b = self.spec, self.spec.ranks, self.banks
        p, base = self.layout.plan(g0, n)
        fb = p.fb_idx
        valid = b.epoch[fb] >= (self.refresh.count(0, t) if nr == 1 else
                                self._refresh_counts(t, p.fb_ra))
        open_rows = b.open_row[fb]
        hit = valid & (open_rows == ((p.fb_row + base) % spec.rows if base else p.fb_row))
        n_acts = p.static_acts + len(p.fb) - int(np.count_nonzero(hit))
        if len(p.channels) == 1 and nr == 1:
            acts_rank = [n_acts] * spec.channels
        else:
            miss_rk = np.bincount(p.fb_rk[~hit], minlength=spec.channels * nr)
            acts_rank = (p.acts_rank + miss_rk).tolist()
        d0s = self._first_data(p, t, hit, valid, open_rows, w)
        done, start, end = t, [0.0] * spec.channels, [0.0] * spec.channels
        for cp in p.channels:
            act_span = self.layout.act_span(max(acts_rank[cp.ch * nr : cp.ch * nr + nr]))
            start[cp.ch], end[cp.ch] = self._transfer(cp, d0s[cp.ch], max(cp.static, act_span), w, t)
            done = max(done, end[cp.ch])
        self._close_banks(p, base, start, end, done, w)
        self.counts["row_misses"] += n_acts
        self.counts["activates"] += n_acts
        self.counts["energy_act_pJ"] += n_acts * spec.e_act_pJ
        self.counts["row_hits"] += n - n_acts
        return done

    def _first_data(self, p: RequestPlan, t: float, hit: np.ndarray, valid: np.ndarray,
                    open_rows: np.ndarray, w: bool) -> list[float]:
        """Per channel: when the banks of its first block (every lane) can all deliver data."""
        tm, b, closed = self.t, self.banks, self.spec.closed_page
        lat = tm.CWL if w else tm.CL
        d0 = [t] * self.spec.channels
        for i, ch, gb in p.lead_items:
            if hit[i]:
                ready = max(t, float(b.col_ok[gb])) + lat
            else:
                pre = float(b.pre_ok[gb])
                if closed:  # the bank precharged after its last access
                    ready = (max(t, pre + tm.tRP) if pre > 0 else t) + tm.tRCD + lat
                else:  # (re)opened before data flows
                    again = valid[i] and open_rows[i] >= 0
                    ready = (max(t, pre) + tm.tRP if again else t) + tm.tRCD + lat
            if ready > d0[ch]:
                d0[ch] = ready
        return d0

    def _transfer(self, cp, d0: float, dur: float, w: bool, t: float) -> tuple[float, float]:
        """Book one channel's share of a request from ``d0`` (``dur`` cycles); (start, end)."""
        tm, bus, rf = self.t, self.buses[cp.ch], self.refresh
        if bus.starts:
            m = bus.meta[-1]
            tail = bus.ends[-1] + bus.gap(m, cp.ra0, cp.bg0, w)
            if tail >= d0 and (m[2], m[3]) != (cp.ra0, cp.bg0):  # window spans both requests
                dur = self.layout.overlap_previous(cp.n, dur)
            d0 = max(d0, tail)
        d0 = rf.unblock(cp.ra0, d0)
        end = d0 + dur
        for r, share in cp.shares:  # refreshes inside the transfer stall the ranks they hit
            lo, hi = rf.free[r]
            if lo <= d0 - tm.tRP and end < hi:
                continue
            k = rf.count(r, end) - rf.count(r, d0 - tm.tRP)
            if k:
                end += k * share * tm.tRFC
        bus.book(d0, end, (cp.ra0, cp.bg0, cp.ra_l, cp.bg_l, w), t)
        return d0, end

    def _close_banks(self, p: RequestPlan, base: int, start: list, end: list, done: float,
                     w: bool) -> None:
        """After a bulk request: the last row each bank saw stays open; a bank may precharge
        once its last block is done (its channel's transfer runs from ``start`` to ``end``)."""
        tm, b, lb = self.t, self.banks, p.lb_idx
        after = tm.tWR if w else tm.tRTP - tm.CL - self.spec.tBL  # from the last data end
        if len(p.channels) == 1:
            ch = p.channels[0].ch
            close = p.lb_frac * (end[ch] - start[ch]) + (start[ch] + after)
        else:
            s0 = np.asarray(start)[p.lb_ch]
            close = p.lb_frac * (np.asarray(end)[p.lb_ch] - s0) + (s0 + after)
        nrows = self.spec.rows
        rows = p.lb_row if not base else (p.lb_row + base if p.lb_row_max + base < nrows else
                                          (p.lb_row + base) % nrows)
        b.open_row[lb] = -1 if self.spec.closed_page else rows
        b.epoch[lb] = (self.refresh.count(0, done) if self.spec.ranks == 1 else
                       self._refresh_counts_each(close - after, p.lb_ra))
        # it precharges at ``close``; later hits come after its last column command here
        back = tm.tWR + self.spec.tBL + tm.CWL if w else tm.tRTP
        for arr, value in ((b.pre_ok, close), (b.col_ok, close - back)):
            cur = arr[lb]
            np.maximum(cur, value, out=cur)
            if not isinstance(lb, slice):
                arr[lb] = cur
        if b.tracked:
            b.forget_streams(p.lb)
