"""The write-back unit: drains finished output tiles (or partial-sum spills) to DRAM."""

from __future__ import annotations


class WriteBackUnit:
    """Takes ``(layer, step, bytes, final, last)`` tokens from the output buffer, writes each to
    its placed address, frees the slot when the write is accepted and the tile has left the
    buffer through its read port (``width_bits / 8 × banks`` bytes a cycle, one tile at a time;
    the buffer's write port, which partial-sum read-backs pass, is a separate one); signals
    ``events.written`` after a layer's last tile."""

    def __init__(self, env, port, plans, stats, output_buf, events) -> None:
        self.env, self.port, self.plans, self.stats = env, port, plans, stats
        self.output_buf, self.events = output_buf, events

    def run(self):
        env, output_buf = self.env, self.output_buf
        drain_B_per_cycle = output_buf.port.B_per_cycle
        addrs: dict[int, list] = {}
        while True:
            token = output_buf.ready.popleft() if output_buf.ready else (yield output_buf.token_event())
            li, step, nbytes, final, last = token
            stream = "output" if final else "psum_write"
            if li not in addrs:
                addrs = {li: self.plans[li].place.o_addr.tolist()}
            done = self.port.access(env.now, li, stream, addrs[li][step], nbytes, True)
            done = max(done, env.now + nbytes / drain_B_per_cycle)
            if done > env.now:
                yield env.timeout(done - env.now)
            output_buf.release()
            if last:
                self.stats[li].wb_end = env.now
                self.events.written[li].succeed()
