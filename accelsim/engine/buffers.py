"""On-chip buffers as slot stores for the engine's processes, and their SRAM ports.

A :class:`SlotBuffer` has a fixed number of slots (2 when double-buffered). A producer (a DMA
or the PE array) ``reserve``s a free slot before filling it and ``fill``s it with a token when the
data is there; the consumer ``take``s tokens in order and ``release``s the slot when it is done
with the data. Each side is a single process. Built on plain simpy events, with fast paths that
create no event when a slot or a token is already available (the engine makes millions of these
calls on large models).

A buffer's :class:`SramPort` is the physical limit on how fast DRAM data gets in (or out):
``width_bits / 8 × banks`` bytes per cycle, transfers served oldest first. It is timing state
only (a "free at" time), no simpy event.
"""

from __future__ import annotations

from collections import deque


class SlotBuffer:
    """A FIFO of tokens with ``slots`` capacity; one producer and one consumer process.
    ``port``: the buffer's SRAM port, when DRAM data passes it (None: a hand-over between
    units that has no port)."""

    def __init__(self, env, slots: float, port: SramPort | None = None) -> None:
        self.env = env
        self.slots = slots
        self.port = port
        self.free = slots
        self.ready: deque = deque()
        self._producer = None
        self._consumer = None
        self.released_at = 0.0
        """When a slot was last freed."""

    def reserve(self):
        """Wait for a free slot (generator: ``yield from buf.reserve()``)."""
        if not self.try_reserve():
            yield self.slot_event()

    def try_reserve(self) -> bool:
        """Take a free slot if there is one (no event); False when the producer must wait."""
        if self.free > 0:
            self.free -= 1
            return True
        return False

    def slot_event(self):
        """The event handing the producer the next released slot (after ``try_reserve`` failed)."""
        self._producer = self.env.event()
        return self._producer

    def release(self) -> None:
        """Free a slot, handing it straight to a waiting producer."""
        self.released_at = self.env.now
        if self._producer is not None:
            ev, self._producer = self._producer, None
            ev.succeed()
        else:
            self.free += 1

    def fill(self, token) -> None:
        """Make a token available to the consumer."""
        if self._consumer is not None:
            ev, self._consumer = self._consumer, None
            ev.succeed(token)
        else:
            self.ready.append(token)

    def take(self):
        """The next token (generator: ``token = yield from buf.take()``)."""
        if self.ready:
            return self.ready.popleft()
        return (yield self.token_event())

    def token_event(self):
        """The event carrying the next token to the consumer (when ``ready`` is empty).

        Hot loops write ``buf.ready.popleft() if buf.ready else (yield buf.token_event())``,
        the same as ``yield from buf.take()`` without a generator per call."""
        self._consumer = self.env.event()
        return self._consumer


class SramPort:
    """One port of an SRAM buffer: at most ``B_per_cycle`` bytes a cycle, one transfer after the
    other (oldest first)."""

    __slots__ = ("B_per_cycle", "free_at")

    def __init__(self, width_bits: int, banks: int) -> None:
        self.B_per_cycle = width_bits * banks / 8.0
        self.free_at = 0.0
        """When the port has passed every byte booked so far (had each come in time)."""

    def fill(self, issued: float, done: float, nbytes: float, peak_B_per_cycle: float,
             share: float = 1.0, burst_B: int = 1, pause=(0.0, 0.0), lead_in=None) -> tuple:
        """Book a DRAM read into the buffer: its bytes arrive at the memory's peak rate until
        ``done`` (not before ``issued``), in whole bursts of ``burst_B``, and pass the port once
        it is free; ``pause``: (share of the bytes in before a refresh inside the transfer, its
        cycles). Returns ``(first, stored, knee)``: when the first ``share`` of the bytes
        (rounded up to whole bursts) and when all of them are stored (the bytes stored by ``t``
        are ``min(arrived by t, B_per_cycle × (t − port start))``), and ``None`` or, for a
        transfer with a pause, ``(share before it, its last byte stored, the first after)``;
        ``lead_in``: when the bursts holding the first ``share`` are in, where the memory reported
        its bursts one by one (they may come out of order or apart)."""
        if nbytes <= 0:
            return issued, done, None
        share = min(nbytes, -(-(share * nbytes) // burst_B) * burst_B) / nbytes
        xfer = nbytes / peak_B_per_cycle
        frac, gap = pause
        if not 0.0 < frac < 1.0 or gap <= 0.0:
            frac = gap = 0.0
        if lead_in is None:  # its last byte, at the peak rate back from the last one
            arrived = done - xfer * (1.0 - share) - (gap if share <= frac else 0.0)
        else:  # the memory said when the bursts holding the share are in
            arrived = lead_in
        if arrived < issued:
            arrived = issued
        start = done - xfer - gap
        if start < issued:
            start = issued
        if start < self.free_at:
            start = self.free_at
        span = nbytes / self.B_per_cycle
        first = max(arrived, start + span * share)
        if frac == 0.0:
            self.free_at = start + span
            return first, max(done, start + span), None
        after = max(done - xfer * (1.0 - frac), start + span * frac)  # the pause is over
        before = max(after - gap, start + span * frac)
        stored = max(done, after + span * (1.0 - frac))
        self.free_at = max(stored, start + span)
        return first, stored, (frac, before, after)
