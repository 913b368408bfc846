"""The write-back unit: drains finished output tiles (or partial-sum spills) to DRAM."""

from __future__ import annotations

from accelsim.engine.stats import wait_until


class WriteBackUnit:
    """Takes ``(layer, step, bytes, final, last)`` tokens from the output buffer, writes each to
    its placed address, frees the slot when the write is accepted; signals ``events.written``
    after a layer's last tile."""

    def __init__(self, env, port, plans, stats, output_buf, events) -> None:
        self.env, self.port, self.plans, self.stats = env, port, plans, stats
        self.output_buf, self.events = output_buf, events

    def run(self):
        env = self.env
        while True:
            li, step, nbytes, final, last = yield from self.output_buf.take()
            stream = "output" if final else "psum_write"
            addr = int(self.plans[li].place.o_addr[step])
            done = self.port.access(env.now, li, stream, addr, nbytes, True)
            yield from wait_until(env, done)
            self.output_buf.release()
            if last:
                self.stats[li].wb_end = env.now
                self.events.written[li].succeed()
