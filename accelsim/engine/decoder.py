"""The sign-mask decoder unit: turns each fetched compressed weight tile into PE-ready weights
as it streams in (its cycle cost per tile comes from :mod:`accelsim.plan.decode`); dense
formats pass through."""

from __future__ import annotations

import numpy as np

from accelsim.engine.stats import wait_until


class DecoderUnit:
    """Takes raw weight tiles from the weight buffer, fills ``decoded`` with
    ``(first fold ready, raw first, raw done, decoded done, codebook ready)`` tokens."""

    def __init__(self, env, plans, stats, weight_buf, decoded, codebook_dma, events) -> None:
        self.env, self.plans, self.stats = env, plans, stats
        self.weight_buf, self.decoded = weight_buf, decoded
        self.codebook_dma, self.events = codebook_dma, events

    def run(self):
        env, ev = self.env, self.events
        left = [int(np.count_nonzero(p.schedule.new_w)) for p in self.plans]
        while True:
            li, tile, nfolds, raw_first, raw_done, lead = yield from self.weight_buf.take()
            decode = self.plans[li].decode
            if decode is None:
                self.decoded.fill((raw_first, raw_first, raw_done, raw_done, raw_first))
                continue
            st = self.stats[li]
            yield from wait_until(env, raw_first)
            if not ev.codebook_ready[li].processed:
                yield ev.codebook_ready[li]
            if decode.passes > 1:
                yield from self.codebook_dma.load_slices(li)
            cb_ready = env.now
            cycles, conflicts, lookups = decode(tile)
            st.decoder_busy += cycles
            st.decoder_conflicts += conflicts
            st.codebook_reads += lookups * decode.entry_bytes * decode.passes
            # every pass but the last only scans: weights come out during the last pass, and
            # the array's first tick needs ``lead`` of the first fold's weights
            last = cycles if decode.passes == 1 else decode.last_pass(tile)
            per_fold = last / nfolds
            before_last = cycles - last
            done = max(env.now + cycles, raw_done + per_fold)
            first = env.now + before_last + per_fold * lead
            self.decoded.fill((first, raw_first, raw_done, done, cb_ready))
            yield from wait_until(env, done)
            left[li] -= 1
            if left[li] == 0:
                ev.decoded[li].succeed()
