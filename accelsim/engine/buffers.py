"""On-chip buffers as slot stores for the engine's processes.

A :class:`SlotBuffer` has a fixed number of slots (2 when double-buffered). A producer (a DMA
or the PE array) ``reserve``s a free slot before filling it and ``fill``s it with a token when the
data is there; the consumer ``take``s tokens in order and ``release``s the slot when it is done
with the data. Each side is a single process. Built on plain simpy events, with fast paths that
create no event when a slot or a token is already available (the engine makes millions of these
calls on large models).
"""

from __future__ import annotations

from collections import deque


class SlotBuffer:
    """A FIFO of tokens with ``slots`` capacity; one producer and one consumer process."""

    def __init__(self, env, slots: float) -> None:
        self.env = env
        self.slots = slots
        self.free = slots
        self.ready: deque = deque()
        self._producer = None
        self._consumer = None

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
