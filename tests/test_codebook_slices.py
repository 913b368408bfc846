"""When a multi-pass codebook's slices are read, worked by hand: the codebook buffer holds one
slice, so slice ``p + 1`` is read once the pass over slice ``p`` is over; the first slice of a
tile as soon as the decoder takes the tile (it needs no index byte), the next tile's as soon as
the last pass's last group is done (the pipeline behind it does not hold the buffer).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import simpy
from conftest import gemm_workload
from test_timeline import Recording

import accelsim
from accelsim import flow
from accelsim.engine.codebook import CodebookDma
from accelsim.plan.placement import CODEBOOK_BASE

LATENCY = 1000  # ns = cycles at 1 GHz
FAST = {"preset": "simple", "bandwidth_GBps": 1e5, "efficiency": 1.0, "latency_ns": LATENCY}
"""A memory whose bus time is negligible (1 KiB in 0.01 ns) behind a fixed 1 us latency."""


def logged(monkeypatch) -> list:
    log: list = []
    make = flow.make_memory
    monkeypatch.setattr(flow, "make_memory", lambda cfg: Recording(make(cfg), log))
    return log


def known_stream_layer(tmp_path, N_tile: int, **wl_over):
    """The 32 x 64 VQ layer (k=256, d=8: a 4 KiB codebook, 4 passes through a 1 KiB buffer)
    whose 256 vectors use every codeword once, in order, under 32 lookups a cycle on 8 banks."""
    from workloads.trace import write_trace

    layer = {"name": "fc", "op": "linear", "weight_shape": (32, 64), "k": 256, "d": 8,
             "codebook": np.ones((256, 8), np.float16), "indices": np.arange(256)}
    trace = write_trace(tmp_path / "tr", "known", "vq", [layer], creator="tests")
    wl = gemm_workload(16, 64, 32, dram=FAST, clock_MHz=1000,
                       sram={"codebook": {"size_KiB": 1.0, "banks": 8}},
                       decoder={"lookups_per_cycle": 32, "pipeline_depth": 2}, **wl_over)
    wl["layers"][0]["name"] = "fc"
    wl.update(compression={"scheme": "vq", "k": 256, "d": 8}, traces=str(trace), baseline=None,
              mapping={"fc": {"tile": {"M": 16, "K": 64, "N": N_tile}}})
    return wl


def test_slices_follow_the_passes_tile_after_tile(tmp_path, monkeypatch):
    """Two weight tiles of 16 output rows (128 vectors: codewords 0-127, then 128-255), both
    read at cycle 0 (double-buffered weights). A pass over slice ``p`` (codewords 64p..64p+63)
    scans 4 groups of 32 positions: a group holding 32 of the slice's codewords costs 4 cycles
    (4 per bank), one holding none its 1 scan cycle. Tile 0's passes: 4+4+1+1 = 10, 10, 4, 4;
    tile 1's: 4, 4, 10, 10. Tile 0's first slice is read at cycle 0 with the tile; every later
    slice once the pass over the one before it is over: its request follows the previous slice's
    arrival by that pass (10, 10, 4), and tile 1's first slice follows tile 0's last slice by
    tile 0's last pass alone (4: the pipeline depth behind it does not hold the buffer). The
    gaps are exact up to the rounding of an arrival to a whole cycle (< 1)."""
    log = logged(monkeypatch)
    row = accelsim.simulate(known_stream_layer(tmp_path, 16)).layers.iloc[0]
    assert (row["steps"], row["codebook_passes"]) == (2, 4)
    slices = [(t, addr - CODEBOOK_BASE, done) for t, addr, _, w, done in log
              if CODEBOOK_BASE <= addr < CODEBOOK_BASE + (1 << 24) and not w]
    assert [off for _, off, _ in slices] == [0, 1024, 2048, 3072] * 2
    assert slices[0][0] == 0
    assert all(done >= t + LATENCY for t, _, done in slices)  # ns = cycles at 1 GHz
    gaps = [nxt[0] - prev[2] for prev, nxt in zip(slices, slices[1:], strict=False)]
    for gap, want in zip(gaps, [10, 10, 4, 4, 4, 4, 10], strict=True):
        assert want - 1e-6 <= gap < want + 1
    assert row["decoder_busy"] == 2 * (10 + 10 + 4 + 4 + 2)  # + pipeline depth once per tile


def test_the_first_pass_waits_for_the_index_bytes():
    """``load_slices`` alone, on a memory that answers every request 10 cycles after it is
    issued: a 512 B codebook in two 256 B slices, passes of 5 and 7 cycles. Slice 1 is read
    once pass 0 is over: 10 + 5 = 15 when the tile's indices are all in by then; when they are
    in only at cycle 100, pass 0 ends one scan cycle after that (101)."""
    def slice_reads(raw_done: float) -> tuple[list, float]:
        env = simpy.Environment()
        issued: list = []

        def access(now, li, stream, addr, nbytes, write):
            issued.append((now, addr, nbytes))
            return now + 10.0

        plan = SimpleNamespace(codebook_bytes=512, decode=SimpleNamespace(passes=2),
                               place=SimpleNamespace(codebook_addr=0))
        dma = CodebookDma(env, SimpleNamespace(access=access), [plan], 256, None)
        proc = env.process(dma.load_slices(0, [5.0, 7.0], 0.0, raw_done))
        env.run()
        return issued, proc.value

    assert slice_reads(3.0) == ([(0, 0, 256), (15.0, 256, 256)], 20.0)
    assert slice_reads(100.0) == ([(0, 0, 256), (101.0, 256, 256)], 20.0)
