"""The discrete-event engine: one simpy process per hardware unit, one event per tile.

Processes (all layers run back to back in one environment, so the next layer's weights are
prefetched while the current one computes):

* ``dma``         — fetches each step's new weight tile (all its streams) into a weight-buffer
  slot and its new input tile into an input-buffer slot; a layer's first input waits for the
  previous layer's last write-back (data dependency through DRAM), its weights do not;
* ``decoder``     — turns a fetched compressed tile into PE-ready weights (see ``decoder.py``);
* ``codebook DMA`` — loads each layer's codebook into the codebook buffer (``decoder.py``);
* ``pe_array``    — computes each tile once its operands are ready and an output slot is held;
* ``write_back``  — drains finished output tiles (or partial-sum spills) to DRAM.

Buffers are :class:`~accelsim.buffers.SlotBuffer` slot stores (2 slots when double-buffered).
Simulation time is in accelerator cycles; the memory model works in ns, converted at the clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import simpy

from accelsim.buffers import SlotBuffer

ACT_BASE = 1 << 40
TILE_ALIGN = 1 << 16
"""Tiles start on 64 KiB boundaries in DRAM, as a compiler lays out tiled tensors (DRAM pages)."""
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
    codebook_reads: float = 0.0
    bytes: dict = field(default_factory=dict)
    """DRAM bytes per stream charged to this layer."""
    mem: dict = field(default_factory=dict)
    """Differences of the memory model's counters over this layer's requests."""


class _Port:
    """Memory access from the engine: converts cycles ↔ ns and charges counters per layer."""

    def __init__(self, memory, clock_MHz: float, stats: list[LayerStats]) -> None:
        self.memory = memory
        self.ghz = clock_MHz / 1000.0
        self.stats = stats
        self._last = memory.counters()  # every request goes through here: one snapshot each

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


class Engine:
    """Runs a list of :class:`LayerPlan` on one architecture and memory model."""

    def __init__(self, arch, memory, plans: list[LayerPlan], codebook_unit=None) -> None:
        self.arch = arch
        self.plans = plans
        self.env = simpy.Environment()
        self.stats = [LayerStats() for _ in plans]
        self.port = _Port(memory, arch.clock_MHz, self.stats)
        self.peak_bytes_per_cycle = memory.peak_GBps / (arch.clock_MHz / 1000.0)
        slots = {n: 2 if getattr(arch.sram, n).double_buffer else 1
                 for n in ("weight", "input", "output")}
        env = self.env
        self.weight_buf = SlotBuffer(env, slots["weight"])
        self.input_buf = SlotBuffer(env, slots["input"])
        self.output_buf = SlotBuffer(env, slots["output"])
        self.decoded = SlotBuffer(env, float("inf"))
        self.layer_written = [env.event() for _ in plans]
        self.weights_issued = [env.event() for _ in plans]
        self.codebook_unit = codebook_unit

    # -- processes ------------------------------------------------------------------------------
    def _first_fold(self, issued: float, done: float, nbytes: float, nfolds: float) -> float:
        """When the first fold's share of a streamed transfer is on chip."""
        xfer = nbytes / self.peak_bytes_per_cycle
        return max(issued, done - xfer * (1.0 - 1.0 / nfolds))

    def _wait(self, until: float):
        """Advance to ``until`` (no event when it is now)."""
        if until > self.env.now:
            yield self.env.timeout(until - self.env.now)

    def dma(self):
        """Fetches each step's new weight tile (all its streams) and new input tile.

        Requests go out in step order; the weight and input tiles of one step are interleaved on
        the bus, so the step can start once the first fold of both is on chip. Weights never
        wait for data; a layer's first input waits for the previous layer's last write-back.
        """
        env, port = self.env, self.port
        for li, plan in enumerate(self.plans):
            sch = plan.schedule
            # a weight tile's streams (index, sign, ... or int8 weights + scales) are stored back
            # to back, tile after tile, so one request fetches a whole tile
            tile_bytes = sum(sch.w_bytes.values())
            slots = -(-tile_bytes // TILE_ALIGN) * TILE_ALIGN
            tile_addr = plan.w_base + np.concatenate(([0], np.cumsum(slots)[:-1]))
            streams = list(sch.w_bytes.items())
            addr = ACT_BASE + (li % 2) * (1 << 36)
            first_input = True
            cols = (sch.new_w.tolist(), sch.new_i.tolist(), sch.w_tile.tolist(),
                    sch.i_bytes.tolist(), sch.folds.tolist())
            for new_w, new_i, tile, i_bytes, nfolds in zip(*cols, strict=True):
                if not (new_w or new_i):
                    continue
                issued, nbytes, w_done = env.now, 0, None
                if new_w:
                    yield from self.weight_buf.reserve()
                    issued = env.now
                    parts = [(stream, int(per_tile[tile])) for stream, per_tile in streams]
                    w_done = port.access_parts(issued, li, parts, tile_addr[tile], False)
                    nbytes += int(tile_bytes[tile])
                if new_i:
                    yield from self.input_buf.reserve()
                    if first_input and li > 0 and not self.layer_written[li - 1].processed:
                        yield self.layer_written[li - 1]
                    first_input = False
                    if env.now > issued:  # the weights went ahead on their own
                        nbytes, issued = 0, env.now
                    i_done = port.access(env.now, li, "input", addr, i_bytes, False)
                    addr += -(-i_bytes // TILE_ALIGN) * TILE_ALIGN
                    nbytes += i_bytes
                end = max(d for d in (w_done, i_done if new_i else None) if d is not None)
                first = self._first_fold(issued, end, nbytes, nfolds)
                # no waiting here: requests stay outstanding, consumers wait for `first`
                if new_w:
                    self.weight_buf.fill((li, tile, nfolds, first, w_done))
                if new_i:
                    self.input_buf.fill((first, i_done))
            self.weights_issued[li].succeed()

    def decoder(self):
        """Decodes each fetched weight tile as it streams in; pass-through for dense formats."""
        env, unit = self.env, self.codebook_unit
        left = [int(np.count_nonzero(p.schedule.new_w)) for p in self.plans]
        while True:
            li, tile, nfolds, raw_first, raw_done = yield from self.weight_buf.take()
            decode = self.plans[li].decode
            if decode is None:
                self.decoded.fill((raw_first, raw_first, raw_done, raw_done, raw_first))
                continue
            st = self.stats[li]
            yield from self._wait(raw_first)
            if not unit.ready[li].processed:
                yield unit.ready[li]
            if decode.passes > 1:
                yield from unit.load_slices(self, li)
            cb_ready = env.now
            cycles, conflicts, lookups = decode(tile)
            st.decoder_busy += cycles
            st.decoder_conflicts += conflicts
            st.codebook_reads += lookups * decode.entry_bytes * decode.passes
            per_fold = cycles / nfolds
            done = max(env.now + cycles, raw_done + per_fold)
            self.decoded.fill((env.now + per_fold, raw_first, raw_done, done, cb_ready))
            yield from self._wait(done)
            left[li] -= 1
            if left[li] == 0:
                unit.decoded[li].succeed()

    def pe_array(self):
        """Computes each tile once its operands stream in and an output slot is held."""
        env, port = self.env, self.port
        for li, plan in enumerate(self.plans):
            sch, st = plan.schedule, self.stats[li]
            st.start = env.now
            holding_w = holding_i = False
            w_raw = w_done = i_done = 0.0
            cols = (sch.new_w.tolist(), sch.new_i.tolist(), sch.out_start.tolist(),
                    sch.psum_read.tolist(), sch.compute.tolist(), sch.folds.tolist(),
                    sch.out_end.tolist(), sch.o_bytes.tolist(), sch.o_final.tolist())
            last_step = sch.steps - 1
            for j, (new_w, new_i, out_start, psum, compute, nfolds, out_end, o_bytes,
                    o_final) in enumerate(zip(*cols, strict=True)):
                if new_w:
                    if holding_w:
                        self.weight_buf.release()
                    t0 = env.now
                    avail, raw_first, w_raw, w_done, cb_ready = yield from self.decoded.take()
                    yield from self._wait(avail)
                    # after the raw data arrived: first the codebook's doing, then the decoder's
                    cb = max(0.0, min(env.now, cb_ready) - max(t0, raw_first))
                    dec = max(0.0, env.now - max(t0, raw_first, cb_ready))
                    st.stall_codebook += cb
                    st.stall_decoder += dec
                    st.stall_dram += env.now - t0 - dec - cb
                    holding_w = True
                if new_i:
                    if holding_i:
                        self.input_buf.release()
                    t0 = env.now
                    i_first, i_done = yield from self.input_buf.take()
                    yield from self._wait(i_first)
                    st.stall_dram += env.now - t0
                    holding_i = True
                if out_start:
                    t0 = env.now
                    yield from self.output_buf.reserve()
                    if psum:
                        yield from self._wait(port.access(env.now, li, "psum_read", PSUM_BASE,
                                                          psum, False))
                    st.stall_dram += env.now - t0
                last_fold = compute / nfolds
                finish = max(env.now + compute, w_done + last_fold, i_done + last_fold)
                late_dec = max(0.0, w_done - max(w_raw, i_done))
                extra = finish - env.now - compute
                st.stall_decoder += min(extra, late_dec)
                st.stall_dram += extra - min(extra, late_dec)
                yield from self._wait(finish)
                st.compute += compute
                if out_end:
                    self.output_buf.fill((li, o_bytes, o_final, j == last_step))
            if holding_w:
                self.weight_buf.release()
            if holding_i:
                self.input_buf.release()
            st.end = env.now

    def write_back(self):
        """Drains finished output tiles (or partial-sum spills) to DRAM."""
        env, port = self.env, self.port
        addr = {}
        while True:
            li, nbytes, final, last = yield from self.output_buf.take()
            stream = "output" if final else "psum_write"
            base = ACT_BASE + ((li + 1) % 2) * (1 << 36) if final else PSUM_BASE
            a = addr.get((li, final), base)
            done = port.access(env.now, li, stream, a, nbytes, True)
            addr[(li, final)] = a + nbytes
            yield from self._wait(done)
            self.output_buf.release()
            if last:
                self.stats[li].wb_end = env.now
                self.layer_written[li].succeed()

    # -- run ------------------------------------------------------------------------------------
    def run(self, progress=None) -> list[LayerStats]:
        """Simulate every layer; ``progress(layers_done, layers)`` is called as layers finish."""
        env = self.env
        if self.codebook_unit is not None:
            self.codebook_unit.start(self)
        for proc in (self.dma, self.decoder, self.pe_array, self.write_back):
            env.process(proc())
        if self.plans:
            for i, written in enumerate(self.layer_written):
                env.run(until=written)
                if progress is not None:
                    progress(i + 1, len(self.plans))
            last = self.stats[-1]
            drain = max(0.0, last.wb_end - last.end)
            last.stall_dram += drain
            last.end += drain
        return self.stats
