"""The PE array unit: computes each tile once its operands stream in and an output slot is held.

Stalls are charged here, where the array waits: for weights (split into codebook, decoder and
DRAM stall by which of them arrived last), for inputs and partial-sum read-backs (DRAM), and,
within a step, for the last fold of a still-streaming operand.
"""

from __future__ import annotations

from accelsim.engine.stats import wait_until


def fold_tails(pe, fold: float, grid=None) -> tuple[float, float]:
    """Cycles of a step still to run after its last weight / input data arrived.

    Folds walk row blocks outermost. A stationary operand (ws weights, is inputs) is consumed by
    the last fold's preload (its last row in tick ``R``). A streamed operand is consumed by its
    last injection, ``R + C − 1`` ticks before its fold's drain ends, in the first fold that
    uses its last slice: slices indexed by row block (ws/os inputs, is weights) are reused by
    the ``col_folds − 1`` folds after it; os weights (by column block) by every later row pass.
    """
    if fold <= 0:
        return 0.0, 0.0
    row_folds, col_folds = (1, 1) if grid is None else grid
    stream = min(fold, pe.rows + pe.cols - 1.0)
    preload = fold - pe.rows + 1.0
    by_row = stream + (col_folds - 1) * fold
    if pe.dataflow == "ws":
        return preload, by_row
    if pe.dataflow == "is":
        return by_row, preload
    return stream + (row_folds - 1) * col_folds * fold, by_row


def first_pass_needs(pe, fold: float, grid=None) -> tuple[float, float, float, float]:
    """``(weight share, cycles after, input share, cycles after)``: the share of each operand's
    tile the step's first consuming folds use up, and the cycles of the step left after that.

    A streamed operand indexed by row block (ws/os inputs, is weights) is used up slice by slice
    in the first fold of each row pass, os weights in the first row pass; a stationary one (ws
    weights, is inputs) block by block in each fold's preload. Data arriving at an even rate
    that is late for the first of those folds delays the step although its last byte is not.
    """
    if fold <= 0:
        return 0.0, 0.0, 0.0, 0.0
    row_folds, col_folds = (1, 1) if grid is None else grid
    total = row_folds * col_folds
    after = (total - 1) * fold
    stream = (1.0 / row_folds, min(fold, pe.rows + pe.cols - 1.0) + after)
    preload = (1.0 / total, fold - pe.rows + 1.0 + after)
    if pe.dataflow == "ws":
        return (*preload, *stream)
    if pe.dataflow == "is":
        return (*stream, *preload)
    return 1.0 / col_folds, stream[1], *stream


def lead_share(pe, fold: float) -> float:
    """Share of a fold's operand data its first tick needs: one preload row (ws, is) or one
    injected vector of the ``T`` it streams (os)."""
    if pe.dataflow == "os":
        return 1.0 / max(1.0, fold - pe.rows - pe.cols + 2.0)
    return 1.0 / pe.rows


class PeArrayUnit:
    """One process walking every layer's steps in order."""

    def __init__(self, env, port, plans, stats, buffers, pe, events=None) -> None:
        self.env, self.port, self.plans, self.stats = env, port, plans, stats
        self.pe = pe
        self.events = events
        self.weight_buf, self.input_buf, self.output_buf, self.decoded = buffers
        self.holding_w = self.holding_i = False
        self.w_raw = self.w_done = self.i_done = self.w_first = self.i_first = 0.0

    def run(self):
        for li, plan in enumerate(self.plans):
            if plan.vector is None:
                yield from self._after_vector_inputs(plan)
                yield from self._layer(li, plan)

    def _after_vector_inputs(self, plan):
        """A layer reading a vector op's output starts once that op is done (its time is the
        vector op's, not this layer's)."""
        written = self.events.written
        for d in plan.deps:
            if self.plans[d].vector is not None and not written[d].processed:
                yield written[d]

    def _layer(self, li: int, plan):
        env, sch, st = self.env, plan.schedule, self.stats[li]
        st.start = env.now
        self.holding_w = self.holding_i = False
        self.w_raw = self.w_done = self.i_done = self.w_first = self.i_first = 0.0
        grid = (sch.fold_grid.tolist() if sch.fold_grid is not None else [None] * sch.steps)
        cols = (sch.new_w.tolist(), sch.new_i.tolist(), sch.out_start.tolist(),
                sch.psum_read.tolist(), sch.compute.tolist(), sch.folds.tolist(),
                sch.out_end.tolist(), sch.o_bytes.tolist(), sch.o_final.tolist(), grid)
        last_step = sch.steps - 1
        for j, (new_w, new_i, out_start, psum, compute, nfolds, out_end, o_bytes,
                o_final, fold_grid) in enumerate(zip(*cols, strict=True)):
            if new_w:
                if new_i and self.holding_i and self.input_buf.slots == 1:
                    # the DMA cannot issue these weights until it holds the one input slot
                    self.input_buf.release()
                    self.holding_i = False
                yield from self._take_weights(st, new_i)
            if new_i:
                yield from self._take_input(st)
            if out_start:
                yield from self._open_output(li, plan, psum, st)
            yield from self._compute(compute, nfolds, fold_grid, st)
            if out_end:
                self.output_buf.fill((li, j, o_bytes, o_final, j == last_step))
        if self.holding_w:
            self.weight_buf.release()
        if self.holding_i:
            self.input_buf.release()
        st.end = env.now

    def _take_weights(self, st, new_input: bool = False):
        env = self.env
        if self.holding_w:
            self.weight_buf.release()
        t0 = env.now
        avail, raw_first, self.w_raw, self.w_done, cb_ready = yield from self.decoded.take()
        self.w_first = avail
        yield from wait_until(env, avail)
        if new_input and self.input_buf.ready:  # while the step's input is missing: DRAM
            raw_first = max(raw_first, min(env.now, self.input_buf.ready[0][0]))
        # after the raw data arrived: first the codebook's doing, then the decoder's
        cb = max(0.0, min(env.now, cb_ready) - max(t0, raw_first))
        dec = max(0.0, env.now - max(t0, raw_first, cb_ready))
        st.stall_codebook += cb
        st.stall_decoder += dec
        st.stall_dram += env.now - t0 - dec - cb
        self.holding_w = True

    def _take_input(self, st):
        env = self.env
        if self.holding_i:
            self.input_buf.release()
        t0 = env.now
        i_first, self.i_done = yield from self.input_buf.take()
        self.i_first = i_first
        yield from wait_until(env, i_first)
        st.stall_dram += env.now - t0
        self.holding_i = True

    def _open_output(self, li: int, plan, psum: int, st):
        env = self.env
        t0 = env.now
        yield from self.output_buf.reserve()
        if psum:
            done = self.port.access(env.now, li, "psum_read", plan.place.psum_read_addr, psum,
                                    False)
            yield from wait_until(env, done)
        st.stall_dram += env.now - t0

    def _compute(self, compute: float, nfolds: float, grid, st):
        env = self.env
        tail_w, tail_i = fold_tails(self.pe, compute / nfolds, grid)
        sw, after_w, si, after_i = first_pass_needs(self.pe, compute / nfolds, grid)
        finish = max(env.now + compute, self.w_done + tail_w, self.i_done + tail_i,
                     self.w_first + (self.w_done - self.w_first) * sw + after_w,
                     self.i_first + (self.i_done - self.i_first) * si + after_i)
        late_dec = max(0.0, self.w_done - max(self.w_raw, self.i_done))
        extra = finish - env.now - compute
        st.stall_decoder += min(extra, late_dec)
        st.stall_dram += extra - min(extra, late_dec)
        yield from wait_until(env, finish)
        st.compute += compute
