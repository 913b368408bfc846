"""The PE array unit: computes each tile once its operands stream in and an output slot is held.

Stalls are charged here, where the array waits: for weights (split into codebook, decoder and
DRAM stall by which of them arrived last), for inputs and partial-sum read-backs (DRAM), and,
within a step, for the last fold of a still-streaming operand.
"""

from __future__ import annotations

from accelsim.engine.stats import wait_until


class PeArrayUnit:
    """One process walking every layer's steps in order."""

    def __init__(self, env, port, plans, stats, buffers, events=None) -> None:
        self.env, self.port, self.plans, self.stats = env, port, plans, stats
        self.events = events
        self.weight_buf, self.input_buf, self.output_buf, self.decoded = buffers
        self.holding_w = self.holding_i = False
        self.w_raw = self.w_done = self.i_done = 0.0

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
        self.w_raw = self.w_done = self.i_done = 0.0
        cols = (sch.new_w.tolist(), sch.new_i.tolist(), sch.out_start.tolist(),
                sch.psum_read.tolist(), sch.compute.tolist(), sch.folds.tolist(),
                sch.out_end.tolist(), sch.o_bytes.tolist(), sch.o_final.tolist())
        last_step = sch.steps - 1
        for j, (new_w, new_i, out_start, psum, compute, nfolds, out_end, o_bytes,
                o_final) in enumerate(zip(*cols, strict=True)):
            if new_w:
                yield from self._take_weights(st)
            if new_i:
                yield from self._take_input(st)
            if out_start:
                yield from self._open_output(li, plan, psum, st)
            yield from self._compute(compute, nfolds, st)
            if out_end:
                self.output_buf.fill((li, j, o_bytes, o_final, j == last_step))
        if self.holding_w:
            self.weight_buf.release()
        if self.holding_i:
            self.input_buf.release()
        st.end = env.now

    def _take_weights(self, st):
        env = self.env
        if self.holding_w:
            self.weight_buf.release()
        t0 = env.now
        avail, raw_first, self.w_raw, self.w_done, cb_ready = yield from self.decoded.take()
        yield from wait_until(env, avail)
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

    def _compute(self, compute: float, nfolds: float, st):
        env = self.env
        last_fold = compute / nfolds
        finish = max(env.now + compute, self.w_done + last_fold, self.i_done + last_fold)
        late_dec = max(0.0, self.w_done - max(self.w_raw, self.i_done))
        extra = finish - env.now - compute
        st.stall_decoder += min(extra, late_dec)
        st.stall_dram += extra - min(extra, late_dec)
        yield from wait_until(env, finish)
        st.compute += compute
