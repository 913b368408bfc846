"""The sign-mask decoder unit: turns each fetched compressed weight tile into PE-ready weights
as it streams in (its cycle cost per tile comes from :mod:`accelsim.plan.decode`); dense
formats pass through."""

from __future__ import annotations

import numpy as np


class DecoderUnit:
    """Takes raw weight tiles from the weight buffer, fills ``decoded`` with
    ``(first fold ready, raw first, raw done, decoded done, codebook ready, refresh knee of the
    raw data, decode groups (:meth:`~accelsim.plan.decode.TileDecoder.group_shares`))`` tokens."""

    def __init__(self, env, plans, stats, weight_buf, decoded, codebook_dma, events) -> None:
        self.env, self.plans, self.stats = env, plans, stats
        self.weight_buf, self.decoded = weight_buf, decoded
        self.codebook_dma, self.events = codebook_dma, events

    def run(self):
        env, ev, weight_buf = self.env, self.events, self.weight_buf
        left = [int(np.count_nonzero(p.schedule.new_w)) for p in self.plans]
        while True:
            token = weight_buf.ready.popleft() if weight_buf.ready else (yield weight_buf.token_event())
            li, tile, nfolds, raw_first, raw_done, lead, knee = token
            decode = self.plans[li].decode
            if decode is None:
                self.decoded.fill((raw_first, raw_first, raw_done, raw_done, raw_first, knee, None))
                continue
            if decode.passes == 1 and raw_first > env.now:
                yield env.timeout(raw_first - env.now)
            if not ev.codebook_ready[li].processed:
                yield ev.codebook_ready[li]
            cb_ready = env.now
            if decode.passes > 1:
                cb_ready += yield from self.codebook_dma.load_slices(
                    li, decode.pass_cycles(tile), raw_first, raw_done)
            free = self._decode(li, decode, tile, (nfolds, raw_first, raw_done, lead, cb_ready, knee))
            if free > env.now:
                yield env.timeout(free - env.now)
            left[li] -= 1
            if left[li] == 0:
                ev.decoded[li].succeed()

    def _decode(self, li: int, decode, tile: int, timing: tuple) -> float:
        """Start the last pass over a tile now (its codebook, or last slice, is resident; the
        passes before it are over): charge the decoder's work, hand the tile's token to the PE
        array; returns when the decoder is free for the next tile (its last group done; the
        weights leave the pipeline ``pipeline_depth`` later). ``timing``: the tile's folds, first and
        last raw byte, lead share, when it would have had its codebook with no pass before
        (the codebook's stall ends there, the decoder's begins), and the raw bytes' knee at a
        refresh inside their transfer (None without one)."""
        nfolds, raw_first, raw_done, lead, cb_ready, knee = timing
        st, now = self.stats[li], self.env.now
        cycles, conflicts, lookups = decode(tile)
        st.decoder_busy += cycles
        st.decoder_conflicts += conflicts
        st.codebook_reads += lookups * decode.entry_bytes * decode.passes
        # every pass but the last only scans: weights come out during the last pass, and
        # the array's first tick needs ``lead`` of the first fold's weights, out of the pipeline
        done = decode.last_out(tile, now, raw_first, raw_done, lead / nfolds, knee)
        free = done - decode.depth  # the pipeline delays the weights, it holds no slice
        first = now + decode.first_out(tile, lead / nfolds)
        self.decoded.fill((first, raw_first, raw_done, done, cb_ready, None,
                           decode.group_shares(tile, lead / nfolds)))
        return free
