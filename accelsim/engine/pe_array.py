"""The PE array unit: computes each tile once its operands stream in and an output slot is held.

Stalls are charged here, where the array waits: for weights (split into codebook, decoder and
DRAM stall by which of them arrived last), for inputs and partial-sum read-backs (DRAM, the
read-back also passing the output buffer's write port), and,
within a step, for the last fold of a still-streaming operand.
"""

from __future__ import annotations

import math

from accelsim.plan.decode import arrival


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


def last_weight_fold(pe, fold: float, nfolds: float, grid=None) -> tuple[float, float]:
    """``(ticks, share)`` of the fold that takes a weight tile's last data: how many of its
    ticks take weights (ws: the ``R`` preload rows; os, is: its injected vectors), one after the
    other, and the share of the tile they take."""
    if fold <= 0:
        return 0.0, 1.0
    row_folds, col_folds = (1, 1) if grid is None else grid
    drain = pe.rows + pe.cols - 2.0
    if pe.dataflow == "ws":  # a block per fold
        return float(pe.rows), 1.0 / nfolds
    if pe.dataflow == "is":  # a slice per row block
        return fold - pe.rows - drain, col_folds / nfolds
    return fold - drain, row_folds / nfolds  # os: a slice per column block


def lead_share(pe, fold: float) -> float:
    """Share of a fold's operand data its first tick needs: one preload row (ws, is) or one
    injected vector of the ``T`` it streams (os)."""
    if pe.dataflow == "os":
        return 1.0 / max(1.0, fold - pe.rows - pe.cols + 2.0)
    return 1.0 / pe.rows


def used_up(first: float, done: float, knee, share: float, after: float, tail: float) -> float:
    """The end a step's first consuming pass allows for one operand: its ``share`` in (at an
    even rate from ``first`` to ``done``, or, with a pause inside the transfer, ``knee`` =
    (share before it, its last byte, the first byte after), each part at an even rate) plus the
    ``after`` cycles the step still runs; and the share just after a pause plus the cycles left
    then (between ``after`` and ``tail``, the cycles after the last byte, in proportion)."""
    if knee is None:
        return first + (done - first) * share + after
    frac, _, resumed = knee
    end = arrival(share, first, done, 0.0, knee) + after
    if share <= frac:
        left = tail + (after - tail) * (1.0 - frac) / (1.0 - share) if share < 1.0 else tail
        return max(end, resumed + left)
    return end


def by_groups(first: float, done: float, groups: tuple, need: float, ticks: float,
              share: float) -> float:
    """When the tick that needs the first ``need`` of a decoded weight tile runs, at the
    earliest: the decode group holding it is out (``groups`` as in
    :meth:`~accelsim.plan.decode.TileDecoder.group_shares`; the first ones at ``first``, the
    rest at an even rate until ``done``), then the ticks of its fold that need that group run
    one a cycle (the fold's weight ticks take ``share`` of the tile in ``ticks``)."""
    per, lead, last = groups
    hi = min(1.0, math.ceil(need / per - 1e-9) * per)
    lo = hi - per if hi < 1.0 else 1.0 - last
    out = first if hi <= lead else first + (done - first) * (hi - lead) / (1.0 - lead)
    run = min(ticks, math.ceil((need - lo) * ticks / share - 1e-9))
    return out + max(0.0, run - 1.0)


class PeArrayUnit:
    """One process walking every layer's steps in order."""

    def __init__(self, env, port, plans, stats, buffers, pe, events=None) -> None:
        self.env, self.port, self.plans, self.stats = env, port, plans, stats
        self.pe = pe
        self.events = events
        self.weight_buf, self.input_buf, self.output_buf, self.decoded = buffers
        self.holding_w = self.holding_i = False
        self.w_raw = self.w_done = self.i_done = self.w_first = self.i_first = 0.0
        self.w_knee = self.i_knee = None
        self.w_groups = None
        # ws / is: a step's first fold preloads its stationary block (R ticks) before the
        # streamed operand's first vector is injected, so that one may arrive R cycles later
        preload = float(pe.rows) if pe.dataflow in ("ws", "is") else 0.0
        self.skew_w = preload if pe.dataflow == "is" else 0.0
        self.skew_i = preload if pe.dataflow == "ws" else 0.0

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
        self.w_knee = self.i_knee = None
        self.w_groups = None
        weight_buf, input_buf, output_buf, decoded = (self.weight_buf, self.input_buf,
                                                      self.output_buf, self.decoded)
        last_step = sch.steps - 1
        for j, (new_w, new_i, out_start, psum, compute, out_end, o_bytes, o_final,
                tails) in enumerate(self._steps(sch)):
            # the step may start once the array is free and the first rows of its operands are
            # in (``ready``): a token handed over late (the decoder takes a tile when it starts
            # on it) does not hold back a preload that needs no weights
            ready = env.now
            slot_free = output_buf.free > 0
            if new_i and self.holding_i:
                # the previous step is over with its input: the slot goes (a single slot is
                # also the DMA's condition for issuing this step's weights)
                input_buf.release()
                self.holding_i = False
            if new_w:
                if self.holding_w:
                    weight_buf.release()
                token = decoded.ready.popleft() if decoded.ready else (yield decoded.token_event())
                at = max(ready, token[0] - self.skew_w)
                self._weights_in(st, ready, token, new_i, at)
                ready = at
            if new_i:
                token = input_buf.ready.popleft() if input_buf.ready else (yield input_buf.token_event())
                at = max(ready, token[0] - self.skew_i)
                self.i_first, self.i_done, self.i_knee = token
                st.stall_dram += at - ready
                ready = at
                self.holding_i = True
            if out_start and (psum or not slot_free):
                ready = yield from self._output_slot(li, plan, psum, ready)
            elif out_start:
                output_buf.try_reserve()  # free since the step began: only the array reserves
            finish = self._finish(ready, compute, tails, st)
            if finish > env.now:
                yield env.timeout(finish - env.now)
            st.compute += compute
            if out_end:
                output_buf.fill((li, j, o_bytes, o_final, j == last_step))
        if self.holding_w:
            weight_buf.release()
        if self.holding_i:
            input_buf.release()
        st.end = env.now

    def _output_slot(self, li: int, plan, psum: int, ready: float):
        """From ``ready`` on, wait for an output-buffer slot and read the tile's partial sums
        back (``psum`` bytes) through its write port; returns when the step may start (a slot
        freed while the array was already waiting counts from its release; a read-back is
        issued now, the memory taking requests in time order)."""
        env, output_buf = self.env, self.output_buf
        if ready > env.now:
            yield env.timeout(ready - env.now)
        if output_buf.try_reserve():
            start = max(ready, output_buf.released_at)
        else:
            yield output_buf.slot_event()
            start = env.now
        if psum:
            done = self.port.access(env.now, li, "psum_read", plan.place.psum_read_addr, psum, False)
            _, done, _ = output_buf.port.fill(env.now, done, psum, self.port.peak_bytes_per_cycle)
            if done > env.now:
                yield env.timeout(done - env.now)
            start = env.now
        self.stats[li].stall_dram += start - ready
        return start

    def _steps(self, sch):
        """Per step: (new_w, new_i, out_start, psum bytes, compute, out_end, o_bytes, o_final,
        fold tails and first-pass needs) as Python values."""
        grid = (map(tuple, sch.column("fold_grid")) if sch.fold_grid is not None
                else [None] * sch.steps)
        tails: dict = {}
        pe = self.pe
        names = ("new_w", "new_i", "out_start", "psum_read", "compute", "folds", "out_end",
                 "o_bytes", "o_final")
        for step in zip(*(sch.column(n) for n in names), grid, strict=True):
            compute, nfolds, fold_grid = step[4], step[5], step[9]
            key = (compute, nfolds, fold_grid)
            tail = tails.get(key)
            if tail is None:
                fold = compute / nfolds
                tail = tails[key] = (*fold_tails(pe, fold, fold_grid),
                                     *first_pass_needs(pe, fold, fold_grid),
                                     *last_weight_fold(pe, fold, nfolds, fold_grid))
            yield (*step[:5], *step[6:9], tail)

    def _weights_in(self, st, t0: float, token, new_input: bool, now: float) -> None:
        """Charge the wait from ``t0`` to ``now`` for a decoded weight tile (``token``): after
        the raw data arrived, first the codebook's doing, then the decoder's (while the step's
        input is missing: DRAM)."""
        self.w_first, raw_first, self.w_raw, self.w_done, cb_ready, self.w_knee, self.w_groups = token
        if new_input and self.input_buf.ready:
            raw_first = max(raw_first, min(now, self.input_buf.ready[0][0]))
        cb = max(0.0, min(now, cb_ready) - max(t0, raw_first))
        dec = max(0.0, now - max(t0, raw_first, cb_ready))
        st.stall_codebook += cb
        st.stall_decoder += dec
        st.stall_dram += now - t0 - dec - cb
        self.holding_w = True

    def _finish(self, now: float, compute: float, tails, st) -> float:
        """When the step that starts at ``now`` ends; charges its in-step stalls (the last fold
        of a still-streaming operand)."""
        tail_w, tail_i, sw, after_w, si, after_i, ticks, share = tails
        if self.w_groups is None:
            w_end = max(self.w_done + tail_w,
                        used_up(self.w_first, self.w_done, self.w_knee, sw, after_w, tail_w))
        else:
            w_end = max(by_groups(self.w_first, self.w_done, self.w_groups, 1.0, ticks, share) + tail_w,
                        by_groups(self.w_first, self.w_done, self.w_groups, sw, ticks, share) + after_w)
        finish = max(now + compute, w_end, self.i_done + tail_i,
                     used_up(self.i_first, self.i_done, self.i_knee, si, after_i, tail_i))
        late_dec = max(0.0, self.w_done - max(self.w_raw, self.i_done))
        extra = finish - now - compute
        st.stall_decoder += min(extra, late_dec)
        st.stall_dram += extra - min(extra, late_dec)
        return finish
