"""The DMA unit: fetches each step's new weight tile (all its streams) and new input tile."""

from __future__ import annotations

from accelsim.engine.pe_array import lead_share


class DmaUnit:
    """Requests go out in step order, one request per tile, weights first; each tile's first
    row is on chip when the memory model's answer to its own request says so, and the step can
    start once the first row of both is (the memory model, not the DMA, decides whether the two
    requests overlap; a tile's bytes arrive at the memory's peak rate until its request
    completes). Each tile then passes its buffer's write port (``SlotBuffer.port``): a row is on
    chip once it has arrived and been stored. Weights never wait for data; a layer's first
    input waits for the last write-back of every layer it reads. Vector ops are not fetched here
    (the vector unit reads its own inputs). Requests stay outstanding: consumers wait for the
    first row, not the DMA."""

    def __init__(self, env, port, plans, weight_buf, input_buf, events, pe) -> None:
        self.env, self.port, self.plans, self.pe = env, port, plans, pe
        self.weight_buf, self.input_buf, self.events = weight_buf, input_buf, events

    def run(self):
        for li, plan in enumerate(self.plans):
            if plan.vector is None:
                yield from self._layer(li, plan)
            self.events.weights_issued[li].succeed()

    def _inputs_written(self, plan):
        """Wait until every tensor the layer reads has been written by its producer."""
        written = self.events.written
        for d in plan.deps:
            if not written[d].processed:
                yield written[d]

    def _layer(self, li: int, plan):
        env, port, sch, place = self.env, self.port, plan.schedule, plan.place
        weight_buf, input_buf = self.weight_buf, self.input_buf
        peak, burst = port.peak_bytes_per_cycle, port.burst_B
        tiles = _tile_requests(sch, place)
        first_input = True
        leads: dict = {}
        cols = [sch.column(n) for n in ("new_w", "new_i", "w_tile", "i_bytes", "folds")]
        for new_w, new_i, tile, i_bytes, nfolds, i_addr, compute in zip(
                *cols, place.i_addr.tolist(), sch.column("compute"), strict=True):
            if not (new_w or new_i):
                continue
            fold = compute / nfolds
            lead = leads.get(fold)
            if lead is None:
                lead = leads[fold] = lead_share(self.pe, fold)
            if new_w:
                if not weight_buf.try_reserve():
                    yield weight_buf.slot_event()
                parts, tile_addr, tile_bytes = tiles[tile]
                w_done = port.access_parts(env.now, li, parts, tile_addr, False)
                w_first, w_done, knee = weight_buf.port.fill(
                    env.now, w_done, tile_bytes, peak, lead / nfolds, burst, port.pause,
                    port.lead_in(tile_bytes * lead / nfolds))
                # the decoder may start on the weights while the input is issued (or waits for
                # its slot); the PE array waits for the first row of both
                weight_buf.fill((li, tile, nfolds, w_first, w_done, lead, knee))
            if new_i:
                if not input_buf.try_reserve():
                    yield input_buf.slot_event()
                if first_input:
                    yield from self._inputs_written(plan)
                first_input = False
                i_done = port.access(env.now, li, "input", i_addr, i_bytes, False)
                input_buf.fill(input_buf.port.fill(env.now, i_done, i_bytes, peak, lead / nfolds,
                                                   burst, port.pause, port.lead_in(i_bytes * lead / nfolds)))


def _tile_requests(sch, place) -> list:
    """Per unique weight tile: (its ``(stream, bytes)`` parts, its address, its bytes)."""
    streams = [(stream, per_tile.tolist()) for stream, per_tile in sch.w_bytes.items()]
    out = []
    for t, addr in enumerate(place.w_tile_addr.tolist()):
        parts = [(stream, sizes[t]) for stream, sizes in streams]
        out.append((parts, addr, sum(size for _, size in parts)))
    return out
