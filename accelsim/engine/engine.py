"""The discrete-event engine: wiring only. One simpy process per hardware unit, connected by
slot buffers, all layers back to back in one timeline (the next layer's weights and codebook
prefetch while the current one computes; its inputs wait for the previous layer's write-back).

Units: :class:`~accelsim.engine.dma.DmaUnit`, :class:`~accelsim.engine.codebook.CodebookDma`,
:class:`~accelsim.engine.decoder.DecoderUnit`, :class:`~accelsim.engine.pe_array.PeArrayUnit`,
:class:`~accelsim.engine.write_back.WriteBackUnit`, :class:`~accelsim.engine.vector.VectorUnit`
(vector ops, beside the PE array: the two overlap where the graph allows). Buffers are
:class:`~accelsim.engine.buffers.SlotBuffer` slot stores (2 slots when double-buffered).
Simulation time is in accelerator cycles; the memory model works in ns, converted at the clock.
"""

from __future__ import annotations

import simpy

from accelsim.engine.buffers import SlotBuffer, SramPort
from accelsim.engine.codebook import CodebookDma
from accelsim.engine.decoder import DecoderUnit
from accelsim.engine.dma import DmaUnit
from accelsim.engine.pe_array import PeArrayUnit
from accelsim.engine.port import MemoryPort
from accelsim.engine.stats import LayerEvents, LayerStats
from accelsim.engine.vector import VectorUnit
from accelsim.engine.write_back import WriteBackUnit


class Engine:
    """Runs a list of :class:`~accelsim.plan.plan.LayerPlan` on one architecture and memory."""

    def __init__(self, arch, memory, plans, count_memory: bool = True) -> None:
        """``count_memory=False``: the memory's counters are not read (``LayerStats.mem`` stays
        empty; every time and byte count is the same)."""
        self.plans = plans
        env = self.env = simpy.Environment()
        self.stats = [LayerStats() for _ in plans]
        port = MemoryPort(memory, arch.clock_MHz, self.stats, count_memory)
        self.events = ev = LayerEvents(env, len(plans))
        weight_buf, input_buf, output_buf = (
            SlotBuffer(env, 2 if sram.double_buffer else 1, SramPort(sram.width_bits, sram.banks))
            for sram in (arch.sram.weight, arch.sram.input, arch.sram.output))
        decoded = SlotBuffer(env, float("inf"))
        self.units = []  # started in this order (it orders same-time events)
        codebook = None
        if any(p.decode is not None for p in plans):
            cb = arch.sram.codebook
            codebook = CodebookDma(env, port, plans, cb.size_KiB * 1024, ev,
                                   cb.width_bits // 8 * cb.banks)
            self.units.append(codebook)
        self.units += [
            DmaUnit(env, port, plans, weight_buf, input_buf, ev, arch.pe_array),
            DecoderUnit(env, plans, self.stats, weight_buf, decoded, codebook, ev),
            PeArrayUnit(env, port, plans, self.stats, (weight_buf, input_buf, output_buf, decoded),
                        arch.pe_array, ev),
            WriteBackUnit(env, port, plans, self.stats, output_buf, ev),
        ]
        if any(p.vector is not None for p in plans):
            self.units.append(VectorUnit(env, port, plans, self.stats, ev))

    def run(self, progress=None) -> list[LayerStats]:
        """Simulate every layer; ``progress(layers_done, layers)`` is called as layers finish."""
        env = self.env
        for unit in self.units:
            env.process(unit.run())
        if self.plans:
            for i, written in enumerate(self.events.written):
                env.run(until=written)
                if progress is not None:
                    progress(i + 1, len(self.plans))
            last = max(self.stats, key=lambda s: s.end)
            drain = max(0.0, max(max(s.wb_end, s.end) for s in self.stats) - last.end)
            last.stall_dram += drain
            last.end += drain
        return self.stats
