"""Row-visit layout of large DRAM requests: which rows a contiguous burst range touches and the
steady-state time per channel (used by :mod:`accelsim.memory.dram.bulk`).

One :class:`BulkLayout` per DRAM spec and mapping (memoised by :func:`layout_for`, so the models
of a baseline and of every sweep point with the same DRAM share it); each layout caches the
:class:`RequestPlan` of every (offset within one sweep of all banks, length) it has seen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from accelsim.memory.dram.presets import DramSpec
from accelsim.memory.dram.scheduler import queue_bursts

MAX_PLANS = 20000  # plans kept per layout


class ChannelPlan(NamedTuple):
    """One channel's share of a request: bursts, static duration, rank shares, and the
    (rank, bank group) of its first and last burst."""

    ch: int
    n: int
    static: float
    shares: list[tuple[int, float]]
    ra0: int
    bg0: int
    ra_l: int
    bg_l: int


@dataclass(frozen=True, slots=True)
class RequestPlan:
    """The static structure of a request: first/last visit of every bank it touches (``fb``,
    ``lb``: global banks; rows relative to the request's sweep; ranks), the ACTs it needs
    among its own visits, and per channel a :class:`ChannelPlan`."""

    fb: list[int]
    fb_row: list[int]
    fb_rk: list[int]
    fb_ra: list[int]
    lb: list[int]
    lb_row: list[int]
    lb_ra: list[int]
    lb_ch: list[int]  # channel of each last visit
    lb_frac: list[float]  # share of its channel's bursts done when each last visit's block ends
    static_acts: int
    channels: tuple[ChannelPlan, ...]
    lead_items: tuple[tuple[int, int, int, int, bool], ...]  # banks whose first visit starts in
    # the reorder window of its channel: (index in fb, channel, global bank, bursts of that
    # visit, whether it is in the channel's first block)
    lanes: bool  # whether some channel has more than one lead item
    acts_rank: list[int]  # static ACTs per global rank


@lru_cache(maxsize=32)
def layout_for(spec: DramSpec, radix: tuple[tuple[str, int], ...]) -> BulkLayout:
    """The shared layout of one DRAM spec (timing included: durations depend on it)."""
    return BulkLayout(spec, dict(radix))


class BulkLayout:
    """Row visits of a contiguous burst range and their steady-state duration per channel.

    Fields below ``Co`` in the mapping are *lanes* (interleaved burst by burst); a *block* is
    one row's worth of bursts in every lane; fields above ``Co`` change from block to block.
    The static part of a request (its *plan*) depends only on its offset within one sweep of
    all banks and its length, so plans are cached.
    """

    def __init__(self, spec: DramSpec, radix: dict[str, int]) -> None:
        t = spec.timing
        self.spec = spec
        self._plans: dict[tuple[int, int], RequestPlan] = {}
        self.q = spec.queue_depth
        self.window = queue_bursts(spec)  # bursts a rank's controller queue can reorder
        m = list(spec.mapping)
        self.n_ch = spec.channels
        self.p_below_ch = math.prod(radix[f] for f in m[m.index("Ch") + 1 :])
        self.period = math.prod(radix[f] for f in m[1:]) if m[0] == "Ro" else 0
        local = [f for f in m if f != "Ch"]
        j = local.index("Co")
        low = [(f, radix[f]) for f in local[j + 1 :]]
        high = [(f, radix[f]) for f in local[:j]]
        self.p_low = math.prod(r for _, r in low)
        self.r_co = radix["Co"]
        self.block = self.r_co * self.p_low
        lanes = dict(low)
        lanes_rbg = lanes.get("Ra", 1) * lanes.get("Bg", 1)
        bus = max(spec.tBL, t.tCCD_S)
        switch = 0.0
        if lanes.get("Ra", 1) > 1:  # ranks alternate inside a block: one switch per period
            below_ra = math.prod(r for f, r in low[[f for f, _ in low].index("Ra") + 1 :])
            switch = t.tRTRS / below_ra
        self.cpb_alone = max(bus, t.tCCD_L / lanes_rbg) + switch
        # the reorder window overlaps consecutive blocks; they differ in the lowest high field
        up = next((f for f, r in reversed(high) if r > 1), None)
        pair = lanes_rbg * 2 if up in ("Bg", "Ra") else lanes_rbg
        pair_switch = t.tRTRS / 2 if up == "Ra" else switch
        self.cpb_pair = min(self.cpb_alone, max(bus, t.tCCD_L / pair) + pair_switch)
        self.t_faw, self.t_rrd = max(t.tFAW, 4 * t.tRRD_S), t.tRRD_S
        self.t_rc = t.tRC
        self.low_div = self._divisors(low)
        self.high_div = self._divisors(high)

    @staticmethod
    def _divisors(fields: list[tuple[str, int]]) -> list[tuple[str, int, int]]:
        out, div = [], 1
        for f, r in reversed(fields):
            out.append((f, div, r))
            div *= r
        return out

    def _local(self, g: int) -> np.ndarray:
        """Per channel: the first channel-local burst index at or after global burst ``g``."""
        p = self.p_below_ch
        hi, rem = divmod(g, self.n_ch * p)
        ch, lo = divmod(rem, p)
        out = np.arange(self.n_ch)
        return np.where(out == ch, hi * p + lo, (hi + (out < ch)) * p)

    def visits(self, g0: int, n: int) -> tuple[np.ndarray, ...]:
        """Row visits in time order, channel-major: channel, global bank, row, bursts, block
        index; and the number of blocks per channel."""
        spec = self.spec
        l0, l1 = self._local(g0), self._local(g0 + n)
        k0, k1 = int(l0.min()) // self.block, (int(l1.max()) - 1) // self.block + 1
        kb = np.arange(k0, k1)
        lane = np.arange(self.p_low)
        base = kb[None, :, None] * self.block + lane[None, None, :]
        lo = -((base - l0[:, None, None]) // self.p_low)
        hi = -((base - l1[:, None, None]) // self.p_low)
        count = np.clip(hi, 0, self.r_co) - np.clip(lo, 0, self.r_co)
        keep = count > 0
        ch, kbi, li = np.nonzero(keep)
        d = {"Ra": 0, "Bg": 0, "Ba": 0, "Ro": 0}
        for digits, table in ((kb[kbi], self.high_div), (li, self.low_div)):
            for f, div, r in table:
                d[f] = (digits // div) % r
        bank = ((ch * spec.ranks + d["Ra"]) * spec.bankgroups + d["Bg"]) * spec.banks_per_group
        bank = np.asarray(bank + d["Ba"], dtype=np.int64)
        row = np.broadcast_to(np.asarray(d["Ro"], dtype=np.int64), bank.shape)
        blocks = np.where(l1 > l0, (l1 - 1) // self.block - l0 // self.block + 1, 0)
        return ch, bank, row, count[keep], kbi, blocks

    def plan(self, g0: int, n: int) -> tuple[RequestPlan, int]:
        """The cached static structure of a request, and its row offset."""
        base, r0 = divmod(g0, self.period) if self.period else (0, g0)
        p = self._plans.get((r0, n))
        if p is None:
            if len(self._plans) > MAX_PLANS:
                self._plans.clear()
            p = self._plans[(r0, n)] = self._make_plan(r0, n)
        return p, base

    def _make_plan(self, g0: int, n: int) -> RequestPlan:
        spec, nr = self.spec, self.spec.ranks
        nb = spec.banks_per_rank
        vch, gb, row, cnt, kbi, blocks = self.visits(g0, n)
        frac = self._block_end_share(vch, kbi, cnt)
        leading, window = self._leading(vch, kbi, cnt)
        rk = gb // nb
        order = np.argsort(gb, kind="stable")
        gbs, rows, rks = gb[order], row[order], rk[order]
        first = np.ones(len(gbs), dtype=bool)
        first[1:] = gbs[1:] != gbs[:-1]
        last = np.append(first[1:], True)
        again = ~first & (rows != np.roll(rows, 1))  # a bank revisited with another row
        fb = gbs[first]
        n_c = np.bincount(vch, weights=cnt, minlength=self.n_ch)
        per_rank = np.bincount(rk, weights=cnt, minlength=self.n_ch * nr).reshape(-1, nr)
        bank_acts = 1 + np.bincount(gbs[again], minlength=self.n_ch * nb).reshape(self.n_ch, -1)
        channels = []
        for ch in np.flatnonzero(n_c).tolist():
            i0 = int(np.searchsorted(vch, ch))
            il = int(np.searchsorted(vch, ch, side="right")) - 1
            b0, bl = int(gb[i0]), int(gb[il])
            shares = [(r, float(s) / float(n_c[ch])) for r, s in enumerate(per_rank[ch]) if s > 0]
            static = self.duration(int(n_c[ch]), int(blocks[ch]), float(bank_acts[ch].max()))
            channels.append(ChannelPlan(
                ch, int(n_c[ch]), static, shares, (b0 // nb) % nr,
                (b0 // spec.banks_per_group) % spec.bankgroups,
                (bl // nb) % nr, (bl // spec.banks_per_group) % spec.bankgroups,
            ))  # fmt: skip
        lead, win = leading[order][first], window[order][first]
        return RequestPlan(
            fb=fb.tolist(), fb_row=rows[first].tolist(), fb_rk=rks[first].tolist(),
            fb_ra=(rks[first] % nr).tolist(), lb=gbs[last].tolist(), lb_row=rows[last].tolist(),
            lb_ra=(rks[last] % nr).tolist(), lb_ch=(rks[last] // nr).tolist(),
            lb_frac=frac[order][last].tolist(), static_acts=int(again.sum()), channels=tuple(channels),
            lead_items=tuple(zip(np.flatnonzero(win).tolist(), (rks[first] // nr)[win].tolist(),
                                 gbs[first][win].tolist(), cnt[order][first][win].tolist(),
                                 lead[win].tolist(), strict=True)),
            lanes=int(win.sum()) > len(channels),
            acts_rank=np.bincount(rks[again], minlength=self.n_ch * nr).tolist(),
        )

    def _leading(self, vch: np.ndarray, kbi: np.ndarray, cnt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per visit (in :meth:`visits` order): whether it is in its channel's first block, and
        whether its block starts within the channel's first ``queue_bursts`` bursts (the
        controller can reorder those)."""
        first_kb = np.full(self.n_ch, np.iinfo(np.int64).max)
        np.minimum.at(first_kb, vch, kbi)
        new_ch = np.insert(vch[1:] != vch[:-1], 0, True)
        new_block = new_ch | np.insert(kbi[1:] != kbi[:-1], 0, False)
        before = np.cumsum(cnt) - cnt
        block_pos = before[np.flatnonzero(new_block)][np.cumsum(new_block) - 1]
        ch_pos = before[np.flatnonzero(new_ch)][np.cumsum(new_ch) - 1]
        return kbi == first_kb[vch], block_pos - ch_pos < self.window

    def _block_end_share(self, vch: np.ndarray, kbi: np.ndarray, cnt: np.ndarray) -> np.ndarray:
        """Per visit (in :meth:`visits` order): the share of its channel's bursts done when its
        block ends (the lanes of a block interleave, so its visits end together)."""
        cum = np.cumsum(cnt, dtype=float)
        last = np.append((vch[1:] != vch[:-1]) | (kbi[1:] != kbi[:-1]), True)
        group_end = cum[np.flatnonzero(last)][np.cumsum(last) - last]
        first_ch = np.insert(vch[1:] != vch[:-1], 0, True)
        ch_start = (cum - cnt)[np.flatnonzero(first_ch)][np.cumsum(first_ch) - 1]
        ch_end = cum[np.flatnonzero(np.append(vch[1:] != vch[:-1], True))][np.cumsum(first_ch) - 1]
        return (group_end - ch_start) / (ch_end - ch_start)

    def duration(self, n: int, blocks: int, acts_bank: float) -> float:
        """Data-bus cycles for ``n`` bursts of one channel spread over ``blocks`` blocks,
        at least ``acts_bank - 1`` row cycles when a bank reopens rows."""
        straddled = min(n, (blocks - 1) * 2 * min(self.q, self.block))
        bus = n * self.cpb_alone - straddled * (self.cpb_alone - self.cpb_pair)
        return max(bus, max(acts_bank - 1, 0) * self.t_rc)

    def act_span(self, acts: int) -> float:
        """Cycles to issue ``acts`` ACTs on one rank (4 per tFAW, tRRD_S apart) plus a burst."""
        k = max(acts - 1, 0)
        return (k // 4) * self.t_faw + (k % 4) * self.t_rrd + self.spec.tBL if acts else 0.0

    def overlap_previous(self, n: int, dur: float) -> float:
        """``dur`` shortened by the reorder window overlapping the previous request's tail."""
        saving = 2 * min(self.q, n, self.block) * (self.cpb_alone - self.cpb_pair)
        return max(n * self.cpb_pair, dur - saving)


