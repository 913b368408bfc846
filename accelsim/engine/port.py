"""The engine's memory port: cycles ↔ ns at the accelerator clock, counters charged per layer."""

from __future__ import annotations

import math

from accelsim.engine.stats import LayerStats


class MemoryPort:
    """Every DRAM request of the engine goes through here (one counters snapshot each, unless
    ``count_memory`` is False: then the layers' ``mem`` stay empty and only times and stream
    bytes are measured, e.g. when a mapping is timed alone)."""

    def __init__(self, memory, clock_MHz: float, stats: list[LayerStats],
                 count_memory: bool = True) -> None:
        self.memory = memory
        self.ghz = clock_MHz / 1000.0
        self.stats = stats
        self.peak_bytes_per_cycle = memory.peak_GBps / self.ghz
        self.burst_B = memory.burst_B
        self.pause = (0.0, 0.0)
        """Of the last request: (share of its data in before a refresh inside it, cycles)."""
        self._ends: list | None = None  # of the last request: its bursts' data ends (ns)
        self._addr = 0
        self.count_memory = count_memory
        self._last = memory.counters() if count_memory else None

    def access(self, now: float, layer: int, stream: str, addr: int, nbytes: int, write: bool):
        """One request of one stream; returns its completion time (cycles)."""
        if nbytes <= 0:
            self.pause, self._ends = (0.0, 0.0), None
            return now
        st = self.stats[layer]
        st.bytes[stream] = st.bytes.get(stream, 0) + nbytes
        return self._request(now, st, addr, nbytes, write)

    def access_parts(self, now: float, layer: int, parts, addr: int, write: bool):
        """One request whose bytes belong to several streams (stored back to back)."""
        st = self.stats[layer]
        nbytes = 0
        for stream, size in parts:
            if size > 0:
                st.bytes[stream] = st.bytes.get(stream, 0) + size
                nbytes += size
        if nbytes <= 0:
            self.pause, self._ends = (0.0, 0.0), None
            return now
        return self._request(now, st, addr, nbytes, write)

    def lead_in(self, nbytes: float) -> float | None:
        """When the first ``nbytes`` of the last request are in (cycles, on a clock edge), if the
        memory reported its bursts one by one; None otherwise."""
        ends = self._ends
        if not ends:
            return None
        bb = self.burst_B
        k = min(len(ends), max(1, math.ceil((self._addr % bb + nbytes) / bb - 1e-9)))
        return math.ceil(max(ends[:k]) * self.ghz - 1e-9)

    def _request(self, now: float, st: LayerStats, addr: int, nbytes: int, write: bool):
        """Issue the request; charge the memory's counter differences to ``st``."""
        memory = self.memory
        done_ns = memory.request(now / self.ghz, int(addr), int(nbytes), write)
        done = math.ceil(done_ns * self.ghz - 1e-9)
        frac, pause_ns = memory.pause
        self.pause = (frac, pause_ns * self.ghz)
        self._ends, self._addr = memory.burst_ends, addr
        if not self.count_memory:
            return max(now, done)
        after = self.memory.counters()
        before, self._last = self._last, after
        mem = st.mem
        if not mem:  # the layer's first request: every counter starts at 0
            mem.update(dict.fromkeys(after, 0.0))
        for key, val in after.items():
            mem[key] = mem[key] + val - before[key]
        return max(now, done)
