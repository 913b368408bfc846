"""The DMA unit: fetches each step's new weight tile (all its streams) and new input tile."""

from __future__ import annotations

from accelsim.engine.pe_array import lead_share


class DmaUnit:
    """Requests go out in step order, one request per tile, weights first; each tile's first
    row is on chip when the memory model's answer to its own request says so, and the step can
    start once the first row of both is (the memory model, not the DMA, decides whether the two
    requests overlap). Weights never wait for data; a layer's first input waits for the last
    write-back of every layer it reads. Vector ops are not fetched here (the vector unit reads
    its own inputs). Requests stay outstanding: consumers wait for the first row, not the DMA."""

    def __init__(self, env, port, plans, weight_buf, input_buf, events, pe) -> None:
        self.env, self.port, self.plans, self.pe = env, port, plans, pe
        self.weight_buf, self.input_buf, self.events = weight_buf, input_buf, events

    def first_fold(self, issued: float, done: float, nbytes: float, nfolds: float,
                   lead: float = 1.0) -> float:
        """When the share of a transfer that the first fold's first tick needs (``lead`` of one
        fold) is on chip, its bytes arriving at the peak rate until ``done``."""
        xfer = nbytes / self.port.peak_bytes_per_cycle
        return max(issued, done - xfer * (1.0 - lead / nfolds))

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
        tile_bytes = sum(sch.w_bytes.values())
        streams = list(sch.w_bytes.items())
        tile_addr = place.w_tile_addr.tolist()
        first_input = True
        cols = (sch.new_w.tolist(), sch.new_i.tolist(), sch.w_tile.tolist(),
                sch.i_bytes.tolist(), sch.folds.tolist(), place.i_addr.tolist(), sch.compute.tolist())
        for new_w, new_i, tile, i_bytes, nfolds, i_addr, compute in zip(*cols, strict=True):
            if not (new_w or new_i):
                continue
            lead = lead_share(self.pe, compute / nfolds)
            if new_w:
                yield from self.weight_buf.reserve()
                parts = [(stream, int(per_tile[tile])) for stream, per_tile in streams]
                w_done = port.access_parts(env.now, li, parts, tile_addr[tile], False)
                w_first = self.first_fold(env.now, w_done, int(tile_bytes[tile]), nfolds, lead)
                # the decoder may start on the weights while the input is issued (or waits for
                # its slot); the PE array waits for the first row of both
                self.weight_buf.fill((li, tile, nfolds, w_first, w_done, lead))
            if new_i:
                yield from self.input_buf.reserve()
                if first_input:
                    yield from self._inputs_written(plan)
                first_input = False
                i_done = port.access(env.now, li, "input", i_addr, i_bytes, False)
                i_first = self.first_fold(env.now, i_done, i_bytes, nfolds, lead)
                self.input_buf.fill((i_first, i_done))
