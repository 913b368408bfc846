"""The analytic memory models: ``ideal`` (no cost) and ``simple`` (one bus + a fixed latency)."""

from __future__ import annotations


class _Counting:
    """Byte and request counters shared by the analytic models (they report no energy)."""

    def __init__(self) -> None:
        self._c = {"read_bytes": 0.0, "write_bytes": 0.0, "requests": 0.0, "energy_pJ": 0.0}

    def _count(self, nbytes: int, write: bool) -> None:
        self._c["write_bytes" if write else "read_bytes"] += nbytes
        self._c["requests"] += 1

    def counters(self) -> dict[str, float]:
        return dict(self._c)


class IdealMemory(_Counting):
    """Infinite bandwidth, zero latency: every request completes when issued."""

    name = "ideal"
    peak_GBps = float("inf")
    burst_B = 1
    pause = (0.0, 0.0)
    burst_ends = None

    def request(self, t_ns: float, addr: int, nbytes: int, write: bool) -> float:
        self._count(nbytes, write)
        return t_ns


class SimpleMemory(_Counting):
    """One shared bus at ``peak_GBps × efficiency``; each request also waits ``latency_ns``.

    Latency is pipelined: it delays a request's completion but does not occupy the bus.
    """

    def __init__(self, peak_GBps: float, efficiency: float = 0.9, latency_ns: float = 100.0,
                 name: str = "simple") -> None:
        super().__init__()
        self.name = name
        self.peak_GBps = peak_GBps
        self.burst_B = 1
        self.pause = (0.0, 0.0)
        self.burst_ends = None
        self._bytes_per_ns = peak_GBps * efficiency
        self._latency_ns = latency_ns
        self._bus_free_ns = 0.0

    def request(self, t_ns: float, addr: int, nbytes: int, write: bool) -> float:
        self._count(nbytes, write)
        start = max(t_ns, self._bus_free_ns)
        self._bus_free_ns = start + nbytes / self._bytes_per_ns
        return self._bus_free_ns + self._latency_ns
