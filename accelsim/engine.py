"""The discrete-event engine: one simpy process per hardware unit, one event per tile.

Processes (all layers run back to back in one environment, so the next layer's weights are
prefetched while the current one computes):

* ``weight_dma``  — fetches each new weight tile (all its streams) into a weight-buffer slot;
* ``decoder``     — turns a fetched compressed tile into PE-ready weights (see ``decoder.py``);
* ``input_dma``   — fetches input tiles; a layer's first input waits for the previous layer's
  last write-back (data dependency through DRAM);
* ``pe_array``    — computes each tile once its operands are ready and an output slot is held;
* ``write_back``  — drains finished output tiles (or partial-sum spills) to DRAM.

Buffers are simpy ``Container`` slots (2 when double-buffered). Simulation time is in
accelerator cycles; the memory model works in ns and is converted at the clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import simpy

ACT_BASE = 1 << 40
PSUM_BASE = 1 << 41


@dataclass
class LayerPlan:
    """Everything the engine needs about one layer."""

    layer: object
    schedule: object
    w_base: int
    codebook_bytes: int = 0
    decode: object = None
    """Decoder work of a compressed layer (:class:`accelsim.decoder.TileDecoder`), or None."""


@dataclass
class LayerStats:
    """What the engine measured for one layer (cycles and DRAM counters)."""

    start: float = 0.0
    end: float = 0.0
    wb_end: float = 0.0
    compute: float = 0.0
    stall_dram: float = 0.0
    stall_decoder: float = 0.0
    stall_codebook: float = 0.0
    decoder_busy: float = 0.0
    decoder_conflicts: float = 0.0
    codebook_passes: int = 0
    codebook_reads: float = 0.0
    codebook_wait: float = 0.0
    bytes: dict = field(default_factory=dict)
    mem: dict = field(default_factory=dict)

    def add_bytes(self, stream: str, n: float) -> None:
        self.bytes[stream] = self.bytes.get(stream, 0) + n


class _Port:
    """Memory access from the engine: converts cycles ↔ ns and charges counters per layer."""

    def __init__(self, memory, clock_MHz: float, stats: list[LayerStats]) -> None:
        self.memory = memory
        self.ghz = clock_MHz / 1000.0
        self.stats = stats

    def access(self, now: float, layer: int, stream: str, addr: int, nbytes: int, write: bool):
        if nbytes <= 0:
            return now
        before = self.memory.counters()
        done_ns = self.memory.request(now / self.ghz, int(addr), int(nbytes), write)
        after = self.memory.counters()
        st = self.stats[layer]
        st.add_bytes(stream, nbytes)
        for key, val in after.items():
            st.mem[key] = st.mem.get(key, 0.0) + val - before.get(key, 0.0)
        return max(now, done_ns * self.ghz)


class Engine:
    """Runs a list of :class:`LayerPlan` on one architecture and memory model."""

    def __init__(self, arch, memory, plans: list[LayerPlan], codebook_unit=None) -> None:
        self.arch = arch
        self.plans = plans
        self.env = simpy.Environment()
        self.stats = [LayerStats() for _ in plans]
        self.port = _Port(memory, arch.clock_MHz, self.stats)
        self.peak_bytes_per_cycle = memory.peak_GBps / (arch.clock_MHz / 1000.0)
        slots = {n: 2 if getattr(arch.sram, n).double_buffer else 1 for n in ("weight", "input")}
        out_slots = 2 if arch.sram.output.double_buffer else 1
        env = self.env
        self.w_free = simpy.Container(env, slots["weight"], init=slots["weight"])
        self.i_free = simpy.Container(env, slots["input"], init=slots["input"])
        self.o_free = simpy.Container(env, out_slots, init=out_slots)
        self.w_fetched = simpy.Store(env)
        self.w_ready = simpy.Store(env)
        self.i_ready = simpy.Store(env)
        self.wb_queue = simpy.Store(env)
        self.layer_written = [env.event() for _ in plans]
        self.weights_issued = [env.event() for _ in plans]
        self.codebook_unit = codebook_unit

    # -- processes ------------------------------------------------------------------------------
    def _first_fold(self, issued: float, done: float, nbytes: float, nfolds: float) -> float:
        """When the first fold's share of a streamed transfer is on chip."""
        xfer = nbytes / self.peak_bytes_per_cycle
        return max(issued, done - xfer * (1.0 - 1.0 / nfolds))

    def weight_dma(self):
        env, port = self.env, self.port
        for li, plan in enumerate(self.plans):
            sch = plan.schedule
            starts, base = {}, plan.w_base
            for stream, per_tile in sch.w_bytes.items():
                starts[stream] = base + np.concatenate(([0], np.cumsum(per_tile)[:-1]))
                base += int(per_tile.sum())
            for tile, nfolds in zip(sch.w_tile[sch.new_w], sch.folds[sch.new_w], strict=True):
                yield self.w_free.get(1)
                issued = done = env.now
                nbytes = 0
                for stream, per_tile in sch.w_bytes.items():
                    addr = starts[stream][tile]
                    done = max(done, port.access(issued, li, stream, addr, per_tile[tile], False))
                    nbytes += per_tile[tile]
                first = self._first_fold(issued, done, nbytes, nfolds)
                yield env.timeout(first - env.now)
                yield self.w_fetched.put((li, int(tile), nfolds, first, done))
            self.weights_issued[li].succeed()

    def decoder(self):
        """Decodes each fetched weight tile as it streams in; pass-through for dense formats."""
        env, unit = self.env, self.codebook_unit
        left = [int(np.count_nonzero(p.schedule.new_w)) for p in self.plans]
        while True:
            li, tile, nfolds, raw_first, raw_done = yield self.w_fetched.get()
            decode = self.plans[li].decode
            if decode is None:
                yield self.w_ready.put((raw_first, raw_done, raw_done, raw_first))
                continue
            st = self.stats[li]
            t0 = env.now
            yield unit.ready[li]
            if decode.passes > 1:
                yield from unit.load_slices(self, li)
            cb_ready = env.now
            st.codebook_wait += cb_ready - t0
            cycles, conflicts, lookups = decode(tile)
            st.decoder_busy += cycles
            st.decoder_conflicts += conflicts
            st.codebook_reads += lookups * decode.entry_bytes * decode.passes
            per_fold = cycles / nfolds
            done = max(env.now + cycles, raw_done + per_fold)
            yield env.timeout(per_fold)
            yield self.w_ready.put((raw_first, raw_done, done, cb_ready))
            yield env.timeout(max(0.0, done - env.now))
            left[li] -= 1
            if left[li] == 0:
                unit.decoded[li].succeed()

    def input_dma(self):
        env, port = self.env, self.port
        for li, plan in enumerate(self.plans):
            if li > 0:
                yield self.layer_written[li - 1]
            sch = plan.schedule
            addr = ACT_BASE + (li % 2) * (1 << 36)
            for nbytes, nfolds in zip(sch.i_bytes[sch.new_i], sch.folds[sch.new_i], strict=True):
                yield self.i_free.get(1)
                issued = env.now
                done = port.access(issued, li, "input", addr, nbytes, False)
                addr += int(nbytes)
                yield env.timeout(self._first_fold(issued, done, nbytes, nfolds) - env.now)
                yield self.i_ready.put(done)

    def pe_array(self):
        env, port = self.env, self.port
        for li, plan in enumerate(self.plans):
            sch, st = plan.schedule, self.stats[li]
            st.start = env.now
            holding_w = holding_i = False
            w_raw = w_done = i_done = 0.0
            for j in range(sch.steps):
                if sch.new_w[j]:
                    if holding_w:
                        yield self.w_free.put(1)
                    t0 = env.now
                    raw_first, w_raw, w_done, cb_ready = yield self.w_ready.get()
                    # after the raw data arrived: first the codebook's doing, then the decoder's
                    cb = max(0.0, min(env.now, cb_ready) - max(t0, raw_first))
                    dec = max(0.0, env.now - max(t0, raw_first, cb_ready))
                    st.stall_codebook += cb
                    st.stall_decoder += dec
                    st.stall_dram += env.now - t0 - dec - cb
                    holding_w = True
                if sch.new_i[j]:
                    if holding_i:
                        yield self.i_free.put(1)
                    t0 = env.now
                    i_done = yield self.i_ready.get()
                    st.stall_dram += env.now - t0
                    holding_i = True
                if sch.out_start[j]:
                    t0 = env.now
                    yield self.o_free.get(1)
                    if sch.psum_read[j]:
                        done = port.access(env.now, li, "psum_read", PSUM_BASE,
                                           sch.psum_read[j], False)
                        yield env.timeout(done - env.now)
                    st.stall_dram += env.now - t0
                compute, last_fold = sch.compute[j], sch.compute[j] / sch.folds[j]
                finish = max(env.now + compute, w_done + last_fold, i_done + last_fold)
                late_dec = max(0.0, w_done - max(w_raw, i_done))
                extra = finish - env.now - compute
                st.stall_decoder += min(extra, late_dec)
                st.stall_dram += extra - min(extra, late_dec)
                yield env.timeout(finish - env.now)
                st.compute += compute
                if sch.out_end[j]:
                    last = j == sch.steps - 1
                    yield self.wb_queue.put((li, int(sch.o_bytes[j]), bool(sch.o_final[j]), last))
            if holding_w:
                yield self.w_free.put(1)
            if holding_i:
                yield self.i_free.put(1)
            st.end = env.now

    def write_back(self):
        env, port = self.env, self.port
        addr = {}
        while True:
            li, nbytes, final, last = yield self.wb_queue.get()
            stream = "output" if final else "psum_write"
            base = ACT_BASE + ((li + 1) % 2) * (1 << 36) if final else PSUM_BASE
            a = addr.get((li, final), base)
            done = port.access(env.now, li, stream, a, nbytes, True)
            addr[(li, final)] = a + nbytes
            yield env.timeout(done - env.now)
            yield self.o_free.put(1)
            if last:
                self.stats[li].wb_end = env.now
                self.layer_written[li].succeed()

    # -- run ------------------------------------------------------------------------------------
    def run(self) -> list[LayerStats]:
        env = self.env
        if self.codebook_unit is not None:
            self.codebook_unit.start(self)
        for proc in (self.weight_dma, self.decoder, self.input_dma, self.pe_array, self.write_back):
            env.process(proc())
        if self.plans:
            env.run(until=self.layer_written[-1])
            last = self.stats[-1]
            drain = max(0.0, last.wb_end - last.end)
            last.stall_dram += drain
            last.end += drain
        return self.stats


def totals(stats: list[LayerStats]) -> dict[str, float]:
    """Sum of the per-layer cycle components."""
    keys = ("compute", "stall_dram", "stall_decoder", "stall_codebook")
    out = {k: float(np.sum([getattr(s, k) for s in stats])) for k in keys}
    out["cycles"] = float(np.sum([s.end - s.start for s in stats]))
    return out
