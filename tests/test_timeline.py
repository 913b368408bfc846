"""The engine's timeline from first principles: data dependencies between layers, where the
cycles go (``cycles = compute + stalls``, docs/outputs.md), and multi-pass codebooks.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import gemm_workload
from loopnest import uniform_count, walk

import accelsim
from accelsim import flow
from accelsim.plan.placement import ACT_BASE, ACT_REGION


class Recording:
    """A memory model wrapper that records every request: (issue ns, addr, bytes, write, done ns)."""

    def __init__(self, inner, log: list) -> None:
        self.inner, self.log = inner, log
        self.name, self.peak_GBps = inner.name, inner.peak_GBps

    def request(self, t_ns, addr, nbytes, write):
        done = self.inner.request(t_ns, addr, nbytes, write)
        self.log.append((t_ns, addr, nbytes, write, done))
        return done

    def counters(self):
        return self.inner.counters()

    def __getattr__(self, name):
        return getattr(self.inner, name)


def segments(requests: list) -> list[list]:
    """Split requests (in issue order) where their activation region changes: one run per layer
    (layer i reads region i mod 2 and writes region (i + 1) mod 2, in layer order)."""
    out: list[list] = []
    for req in requests:
        region = (req[1] - ACT_BASE) // ACT_REGION
        if not out or (out[-1][0][1] - ACT_BASE) // ACT_REGION != region:
            out.append([])
        out[-1].append(req)
    return out


def test_a_layer_reads_its_input_only_after_it_is_written(monkeypatch):
    """Each layer's output (32 x 64 int8 = 2 KiB) does not fit the 1.5 KiB input buffer, so it
    goes through DRAM; with a 5 us memory latency a read issued too early would be plain to see."""
    log: list = []
    make = flow.make_memory
    monkeypatch.setattr(flow, "make_memory", lambda cfg: Recording(make(cfg), log))
    wl = {"arch": {"preset": "edge-32x32", "clock_MHz": 1000, "sram": {"input": {"size_KiB": 1.5}},
                   "dram": {"preset": "simple", "bandwidth_GBps": 1000.0, "efficiency": 1.0,
                            "latency_ns": 5000}},
          "layers": [{"name": "a", "M": 32, "K": 32, "N": 64}, {"name": "b", "M": 32, "K": 64, "N": 64},
                     {"name": "c", "M": 32, "K": 64, "N": 32}],
          "baseline": None}
    rows = accelsim.simulate(wl).layers
    assert list(rows["dram_write_output_B"]) == [32 * 64, 32 * 64, 32 * 32]
    act = [r for r in log if ACT_BASE <= r[1] < ACT_BASE + 2 * ACT_REGION]
    reads = segments([r for r in act if not r[3]])
    writes = segments([r for r in act if r[3]])
    assert len(reads) == len(writes) == 3
    for layer in (1, 2):
        written = max(done for *_, done in writes[layer - 1])
        assert sum(n for _, _, n, _, _ in writes[layer - 1]) == 32 * 64
        for t_issue, *_ in reads[layer]:
            assert t_issue >= written  # inputs wait for the previous layer's last write-back


def cycle_split(rows):
    for _, r in rows.iterrows():
        stalls = r["stall_dram"] + r["stall_decoder"] + r["stall_codebook"]
        assert r["cycles"] == pytest.approx(r["cycles_compute"] + stalls, rel=1e-9, abs=1e-6)
        assert min(r["stall_dram"], r["stall_decoder"], r["stall_codebook"]) >= 0
        # the array cannot wait for the decoder longer than the decoder works
        assert r["stall_decoder"] <= r["decoder_busy"] + 1e-6


MULTIPASS = {"scheme": "vq", "k": 256, "d": 8}  # a 256 x 8 fp16 codebook: 4 KiB


def multipass(codebook_KiB=1.0, **kw):
    wl = gemm_workload(64, 512, 256, dram={"preset": "LPDDR4-3200"},
                       sram={"codebook": {"size_KiB": codebook_KiB, "banks": 8}}, **kw)
    wl.update(compression=MULTIPASS, baseline={"scheme": "int8"})
    return accelsim.simulate(wl)


@pytest.mark.parametrize("case", ["memory_bound", "compute_bound", "multipass", "bus_bound"])
def test_cycles_are_compute_plus_stalls(case, request):
    if case == "multipass":
        res = multipass()
        assert res.layers["stall_codebook"].sum() > 0  # the case exercises codebook stalls
    elif case == "bus_bound":
        wl = gemm_workload(8, 2048, 2048, dram={"preset": "simple", "bandwidth_GBps": 1.0,
                                                 "latency_ns": 200})
        wl["compression"] = {"scheme": "ssvq", "k": 16, "d": 8}
        res = accelsim.simulate(wl)
    else:  # the DeiT-Tiny SSVQ example (conftest), as shipped or at batch 32 on a server array
        res = request.getfixturevalue("deit_ssvq_server_b32" if case == "compute_bound"
                                      else "deit_ssvq")
    cycle_split(res.layers)
    cycle_split(res.baseline_layers)


def test_multipass_codebook_reloads_and_energy_by_hand():
    res = multipass()
    row = res.layers.iloc[0]
    assert row["codebook_passes"] == 4  # 4 KiB through a 1 KiB buffer
    counts, _ = walk(row)
    fetches = sum(counts["weight"].values())  # weight-tile fetches
    # every fetched weight tile streams the whole codebook through the buffer again
    assert row["dram_read_codebook_B"] == 4096 * fetches
    assert row["dram_read_index_B"] == uniform_count(counts["weight"]) * 256 * 64  # 8-bit indices
    per_tile = uniform_count(counts["weight"])
    lookups = 256 * 64 * per_tile  # one per 8-vector of every fetched tile
    per_byte = 10.0 / 8 * (1.0 / 8 / 8) ** 0.4746  # 1 KiB in 8 banks: 0.125 KiB each
    want = (lookups * 8 * 2 * 4 + row["dram_read_codebook_B"]) * per_byte  # 4 passes
    assert row["energy_codebook_buf_pJ"] == pytest.approx(want, rel=1e-12)


FAST_GBps = 1e5  # the largest DRAM bandwidth a config accepts (arch.dram.bandwidth_GBps limit)


@pytest.mark.parametrize("clock_MHz", [500, 1250])
def test_latency_bound_layer_closed_form(clock_MHz):
    """One tile, a memory with a 2 us latency and a practically infinite bus: operands arrive
    after one latency, the first preload row passes the weight buffer's port, the array
    computes, the output is written back after another latency (its drain through the output
    buffer's port, 2,048 B at 256 B/cycle, is shorter). Data from memory is usable from the
    first whole cycle after it is complete (each latency plus a bus time well under a cycle)."""
    wl = gemm_workload(64, 32, 32, clock_MHz=clock_MHz,
                       dram={"preset": "simple", "bandwidth_GBps": FAST_GBps, "efficiency": 1.0,
                             "latency_ns": 2000})
    wl["baseline"] = None
    row = accelsim.simulate(wl).layers.iloc[0]
    assert row["steps"] == 1
    latency = 2000 * clock_MHz / 1000  # cycles
    # the bus (the largest bandwidth a config may give) adds at most the time of every byte moved
    bus = row["dram_bytes"] / FAST_GBps * clock_MHz / 1000  # cycles
    assert row["dram_bytes"] == 32 * 32 + 2 * 32 + 64 * 32 + 64 * 32  # int8 W + scales, in, out
    assert 0 < bus < 1
    first_row = (32 * 32 + 2 * 32) / 32 / 256  # 1/R of the weight tile at 256 B/cycle
    start = latency + 1 + first_row  # the reads are usable from cycle latency + 1
    assert row["cycles"] == math.ceil(start + row["cycles_compute"] + latency + bus)


def test_first_tile_waits_for_dram_then_for_its_codebook():
    """One tile of VQ k=256 d=8 (a 4 KiB codebook streamed through a 1 KiB buffer) behind a 2 us
    memory latency: the first tile cannot start before its weights arrive (DRAM stall of at least
    one latency), and the codebook can hold it up for no longer than the codebook load takes. The
    buffer holds one 1 KiB slice, so slice p + 1 is requested only once slice p is in: the load is
    4 requests one after another, 4 x (latency + 1 KiB at the bus rate), each slice usable from
    the next whole cycle."""
    latency = 2000  # ns = cycles at 1 GHz
    wl = gemm_workload(64, 32, 32, clock_MHz=1000,
                       dram={"preset": "simple", "bandwidth_GBps": FAST_GBps, "efficiency": 1.0,
                             "latency_ns": latency},
                       sram={"codebook": {"size_KiB": 1.0, "banks": 8}})
    wl.update(compression=MULTIPASS, baseline=None)
    row = accelsim.simulate(wl).layers.iloc[0]
    assert (row["steps"], row["codebook_passes"]) == (1, 4)
    assert row["stall_dram"] >= latency
    load = 4 * math.ceil(latency + 1024 / FAST_GBps)  # ns = cycles at 1 GHz
    assert 0 < row["stall_codebook"] <= load


@pytest.mark.parametrize("banks, want", [(8, 4 * (2 * 4 + 6) + 2), (64, 4 * 8 + 2)])
def test_multipass_decode_of_a_known_index_stream(tmp_path, banks, want):
    """A 32 x 64 VQ layer (k=256, d=8: 256 vectors) whose trace uses every codeword once, in order,
    decoded in one tile through a 1 KiB codebook buffer (4 passes of 64 codewords). Each pass scans
    the whole stream 32 positions a cycle (8 groups of 32 consecutive codewords); the 64 indices of
    its slice fill two of those groups, the other six cost their one scan cycle. With 8 banks a
    full group holds 4 per bank (4 cycles): 2 x 4 + 6 = 14 a pass; with 64 banks 1 per bank: 8 a
    pass. 4 passes + 2 (pipeline)."""
    from workloads.trace import write_trace

    layer = {"name": "fc", "op": "linear", "weight_shape": (32, 64), "k": 256, "d": 8,
             "codebook": np.ones((256, 8), np.float16), "indices": np.arange(256)}
    trace = write_trace(tmp_path / "tr", "known", "vq", [layer], creator="tests")
    wl = gemm_workload(16, 64, 32, sram={"codebook": {"size_KiB": 1.0, "banks": banks}},
                       decoder={"lookups_per_cycle": 32, "pipeline_depth": 2})
    wl["layers"][0]["name"] = "fc"
    wl.update(compression={"scheme": "vq", "k": 256, "d": 8}, traces=str(trace), baseline=None,
              mapping={"fc": {"tile": {"M": 16, "K": 64, "N": 32}}})  # the whole layer: one tile
    row = accelsim.simulate(wl).layers.iloc[0]
    assert (row["steps"], row["codebook_passes"]) == (1, 4)
    assert row["decoder_busy"] == want
