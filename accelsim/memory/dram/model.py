"""Bank-level DRAM controller behind the engine's ``MemoryModel`` interface.

A request (one tile) is cut into bursts by the address mapping. The parts, each behind a small
interface and each in its own module:

* :class:`~.presets.DramSpec` — the DRAM as data (organisation, :class:`~.presets.Timing`, energies);
* :class:`~.mapper.AddressMapper` — burst index → channel, rank, bank group, bank, row, column;
* :class:`~.refresh.Refresh` — all-bank refresh per rank;
* :class:`~.banks.BankState` and :class:`~.bus.Bus` — per-bank rows and per-channel data bus;
* :class:`~.scheduler.BurstScheduler` — FR-FCFS at burst granularity for small requests
  (at most ``SMALL_BURSTS`` bursts);
* :class:`~.bulk.BulkTimer` — larger requests in closed form from their row visits, on the same
  state (exact where they stream whole rows; they occupy their channel's bus in arrival order).

Time is kept in DRAM clock cycles internally; the interface speaks ns.
"""

from __future__ import annotations

import math

from accelsim.memory.dram.banks import BankState
from accelsim.memory.dram.bulk import BulkTimer
from accelsim.memory.dram.bus import Bus
from accelsim.memory.dram.mapper import AddressMapper
from accelsim.memory.dram.presets import PRESET_NAMES, DramSpec, resolve
from accelsim.memory.dram.refresh import Refresh
from accelsim.memory.dram.scheduler import BurstScheduler, queue_bursts

__all__ = ["PRESET_NAMES", "DramModel", "make_dram"]

SMALL_BURSTS = 8  # per channel: requests up to this many bursts per channel are scheduled burst by burst
_COUNTER_KEYS = (
    "read_bytes", "write_bytes", "requests", "bursts", "row_hits", "row_misses", "activates",
    "energy_act_pJ",
)  # fmt: skip


class DramModel:
    """A multi-channel DRAM system (one :class:`DramSpec`) with persistent bank state."""

    def __init__(self, spec: DramSpec) -> None:
        self.spec = spec
        self.name = spec.name
        self.peak_GBps = spec.peak_GBps
        self.burst_B = spec.burst_bytes
        self.pause = (0.0, 0.0)
        """Of the last request: (share of its data in before a refresh inside it, the refresh's
        ns); (0, 0) when none."""
        self.burst_ends: list[float] | None = None
        """Of the last request, a read scheduled burst by burst: when each of its bursts' data
        is in (ns, address order); None otherwise."""
        self.mapper = AddressMapper(spec)
        self.banks = BankState(self.mapper.n_banks, spec.bursts_per_row, queue_bursts(spec) * spec.tBL,
                               spec.timing.tCCD_L)
        self.refresh = Refresh(spec.timing, spec.ranks)
        self.buses = [Bus(spec.timing, spec.tBL) for _ in range(spec.channels)]
        self._c = dict.fromkeys(_COUNTER_KEYS, 0.0)
        parts = (self.banks, self.refresh, self.buses, self._c)
        self.scheduler = BurstScheduler(spec, self.mapper, *parts)
        self.bulk = BulkTimer(spec, self.mapper.radix, *parts)
        self._e_rdwr = 0.0
        self._t_max = 0.0
        self._req = 0
        self._small = SMALL_BURSTS * spec.channels
        self._bg_mW = spec.p_bg_mW * spec.channels * spec.ranks
        self._head = queue_bursts(spec) * spec.channels  # a large read's bursts in the reorder window
        below_co = spec.mapping[spec.mapping.index("Co") + 1 :]
        self._lanes = math.prod(self.mapper.radix[f] for f in below_co)  # bursts interleaved
        per_ch = self._lanes // (spec.channels if "Ch" in below_co else 1)  # lanes per channel
        self._round = (per_ch - 1) * self.bulk.layout.cpb_alone  # a round in consecutive slots
        self._tck, self._bb, self._tctrl = spec.tCK_ns, spec.burst_bytes, spec.timing.tCTRL
        self._e_burst = (spec.e_rd_burst_pJ, spec.e_wr_burst_pJ)  # by ``write``
        self._refreshes = (0.0, 0)  # (t_max, refreshes by then): counters() between requests

    def request(self, t_ns: float, addr: int, nbytes: int, write: bool) -> float:
        """Issue one request at ``t_ns``; return when its data is done (read) or accepted."""
        if nbytes <= 0:
            return t_ns
        t = t_ns / self._tck
        bb = self._bb
        g0 = addr // bb
        n = -(-(addr + nbytes) // bb) - g0
        c = self._c
        c["write_bytes" if write else "read_bytes"] += nbytes
        c["requests"] += 1
        c["bursts"] += n
        self._e_rdwr += n * self._e_burst[write]
        self._req += 1
        self.pause = (0.0, 0.0)
        self.burst_ends = None
        if n > self._small:
            done = self._large(t, g0, n, write)
        elif write:
            done = self.scheduler.write(t, g0, n, self._req)
        else:
            done = self.scheduler.read(t, g0, n, self._req)
            tck, ctrl = self._tck, self._tctrl
            self.burst_ends = [(e + ctrl) * tck for e in self.scheduler.ends]
        done += self._tctrl
        if done > self._t_max:
            self._t_max = done
        return float(done * self._tck)

    def _large(self, t: float, g0: int, n: int, write: bool) -> float:
        """A large request: in closed form, unless it is a read and a channel's bus has free
        slots before its earlier traffic ends; then its bursts are scheduled one by one
        (FR-FCFS with that traffic) until a whole round of the mapping's lanes (consecutive
        bursts on different bank groups / channels) lands at the end of everything booked, in
        consecutive bus slots, and the rest follows in closed form."""
        buses = self.buses
        done, k, lanes = t, 0, self._lanes
        split = not write and (buses[0].free_before(t) if len(buses) == 1 else
                               any(bus.free_before(t) for bus in buses))
        ends: list[float] = []
        while split and k < min(n, self._head):
            end = self.scheduler.read(t, g0 + k, 1, self._req)
            done, k = max(done, end), k + 1
            ends = ends + [end] if end >= buses[self.mapper.decode(g0 + k - 1).ch].ends[-1] else []
            if len(ends) >= lanes and max(ends[-lanes:]) - min(ends[-lanes:]) <= self._round:
                break
        if k == n:
            return done
        done = max(done, self.bulk.request(t, g0 + k, n - k, write))
        frac, cycles = self.bulk.pause
        if cycles:  # the pause's place in the whole request: after the bursts scheduled one by one
            self.pause = ((k + frac * (n - k)) / n, cycles * self._tck)
        return done

    def flush(self, t_ns: float) -> float:
        """Drain every posted write; return when the last one is on the bus (ns)."""
        t = t_ns / self.spec.tCK_ns
        done = t
        for bus in self.buses:
            done = max(done, self.scheduler.drain(bus, t))
        self._t_max = max(self._t_max, done)
        return done * self.spec.tCK_ns

    def counters(self) -> dict[str, float]:
        """Cumulative statistics; background and refresh energy accrue up to the latest time."""
        s = self.spec
        if self._refreshes[0] != self._t_max:
            self._refreshes = (self._t_max, self.refresh.issued(self._t_max) * s.channels)
        refreshes = self._refreshes[1]
        e_ref = refreshes * s.e_ref_pJ
        e_bg = self._bg_mW * self._t_max * s.tCK_ns
        e_rdwr = self._e_rdwr
        return {**self._c, "refreshes": float(refreshes), "energy_rdwr_pJ": e_rdwr,
                "energy_ref_pJ": e_ref, "energy_bg_pJ": e_bg,
                "energy_pJ": self._c["energy_act_pJ"] + e_rdwr + e_ref + e_bg}


def make_dram(cfg) -> DramModel:
    """A bank-level DRAM model for a JEDEC preset named by a ``DramConfig``."""
    return DramModel(resolve(cfg))
