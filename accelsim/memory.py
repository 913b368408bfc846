"""The off-chip memory interface the engine sees, plus the ``ideal`` and ``simple`` models.

A memory model is stateful and is called in non-decreasing time order (simulation order):

``request(t_ns, addr, nbytes, write) -> t_done_ns``
    Issue one request (a whole tile of one stream) at ``t_ns``; returns when its last byte
    has arrived (read) or been accepted (write). The model keeps its own bus/bank state, so
    concurrent streams contend for bandwidth.
``counters() -> dict[str, float]``
    Cumulative statistics: at least ``read_bytes``, ``write_bytes``, ``energy_pJ``; bank-level
    models add ``row_hits``, ``row_misses`` ... The engine takes differences per layer.
``peak_GBps``
    Peak bandwidth (roofline, bound checks).
"""

from __future__ import annotations

from typing import Protocol


class MemoryModel(Protocol):
    name: str
    peak_GBps: float

    def request(self, t_ns: float, addr: int, nbytes: int, write: bool) -> float: ...

    def counters(self) -> dict[str, float]: ...


class _Counting:
    """Byte counters shared by the analytic models."""

    energy_pJ_per_bit = 0.0

    def __init__(self) -> None:
        self._c = {"read_bytes": 0.0, "write_bytes": 0.0, "requests": 0.0, "energy_pJ": 0.0}

    def _count(self, nbytes: int, write: bool) -> None:
        self._c["write_bytes" if write else "read_bytes"] += nbytes
        self._c["requests"] += 1
        self._c["energy_pJ"] += nbytes * 8 * self.energy_pJ_per_bit

    def counters(self) -> dict[str, float]:
        return dict(self._c)


class IdealMemory(_Counting):
    """Infinite bandwidth, zero latency: every request completes when issued."""

    name = "ideal"
    peak_GBps = float("inf")

    def request(self, t_ns: float, addr: int, nbytes: int, write: bool) -> float:
        self._count(nbytes, write)
        return t_ns


class SimpleMemory(_Counting):
    """One shared bus at ``peak_GBps × efficiency``; each request also waits ``latency_ns``.

    Latency is pipelined: it delays a request's completion but does not occupy the bus.
    """

    def __init__(
        self,
        peak_GBps: float,
        efficiency: float = 0.9,
        latency_ns: float = 100.0,
        name: str = "simple",
        energy_pJ_per_bit: float = 0.0,
    ) -> None:
        super().__init__()
        self.name = name
        self.peak_GBps = peak_GBps
        self._bytes_per_ns = peak_GBps * efficiency
        self._latency_ns = latency_ns
        self._bus_free_ns = 0.0
        self.energy_pJ_per_bit = energy_pJ_per_bit

    def request(self, t_ns: float, addr: int, nbytes: int, write: bool) -> float:
        self._count(nbytes, write)
        start = max(t_ns, self._bus_free_ns)
        self._bus_free_ns = start + nbytes / self._bytes_per_ns
        return self._bus_free_ns + self._latency_ns


def make_memory(cfg) -> MemoryModel:
    """Build the memory model named by a :class:`~accelsim.config.DramConfig`."""
    if cfg.preset == "ideal":
        return IdealMemory()
    if cfg.preset == "simple":
        return SimpleMemory(cfg.bandwidth_GBps, cfg.efficiency, cfg.latency_ns)
    from accelsim import dram

    return dram.make_dram(cfg)
