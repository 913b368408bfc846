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

from accelsim.memory.dram.banks import BankState
from accelsim.memory.dram.bulk import BulkTimer
from accelsim.memory.dram.bus import Bus
from accelsim.memory.dram.mapper import AddressMapper
from accelsim.memory.dram.presets import PRESET_NAMES, DramSpec, resolve
from accelsim.memory.dram.refresh import Refresh
from accelsim.memory.dram.scheduler import BurstScheduler, queue_bursts

__all__ = ["PRESET_NAMES", "DramModel", "make_dram"]

SMALL_BURSTS = 8
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

    def request(self, t_ns: float, addr: int, nbytes: int, write: bool) -> float:
        """Issue one request at ``t_ns``; return when its data is done (read) or accepted."""
        if nbytes <= 0:
            return t_ns
        s = self.spec
        t = t_ns / s.tCK_ns
        bb = s.burst_bytes
        g0 = addr // bb
        n = -(-(addr + nbytes) // bb) - g0
        c = self._c
        c["write_bytes" if write else "read_bytes"] += nbytes
        c["requests"] += 1
        c["bursts"] += n
        self._e_rdwr += n * (s.e_wr_burst_pJ if write else s.e_rd_burst_pJ)
        self._req += 1
        if n > SMALL_BURSTS:
            done = self.bulk.request(t, g0, n, write)
        elif write:
            done = self.scheduler.write(t, g0, n, self._req)
        else:
            done = self.scheduler.read(t, g0, n, self._req)
        done += s.timing.tCTRL
        self._t_max = max(self._t_max, done)
        return float(done * s.tCK_ns)

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
        refreshes = self.refresh.issued(self._t_max) * s.channels
        e_act = self._c["energy_act_pJ"]
        e_ref = refreshes * s.e_ref_pJ
        e_bg = s.p_bg_mW * s.channels * s.ranks * self._t_max * s.tCK_ns
        out = dict(self._c)
        out.update(
            refreshes=float(refreshes),
            energy_rdwr_pJ=self._e_rdwr,
            energy_ref_pJ=e_ref,
            energy_bg_pJ=e_bg,
            energy_pJ=e_act + self._e_rdwr + e_ref + e_bg,
        )
        return out


def make_dram(cfg) -> DramModel:
    """A bank-level DRAM model for a JEDEC preset named by a ``DramConfig``."""
    return DramModel(resolve(cfg))
