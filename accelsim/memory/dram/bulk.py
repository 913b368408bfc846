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

    def request(self, t: float, g0: int, n: int, w: bool) -> float:
        """A request of ``n`` bursts from global burst ``g0`` arriving at ``t``; its data end."""
        spec, tm, nr, b = self.spec, self.t, self.spec.ranks, self.banks
        p, base = self.layout.plan(g0, n)
        fb = p.fb
        valid = b.epoch[fb] >= (self.refresh.count(0, t) if nr == 1 else
                                self._refresh_counts(t, p.fb_ra))
        open_rows = b.open_row[fb]
        hit = valid & (open_rows == (p.fb_row + base) % spec.rows)
        miss = ~hit
        n_acts = p.static_acts + int(np.count_nonzero(miss))
        if len(p.channels) == 1 and nr == 1:
            acts_rank = [n_acts] * spec.channels
        else:
            miss_rk = np.bincount(p.fb_rk[miss], minlength=spec.channels * nr)
            acts_rank = (p.acts_rank + miss_rk).tolist()
        lat = tm.CWL if w else tm.CL
        reopen = (valid & (open_rows >= 0))[p.pos0].tolist()
        hit0, pre0 = hit[p.pos0].tolist(), b.pre_ok[p.b0].tolist()
        col0 = b.col_ok[p.b0].tolist() if any(hit0) else None
        done = t
        for i, cp in enumerate(p.channels):
            if hit0[i]:
                d0 = max(t, col0[i]) + lat
            elif spec.closed_page:  # the bank precharged after its last access
                d0 = max(t, pre0[i] + tm.tRP if pre0[i] > 0 else t) + tm.tRCD + lat
            else:  # the first visit's bank must be (re)opened before data flows
                d0 = (max(t, pre0[i]) + tm.tRP if reopen[i] else t) + tm.tRCD + lat
            act_span = self.layout.act_span(max(acts_rank[cp.ch * nr : cp.ch * nr + nr]))
            done = max(done, self._transfer(cp, d0, max(cp.static, act_span), w, t))
        self._close_banks(p, base, done, w)
        self.counts["row_misses"] += n_acts
        self.counts["activates"] += n_acts
        self.counts["energy_act_pJ"] += n_acts * spec.e_act_pJ
        self.counts["row_hits"] += n - n_acts
        return done

    def _transfer(self, cp, d0: float, dur: float, w: bool, t: float) -> float:
        """Book one channel's share of a request from ``d0`` (``dur`` cycles); its end."""
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
        return end

    def _close_banks(self, p: RequestPlan, base: int, done: float, w: bool) -> None:
        """After a bulk request: the last row each bank saw stays open."""
        tm, b, lb = self.t, self.banks, p.lb
        close = done + (tm.CWL + self.spec.tBL + tm.tWR if w else tm.tRTP)
        b.open_row[lb] = -1 if self.spec.closed_page else (p.lb_row + base) % self.spec.rows
        b.epoch[lb] = (self.refresh.count(0, done) if self.spec.ranks == 1 else
                       self._refresh_counts(done, p.lb_ra))
        b.pre_ok[lb] = np.maximum(b.pre_ok[lb], close)
        if b.tracked:
            b.forget_streams(lb)
