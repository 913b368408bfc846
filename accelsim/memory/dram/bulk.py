"""Closed-form timing of large requests from their row visits (:mod:`.layout`).

Per channel the data time is the bursts at the bank-group limited rate (faster where the reorder
window spans two blocks in different bank groups or ranks), at least the time to issue the
request's ACTs (tRRD_S, tFAW) and tRC per reopened row in one bank. The first visit pays tRP (if
another row is open) + tRCD, refreshes inside the transfer stall the ranks they hit, and the
request follows the channel's earlier traffic on the bus (with turnaround gaps). Afterwards the
last row each bank saw stays open.
"""

from __future__ import annotations

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
        self.pause = (0.0, 0.0)
        """Of the last request (one channel): (share of its data before a refresh inside the
        transfer, the refresh's cycles); (0, 0) when none."""

    def request(self, t: float, g0: int, n: int, w: bool) -> float:
        """A request of ``n`` bursts from global burst ``g0`` arriving at ``t``; its data end."""
        spec, nr, b = self.spec, self.spec.ranks, self.banks
        p, base = self.layout.plan(g0, n)
        fb, epoch, open_row = p.fb, b.epoch, b.open_row
        nrows = spec.rows
        if nr == 1:
            ref = self.refresh.count(0, t)
            refs = [ref]
            hit = [epoch[g] >= ref and open_row[g] == (r + base) % nrows
                   for g, r in zip(fb, p.fb_row, strict=True)]
        else:
            refs = [self.refresh.count(r, t) for r in range(nr)]
            hit = [epoch[g] >= refs[ra] and open_row[g] == (r + base) % nrows
                   for g, ra, r in zip(fb, p.fb_ra, p.fb_row, strict=True)]
        n_acts = p.static_acts + len(fb) - sum(hit)
        if len(p.channels) == 1 and nr == 1:
            acts_rank = [n_acts] * spec.channels
        else:
            acts_rank = p.acts_rank.copy()
            for h, rk in zip(hit, p.fb_rk, strict=True):
                if not h:
                    acts_rank[rk] += 1
        d0s, lanes = self._first_data(p, t, hit, refs, w)
        done, start, end = t, [0.0] * spec.channels, [0.0] * spec.channels
        self.pause = (0.0, 0.0)
        for cp in p.channels:
            act_span = self.layout.act_span(max(acts_rank[cp.ch * nr : cp.ch * nr + nr]))
            start[cp.ch], end[cp.ch] = self._transfer(cp, d0s[cp.ch], lanes and lanes[cp.ch],
                                                      max(cp.static, act_span), w, t)
            done = max(done, end[cp.ch])
        closing = self._conflicts(p, t, hit, refs, start, w)
        self._close_banks(p, base, start, end, done, w)
        if closing:
            b.closing_from_bulk(closing)
        c = self.counts
        c["row_misses"] += n_acts
        c["activates"] += n_acts
        c["energy_act_pJ"] += n_acts * spec.e_act_pJ
        c["row_hits"] += n - n_acts
        return done

    def _conflicts(self, p: RequestPlan, t: float, hit: list, refs: list, start: list,
                   w: bool) -> list[tuple]:
        """The open rows the request's first visits close, as (bank, closing entry): each row
        stays open until its precharge, at the earliest the closed form allows, or until a
        refresh if one falls before its channel's first column command (``start``: data start per
        channel); a later hit on it can still be served first (FR-FCFS). Only rows that served
        bursts scheduled one by one are listed (a row only closed-form reads used is not read
        in small pieces later), nor those whose precharge comes before any later read could use
        them. Open page only."""
        if self.spec.closed_page:
            return []
        b, rf, tm, nr = self.banks, self.refresh, self.t, self.spec.ranks
        open_row, epoch, pre_ok, closing, small = b.open_row, b.epoch, b.pre_ok, b.closing, b.small
        lat, trp, refi = (tm.CWL if w else tm.CL), tm.tRP, tm.tREFI
        useful = t + tm.tRTP  # a read arriving at t or later cannot finish before this
        # per local rank: where the first refresh after t blocks commands
        first_block = [rf.offset[r] + ref * refi - trp for r, ref in enumerate(refs)]
        out = []
        for i, g in enumerate(p.fb):
            if not small[g] or hit[i]:  # only rows small reads used are worth listing
                continue
            small[g] = False  # the bank opens another row
            row = open_row[g]
            if row < 0:
                continue
            ra = p.fb_ra[i]
            if epoch[g] < refs[ra]:
                continue
            pre = pre_ok[g] if pre_ok[g] > t else t
            x0 = start[p.fb_rk[i] // nr] - lat  # the channel's first column command
            block = first_block[ra]
            if x0 >= block:  # a refresh falls between: the row may stay open until it
                if pre >= block + trp:  # the refresh after the precharge
                    block = rf.offset[ra] + rf.count(ra, pre) * refi - trp
                if x0 >= block:
                    pre = block
            if pre < useful:  # closed before any later read could use it
                if closing[g]:  # (an older entry for the row is stale now)
                    closing[g] = [e for e in closing[g] if e[0] != row]
                continue
            out.append((g, (row, epoch[g], b.col_ok[g], float(pre), b.arrivals[g])))
        return out

    def _first_data(self, p: RequestPlan, t: float, hit: list, refs: list, w: bool) -> tuple[list, list]:
        """Per channel: when every bank of its first block can deliver data, and when each bank
        whose first visit is in the reorder window (each lane) can, with its bursts there
        (None: one lane per channel; ``refs``: refresh count per local rank at ``t``)."""
        tm, b, closed = self.t, self.banks, self.spec.closed_page
        lat = tm.CWL if w else tm.CL
        d0 = [t] * self.spec.channels
        lanes: list[list] | None = [[] for _ in d0] if p.lanes else None
        for i, ch, gb, n, lead in p.lead_items:
            if hit[i]:
                ready = max(t, b.col_ok[gb]) + lat
            else:
                pre = b.pre_ok[gb]
                if closed:  # the bank precharged after its last access
                    ready = (max(t, pre + tm.tRP) if pre > 0 else t) + tm.tRCD + lat
                else:  # (re)opened before data flows
                    again = b.epoch[gb] >= refs[p.fb_ra[i]] and b.open_row[gb] >= 0
                    ready = (max(t, pre) + tm.tRP if again else t) + tm.tRCD + lat
            if lanes is not None:
                lanes[ch].append((ready, n))
            if lead and ready > d0[ch]:
                d0[ch] = ready
        return d0, lanes

    def _start(self, lanes: list, floor: float) -> float:
        """When a channel's data may start so that its bursts at the steady rate end no earlier
        than its lanes allow: lanes ready early (at ``floor`` at the earliest) start their
        bursts, one per tCCD_L and one per bus slot, while the later ones are not ready."""
        if max(lanes)[0] <= floor:  # every lane is ready before the bus is free
            return floor
        ready = sorted((max(r, floor), n) for r, n in lanes)
        r1 = start = ready[0][0]
        ccd, cpb = self.t.tCCD_L, self.layout.cpb_alone
        bus = max(self.spec.tBL, self.t.tCCD_S)
        for k in range(1, len(ready)):
            rk = ready[k][0]
            if rk == ready[k - 1][0]:
                continue
            started = sum(min(n, -((rj - rk) // ccd)) for rj, n in ready[:k])
            start = max(start, rk - min(started, -((r1 - rk) // bus)) * cpb)
        return start

    def _transfer(self, cp, d0: float, lanes: list | None, dur: float, w: bool,
                  t: float) -> tuple[float, float]:
        """Book one channel's share of a request whose first block's lanes are all ready at
        ``d0``, each as in ``lanes`` (None: one lane) (``dur`` cycles at the steady rate);
        (start, end)."""
        tm, bus, rf = self.t, self.buses[cp.ch], self.refresh
        tail = t
        if bus.starts:
            m = bus.meta[-1]
            tail = bus.ends[-1] + bus.gap(m, cp.ra0, cp.bg0, w)
            if lanes and (cp.bg_l != cp.bg0 or cp.ra_l != cp.ra0):  # FR-FCFS may start with
                tail = min(tail, bus.ends[-1] + bus.gap(m, cp.ra_l, cp.bg_l, w))  # another lane
            if tail >= d0 and (m[2], m[3]) != (cp.ra0, cp.bg0):  # window spans both requests
                dur = self.layout.overlap_previous(cp.n, dur)
        d0 = max(d0, tail) if not lanes or len(lanes) == 1 else self._start(lanes, tail)
        lat = tm.CWL if w else tm.CL  # refresh blocks column commands: data start - lat
        d0 = rf.unblock(cp.ra0, d0 - lat) + lat
        end = d0 + dur
        x0, x1 = d0 - lat, end - lat - self.spec.tBL  # first and last column command
        for r, share in cp.shares:  # refreshes inside the transfer stall the ranks they hit
            lo, hi = rf.free[r]
            if lo <= x0 and x1 < hi:
                continue
            k = rf.count(r, x1 + tm.tRP) - rf.count(r, x0)
            if k:
                end += k * share * tm.tRFC
                if len(cp.shares) == 1 and dur > 0:  # where the first one stops the data
                    stop = rf.offset[r] + rf.count(r, x0) * tm.tREFI - tm.tRP
                    self.pause = (min(1.0, max(0.0, (stop - x0) / dur)), k * share * tm.tRFC)
        bus.book(d0, end, (cp.ra0, cp.bg0, cp.ra_l, cp.bg_l, w), t)
        return d0, end

    def _close_banks(self, p: RequestPlan, base: int, start: list, end: list, done: float,
                     w: bool) -> None:
        """After a bulk request: the last row each bank saw stays open; a bank may precharge
        once its last block is done (its channel's transfer runs from ``start`` to ``end``)."""
        tm, b, spec = self.t, self.banks, self.spec
        after = tm.tWR if w else tm.tRTP - tm.CL - spec.tBL  # from the last data end
        # it precharges at ``close``; later hits come after its last column command here
        back = tm.tWR + spec.tBL + tm.CWL if w else tm.tRTP
        nrows, closed = spec.rows, spec.closed_page
        if len(p.channels) == 1 and spec.ranks == 1:  # the common case, in one pass
            ch = p.channels[0].ch
            span, s_after = end[ch] - start[ch], start[ch] + after
            ep = self.refresh.count(0, done)
            open_row, epoch, pre_ok, col_ok = b.open_row, b.epoch, b.pre_ok, b.col_ok
            for g, r, f in zip(p.lb, p.lb_row, p.lb_frac, strict=True):
                x = f * span + s_after
                open_row[g], epoch[g] = -1 if closed else (r + base) % nrows, ep
                if x > pre_ok[g]:
                    pre_ok[g] = x
                x -= back
                if x > col_ok[g]:
                    col_ok[g] = x
        else:
            close = [f * (end[c] - start[c]) + (start[c] + after)
                     for f, c in zip(p.lb_frac, p.lb_ch, strict=True)]
            rows = [-1 if closed else (r + base) % nrows for r in p.lb_row]
            if spec.ranks == 1:
                epochs = [self.refresh.count(0, done)] * len(close)
            else:
                epochs = [self.refresh.count(r, x - after) for r, x in zip(p.lb_ra, close, strict=True)]
            b.close_rows(p.lb, rows, epochs, close, back)
        if b.tracked:
            b.forget_streams(p.lb)
