"""The reference model's clock: every unit stepped once per cycle, in a fixed order."""

from __future__ import annotations

from accelsim.reference.array import PeArray, WriteBack
from accelsim.reference.decoder import CodebookBuffer, Decoder
from accelsim.reference.dma import Dma
from accelsim.reference.transfer import Port, Tally


def run_cycles(arch, memory, plans, max_cycles: int) -> list[Tally]:
    """Step all units until the last layer's outputs are written; one :class:`Tally` per layer.

    ``max_cycles`` guards against a deadlock (RuntimeError): a correct run never reaches it.
    """
    tallies = [Tally() for _ in plans]
    if not plans:
        return tallies
    port = Port(memory, arch.clock_MHz, tallies)
    slots = {n: 2 if getattr(arch.sram, n).double_buffer else 1 for n in ("weight", "input", "output")}
    written = [False] * len(plans)
    dma = Dma(plans, arch, port, slots, written)
    decoded = [p.decode is None for p in plans]
    codebook = CodebookBuffer(plans, arch, port, decoded, dma.weights_issued)
    decoder = Decoder(plans, arch, codebook, dma.to_decode, tallies, decoded)
    wb = WriteBack(plans, arch, port, tallies, written, slots["output"])
    pe = PeArray(plans, arch, dma, decoder, wb, tallies)
    units = (codebook, dma, decoder, wb, pe)
    cycle = 0
    while not (pe.done and written[-1]):
        for unit in units:
            unit.step(cycle)
        cycle += 1
        if cycle > max_cycles:
            raise RuntimeError(f"reference model stuck after {max_cycles:,} cycles "
                               f"(layer {pe.li}, step {pe.j}, phase {pe.phase})")
    last = tallies[-1]
    drain = max(0, last.wb_end - last.end)
    last.stall_dram += drain
    last.end += drain
    return tallies
