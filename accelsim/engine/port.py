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
        self.count_memory = count_memory
        self._last = memory.counters() if count_memory else None

    def access(self, now: float, layer: int, stream: str, addr: int, nbytes: int, write: bool):
        """One request of one stream; returns its completion time (cycles)."""
        if nbytes <= 0:
            self.pause = (0.0, 0.0)
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
            self.pause = (0.0, 0.0)
            return now
        return self._request(now, st, addr, nbytes, write)

    def _request(self, now: float, st: LayerStats, addr: int, nbytes: int, write: bool):
        """Issue the request; charge the memory's counter differences to ``st``."""
        memory = self.memory
        done_ns = memory.request(now / self.ghz, int(addr), int(nbytes), write)
        done = math.ceil(done_ns * self.ghz - 1e-9)
        frac, pause_ns = memory.pause
        self.pause = (frac, pause_ns * self.ghz)
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
