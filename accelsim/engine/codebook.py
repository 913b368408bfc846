"""The codebook DMA: when each layer's codebook is resident in the codebook buffer.

A layer's codebook is loaded as early as the buffer allows: the next layer's codebook is
prefetched while the current layer decodes when both fit (after the current layer's weight
requests, which have priority on the bus), otherwise it waits until the current layer's last
tile is decoded. A codebook larger than the buffer (``passes > 1``) is read into it again, slice
by slice, for every weight tile (:meth:`CodebookDma.load_slices`).
"""

from __future__ import annotations


class CodebookDma:
    """One process loading codebooks layer by layer; signals ``events.codebook_ready``."""

    def __init__(self, env, port, plans, capacity_B: float, events,
                 fill_B_per_cycle: float = float("inf")) -> None:
        self.env, self.port, self.plans = env, port, plans
        self.capacity = capacity_B
        self.events = events
        self.fill_B_per_cycle = fill_B_per_cycle
        """The buffer's write port: a load is in no sooner than its bytes pass through it."""

    def _read(self, li: int, addr: int, nbytes: int):
        """Read ``nbytes`` of layer ``li``'s codebook into the buffer (blocking); returns the
        cycles it took."""
        start = self.env.now
        done = self.port.access(start, li, "codebook", addr, nbytes, False)
        done = max(done, start + -(-nbytes // self.fill_B_per_cycle))
        yield self.env.timeout(max(0.0, done - start))
        return self.env.now - start

    def run(self):
        ev = self.events
        resident_since = None
        for li, plan in enumerate(self.plans):
            size = plan.codebook_bytes
            if size == 0:
                ev.codebook_ready[li].succeed()
                continue
            passes = plan.decode.passes if plan.decode else 1
            prev = resident_since
            if prev is not None:
                prev_size = self.plans[prev].codebook_bytes
                if passes > 1 or prev_size + size > self.capacity:
                    yield ev.decoded[prev]
                else:  # prefetch, but behind the current layer's weights on the bus
                    yield ev.weights_issued[prev]
            if passes == 1:
                yield from self._read(li, plan.place.codebook_addr, size)
            ev.codebook_ready[li].succeed()
            resident_since = li

    def load_slices(self, li: int, pass_cycles: list[float], raw_first: float, raw_done: float):
        """Multi-pass layers: read every codebook slice in again for one tile and run every
        pass but the last over it (blocking); returns the cycles spent loading slices.

        The buffer holds one slice, so each slice is its own request, issued when the pass over
        the one before it is over (``pass_cycles``: the decoder's cycles per pass); the first
        one as soon as the decoder takes the tile. The first pass scans the tile's indices as
        they arrive (``raw_first`` .. ``raw_done``)."""
        plan = self.plans[li]
        size, passes = plan.codebook_bytes, plan.decode.passes
        per = -(-size // passes)
        loading = 0.0
        for p, off in enumerate(range(0, size, per)):
            loading += yield from self._read(li, plan.place.codebook_addr + off, min(per, size - off))
            if p < passes - 1:
                end = self.env.now + pass_cycles[p]
                if p == 0:
                    end = max(end, raw_first + pass_cycles[p], raw_done + 1.0)
                yield self.env.timeout(end - self.env.now)
        return loading
