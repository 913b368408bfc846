"""The engine's memory port: cycles ↔ ns at the accelerator clock, counters charged per layer."""

from __future__ import annotations

from accelsim.engine.stats import LayerStats


class MemoryPort:
    """Every DRAM request of the engine goes through here (one counters snapshot each)."""

    def __init__(self, memory, clock_MHz: float, stats: list[LayerStats]) -> None:
        self.memory = memory
        self.ghz = clock_MHz / 1000.0
        self.stats = stats
        self.peak_bytes_per_cycle = memory.peak_GBps / self.ghz
        self._last = memory.counters()

    def access(self, now: float, layer: int, stream: str, addr: int, nbytes: int, write: bool):
        """One request of one stream; returns its completion time (cycles)."""
        return self.access_parts(now, layer, ((stream, nbytes),), addr, write)

    def access_parts(self, now: float, layer: int, parts, addr: int, write: bool):
        """One request whose bytes belong to several streams (stored back to back)."""
        st = self.stats[layer]
        nbytes = 0
        for stream, size in parts:
            if size > 0:
                st.bytes[stream] = st.bytes.get(stream, 0) + size
                nbytes += size
        if nbytes <= 0:
            return now
        done_ns = self.memory.request(now / self.ghz, int(addr), int(nbytes), write)
        after = self.memory.counters()
        before, self._last = self._last, after
        mem = st.mem
        for key, val in after.items():
            mem[key] = mem.get(key, 0.0) + val - before[key]
        return max(now, done_ns * self.ghz)
