"""The vector unit: runs the vector ops (softmax, norms, activations, elementwise, pooling) in
layer order, beside the PE array.

An op starts when the vector unit is free and every tensor it reads is written. Its inputs that
are not on chip are read from DRAM as one request each; rows stream through the lanes, so
compute starts with the first row and ends no earlier than the last data + one row. Its output,
when it does not stay on chip, streams to DRAM from the first finished row on; the op is done
(``events.written``) when the last byte is written.
"""

from __future__ import annotations

from accelsim.engine.stats import wait_until
from accelsim.plan.placement import ACT_BASE, ACT_REGION


class VectorUnit:
    """One process walking the vector ops of a plan list in order."""

    def __init__(self, env, port, plans, stats, events) -> None:
        self.env, self.port, self.plans, self.stats = env, port, plans, stats
        self.events = events
        self.free = 0.0

    def run(self):
        for li, plan in enumerate(self.plans):
            if plan.vector is not None:
                yield from self._layer(li, plan)

    def _layer(self, li: int, plan):
        env, work, st = self.env, plan.vector, self.stats[li]
        written = self.events.written
        for d in plan.deps:
            if not written[d].processed:
                yield written[d]
        # the op's time starts when its last producer finished computing (any wait for that
        # producer's write-back is this op's DRAM stall)
        ready = max((self.stats[d].end for d in plan.deps), default=0.0)
        st.start = min(env.now, max(self.free, ready))
        first_in, in_done = self._read(li, work)
        per_row = work.cycles / max(work.rows, 1)
        finish = max(first_in + work.cycles, in_done + per_row)
        end = finish
        if work.write_B:
            yield from wait_until(env, first_in + per_row)
            addr = ACT_BASE + ((li + 1) % 2) * ACT_REGION
            done = self.port.access(env.now, li, "output", addr, work.write_B, True)
            end = max(done, finish + work.write_B / self.port.peak_bytes_per_cycle / work.rows)
        yield from wait_until(env, end)
        st.compute += work.cycles
        st.end = st.wb_end = env.now
        st.stall_dram += st.end - st.start - work.cycles
        self.free = env.now
        written[li].succeed()

    def _read(self, li: int, work) -> tuple[float, float]:
        """Issue the DRAM reads; (first row on chip, last byte on chip)."""
        now, port = self.env.now, self.port
        addr = ACT_BASE + (li % 2) * ACT_REGION
        done, total = now, 0
        for nbytes in work.read_B:
            if nbytes:
                done = max(done, port.access(now, li, "input", addr, nbytes, False))
                addr += nbytes
                total += nbytes
        if not total:
            return now, now
        xfer = total / port.peak_bytes_per_cycle
        return max(now, done - xfer * (1.0 - 1.0 / max(work.rows, 1))), done
