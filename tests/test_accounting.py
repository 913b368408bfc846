"""DRAM byte accounting from first principles: the format's bytes worked by hand, the loop nest's
refetches counted by brute force, partial sums at 32 bits, the residency rule, totals = sums of
``layers.csv``, and every chosen tile inside its (half-)buffer.

Expectations here never come from the functions the simulator calls (``stream_bytes``, the
mapper's reload factors): byte counts are written out from the format's definition, and
refetches are counted by walking the reported loop nest (``tile``, ``loop_order``) step by step.
"""

from __future__ import annotations

import csv
import json
import math

import pytest
from conftest import gemm_workload
from hypothesis import given, settings
from hypothesis import strategies as st
from loopnest import parse_tile, uniform_count, walk

import accelsim
from accelsim.cli import main as cli_main

KiB = 1024
READ_COLS = {  # stream -> layers.csv column (docs/outputs.md), written out rather than imported
    "weights": "dram_read_weights_B", "scales": "dram_read_scales_B", "index": "dram_read_index_B",
    "sign": "dram_read_sign_B", "codebook": "dram_read_codebook_B",
    "operand": "dram_read_operand_B", "embedding": "dram_read_embedding_B",
    "input": "dram_read_input_B", "psum_read": "dram_read_psum_read_B",
}  # fmt: skip
WRITE_COLS = {"output": "dram_write_output_B", "psum": "dram_write_psum_B"}


def one_layer(M, K, N, compression=None, **arch_over):
    wl = gemm_workload(M, K, N, **arch_over)
    wl["baseline"] = None
    if compression:
        wl["compression"] = compression
    return accelsim.simulate(wl).layers.iloc[0]


# --- weight streams: bytes from the format's definition -----------------------------------------

# A GEMV-shaped layer (M = 1): there is a single M tile, so every weight tile is fetched once
# whatever the tiling and loop order.  N = 96 output channels, K = 200 inputs.
N_, K_ = 96, 200
HAND = {
    # INT8: one byte per weight + one fp16 scale per output channel
    "int8": ({"scheme": "int8"}, {"weights": N_ * K_, "scales": 2 * N_}),
    # FP16: two bytes per weight, no scales
    "fp16": ({"scheme": "fp16"}, {"weights": 2 * N_ * K_}),
    # VQ k=64 d=4: ceil(200/4) = 50 vectors per row, 6-bit indices packed, 64x4 fp16 codebook
    "vq": ({"scheme": "vq", "k": 64, "d": 4}, {"index": 96 * 50 * 6 // 8, "codebook": 64 * 4 * 2}),
    # SSVQ k=16 d=8: ceil(200/8) = 25 vectors per row at 4 bits, one sign bit per weight
    "ssvq": ({"scheme": "ssvq", "k": 16, "d": 8},
             {"index": 96 * 25 * 4 // 8, "sign": 96 * 200 // 8, "codebook": 16 * 8 * 2}),
    # VQ k=5 d=3: ceil(200/3) = 67 vectors per row at ceil(log2 5) = 3 bits, 6432 bits = 804 B;
    # an int8 codebook (5x3 B) carries one fp16 scale
    "vq_odd": ({"scheme": "vq", "k": 5, "d": 3, "codebook_dtype": "int8"},
               {"index": math.ceil(96 * 67 * 3 / 8), "codebook": 5 * 3, "scales": 2}),
}


@pytest.mark.parametrize("case", list(HAND))
def test_weight_streams_equal_the_format_worked_by_hand(case):
    comp, want = HAND[case]
    row = one_layer(1, K_, N_, comp)
    for stream, col in READ_COLS.items():
        if stream in ("input", "psum_read"):
            continue
        assert row[col] == want.get(stream, 0), f"{case}: {stream}"
    assert row["dram_read_input_B"] == K_  # the single input row, int8
    assert row["dram_write_output_B"] == N_  # the single output row, int8


def test_fp16_activations_are_two_bytes():
    row = one_layer(1, K_, N_, pe_array={"rows": 32, "cols": 32, "dataflow": "ws", "mac": "fp16"})
    assert (row["dram_read_input_B"], row["dram_write_output_B"]) == (2 * K_, 2 * N_)


@pytest.mark.parametrize("comp", [{"scheme": "int8"}, {"scheme": "ssvq", "k": 16, "d": 8}])
def test_refetched_tiles_cost_their_bytes_again(comp):
    # small buffers force tiling on every dimension; bytes = fetches per tile x the format's total
    M, K, N = 300, 512, 384
    row = one_layer(M, K, N, comp, sram={"weight": {"size_KiB": 8}, "input": {"size_KiB": 8},
                                         "output": {"size_KiB": 64}},
                    dram={"preset": "simple", "bandwidth_GBps": 4.0})
    counts, trips = walk(row)
    w_fetch, i_fetch = uniform_count(counts["weight"]), uniform_count(counts["input"])
    assert trips["k"] > 1 and trips["n"] > 1 and trips["m"] > 1
    if comp["scheme"] == "int8":
        assert row["dram_read_weights_B"] == w_fetch * K * N
        assert row["dram_read_scales_B"] == w_fetch * 2 * N
    else:
        assert row["dram_read_index_B"] == w_fetch * N * (K // 8) * 4 // 8
        assert row["dram_read_sign_B"] == w_fetch * N * K // 8
    assert row["dram_read_input_B"] == i_fetch * M * K


# --- partial sums: 32 bits each -------------------------------------------------------------------

# Buffers that make a K-outer loop order (partial-sum spills) the mapper's choice for some of
# these layers; the expectation holds whatever order it picks.
SPILL_ARCH = {"sram": {"weight": {"size_KiB": 16}, "input": {"size_KiB": 16},
                       "output": {"size_KiB": 4}},
              "dram": {"preset": "simple", "bandwidth_GBps": 4.0}}


SPILL_SHAPES = [(64, 512, 64), (256, 2048, 64), (256, 512, 512), (96, 1024, 256)]


@pytest.mark.parametrize("shape", SPILL_SHAPES)
def test_partial_sum_bytes_are_32_bit_per_extra_visit(shape):
    M, K, N = shape
    row = one_layer(M, K, N, **SPILL_ARCH)
    counts, _ = walk(row)
    visits = sum(counts["output"].values())
    outputs = len(counts["output"])
    # every visit of an output tile but the last spills it (4 B per element) and every visit but
    # the first reads it back; summed over tiles that is (visits per tile - 1) x M x N x 4 B
    extra = uniform_count(counts["output"]) - 1
    assert visits == outputs * (extra + 1)
    assert row["dram_write_psum_B"] == extra * M * N * 4
    assert row["dram_read_psum_read_B"] == extra * M * N * 4
    assert row["dram_write_output_B"] == M * N  # final outputs once, int8


def test_some_mapping_here_spills_partial_sums():
    """The partial-sum test above means something only if one of its layers spills."""
    assert any(one_layer(*shape, **SPILL_ARCH)["dram_write_psum_B"] > 0 for shape in SPILL_SHAPES)


# --- residency: an activation stays on chip only if it fits ----------------------------------------

def two_layers(input_KiB, output_KiB):
    wl = gemm_workload(197, 192, 768, sram={"input": {"size_KiB": input_KiB},
                                            "output": {"size_KiB": output_KiB}})
    wl["layers"].append({"name": "g2", "op": "linear", "M": 197, "K": 768, "N": 192})
    wl["baseline"] = None
    return accelsim.simulate(wl).layers


@pytest.mark.parametrize("input_KiB, output_KiB", [(64, 256), (256, 128), (128, 128)])
def test_an_activation_that_does_not_fit_goes_through_dram(input_KiB, output_KiB):
    # g's output is 197 x 768 int8 = 151,296 B = 147.75 KiB: more than one of the two buffers
    rows = two_layers(input_KiB, output_KiB)
    assert rows.iloc[0]["dram_write_output_B"] == 197 * 768
    counts, _ = walk(rows.iloc[1])
    assert rows.iloc[1]["dram_read_input_B"] == uniform_count(counts["input"]) * 197 * 768


def test_an_activation_read_from_chip_fits_both_buffers():
    rows = two_layers(256, 256)  # 147.75 KiB fits both: no DRAM traffic for it
    assert rows.iloc[0]["dram_write_output_B"] == 0
    assert rows.iloc[1]["dram_read_input_B"] == 0
    assert rows.iloc[1]["dram_write_output_B"] == 197 * 192  # the last layer's output leaves


# --- tiles fit their buffers ---------------------------------------------------------------------

def weight_bits(row) -> float:
    """Bits per weight element a tile occupies in the weight buffer, from the fetched streams."""
    streams = ("weights", "scales", "index", "sign", "operand")
    fetched = sum(row[READ_COLS[s]] for s in streams)
    counts, _ = walk(row)
    return 8 * fetched / uniform_count(counts["weight"]) / (row["groups"] * row["K"] * row["N"])


def assert_tiles_fit(rows, arch):
    for _, row in rows.iterrows():
        if not row["tile"]:
            continue  # an embedding lookup has no tiles
        t = parse_tile(row)
        half = {b: getattr(arch.sram, b).size_KiB * KiB / (2 if getattr(arch.sram, b).double_buffer
                                                            else 1)
                for b in ("weight", "input", "output")}
        w = t["g"] * t["k"] * t["n"] * weight_bits(row) / 8
        assert w <= half["weight"] * (1 + 1e-9), (row["layer"], w, half["weight"])
        assert t["g"] * t["m"] * t["n"] * 4 <= half["output"], row["layer"]  # 32-bit psums
        if row["dram_read_input_B"] > 0 and row["op"] == "linear":
            assert t["g"] * t["m"] * t["k"] <= half["input"], row["layer"]  # int8 inputs


@pytest.mark.parametrize("overrides", [[], ["arch.sram.weight.size_KiB=16",
                                            "arch.sram.input.size_KiB=32",
                                            "arch.sram.output.size_KiB=16"]])
def test_every_tile_of_a_whole_model_fits_its_half_buffer(overrides, deit_ssvq):
    res = (accelsim.simulate("workloads/examples/deit_tiny_ssvq.yaml", overrides) if overrides
           else deit_ssvq)  # the example as shipped: simulated once for the suite (conftest)
    assert_tiles_fit(res.layers, res.config.arch)
    assert_tiles_fit(res.baseline_layers, res.config.arch)


def test_a_conv_is_charged_its_real_input_footprint():
    """A 3x3 conv over 8 channels of 32x32: its im2col matrix is 1024 x 72 B = 72 KiB, but it reads
    only 8 x 34 x 34 = 9,248 B, which fits half of a 32 KiB input buffer: with ideal memory it
    runs untiled, in SCALE-Sim's count (3 row folds x 1 column fold x (2·32 + 32 + 1024 - 2)),
    plus what the SRAM ports (256 B a cycle) expose: the first preload row (1/32 of the first of
    3 folds of 72 x 16 B of weights + 16 fp16 scales) and the 1024 x 16 B output's drain."""
    wl = gemm_workload(sram={"input": {"size_KiB": 32}})
    wl["layers"] = [{"name": "c", "op": "conv", "M": 1024, "K": 72, "N": 16, "kernel": [3, 3],
                     "in_elems": 8 * 34 * 34}]
    wl["baseline"] = None
    row = accelsim.simulate(wl).layers.iloc[0]
    assert row["cycles_compute"] == 3 * 1 * (64 + 32 + 1024 - 2)
    exposed = math.ceil((72 * 16 + 16 * 2) / (32 * 3)) / 256 + 1024 * 16 / 256  # whole bytes
    assert row["cycles"] == pytest.approx(row["cycles_compute"] + exposed, abs=1e-9)
    assert row["dram_read_input_B"] == 8 * 34 * 34


def test_infeasible_names_the_buffer_that_is_too_small():
    from accelsim.errors import InfeasibleError

    # the smallest weight tile (32 x 32 int8 + 32 fp16 scales = 1,088 B) exactly fills half of a
    # 2.125 KiB weight buffer; it is the output buffer that cannot hold one 32-bit partial sum tile
    wl = gemm_workload(64, 32, 32, sram={"weight": {"size_KiB": 2.125}, "output": {"size_KiB": 0.001}})
    with pytest.raises(InfeasibleError, match="in the output buffer"):
        accelsim.simulate(wl)


# dimensions up to 300 x 1500 x 1500 already overflow every buffer size drawn (a 1500 x 22 int8
# weight tile is over half of 64 KiB), so every dimension gets tiled; 600 x 3000 x 3000 only made
# the selection's candidate simulations (steps ~ M·K·N) three times slower
@settings(max_examples=20, deadline=None, derandomize=True, database=None)
@given(M=st.integers(1, 300), K=st.integers(1, 1500), N=st.integers(1, 1500),
       kib=st.tuples(*[st.sampled_from([2, 4, 8, 16, 64])] * 3),
       comp=st.sampled_from([{"scheme": "int8"}, {"scheme": "ssvq", "k": 16, "d": 8},
                             {"scheme": "fp16"}]))
def test_random_layers_tiles_fit_their_half_buffers(M, K, N, kib, comp):
    from accelsim.errors import InfeasibleError

    wl = gemm_workload(M, K, N, sram={b: {"size_KiB": s} for b, s in
                                      zip(("weight", "input", "output"), kib, strict=True)})
    wl.update(baseline=None, compression=comp)
    try:
        res = accelsim.simulate(wl)
    except InfeasibleError:
        return
    assert_tiles_fit(res.layers, res.config.arch)


# --- totals -----------------------------------------------------------------------------------------

MIXED = [  # every op kind, a layer with partial-sum spills, a resident and a non-resident output
    {"name": "embed", "op": "embedding", "M": 16, "K": 1, "N": 64, "weights": False},
    # (96, 1024, 256) spills partial sums under SPILL_ARCH (test_some_mapping_here_spills...)
    {"name": "fc1", "op": "linear", "M": 96, "K": 1024, "N": 256, "inputs": ["external"]},
    # reads 2,048 of fc1's 24,576 outputs (24 KiB > the 4 KiB output buffer: through DRAM)
    {"name": "scores", "op": "matmul", "M": 16, "K": 32, "N": 16, "groups": 4, "weights": False,
     "inputs": ["fc1"]},
    # scores' 4 x 16 x 16 = 1,024 B fit both buffers: resident
    {"name": "soft", "op": "softmax", "M": 16, "K": 1, "N": 16, "groups": 4, "weights": False},
    {"name": "fc2", "op": "linear", "M": 256, "K": 2048, "N": 64, "inputs": ["external"]},
    {"name": "fc3", "op": "linear", "M": 256, "K": 64, "N": 130},  # reads fc2's 16 KiB from DRAM
    {"name": "dw", "op": "conv", "M": 64, "K": 9, "N": 1, "groups": 16, "kernel": [3, 3],
     "in_elems": 16 * 10 * 10, "inputs": ["external"]},  # depthwise: 16 groups of 9 x 1 weights
]


def read_csv(path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def assert_one_timeline(rows, totals):
    """Each row is ``end_cycle - start_cycle`` long; each unit runs one layer at a time, so the
    total (the last ``end_cycle``) is at least either unit's sum of rows and at most both sums."""
    for r in rows:
        assert float(r["cycles"]) == pytest.approx(float(r["end_cycle"]) - float(r["start_cycle"]))
    for unit in ("pe", "vector"):
        spans = sorted((float(r["start_cycle"]), float(r["end_cycle"])) for r in rows
                       if r["unit"] == unit)
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            assert start >= end - 1e-6, unit
    assert totals["cycles"] == pytest.approx(max(float(r["end_cycle"]) for r in rows))
    assert max(totals["cycles_pe"], totals["cycles_vector"]) <= totals["cycles"] * (1 + 1e-9)
    assert totals["cycles"] <= (totals["cycles_pe"] + totals["cycles_vector"]) * (1 + 1e-9)


def test_summary_totals_are_the_sums_of_layers_csv(tmp_path):
    wl = {"name": "mixed", "arch": {"preset": "edge-32x32", **SPILL_ARCH}, "layers": MIXED,
          "compression": {"scheme": "ssvq", "k": 16, "d": 8}, "baseline": {"scheme": "int8"}}
    path = tmp_path / "w.json"
    path.write_text(json.dumps(wl))  # YAML is a superset of JSON
    out = tmp_path / "out"
    assert cli_main(["run", "--quiet", str(path), "-o", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    for totals, rows in ((summary["totals"], read_csv(out / "layers.csv")),
                         (summary["baseline"], read_csv(out / "baseline_layers.csv"))):
        def col(name, rows=rows):
            return sum(float(r[name]) for r in rows)

        for stream, name in READ_COLS.items():
            assert totals["dram_read_B"][stream] == col(name), stream
        for key, name in WRITE_COLS.items():
            assert totals["dram_write_B"][key] == col(name), key
        assert totals["dram_bytes"] == col("dram_bytes")
        assert totals["dram_bytes"] == sum(col(c) for c in (*READ_COLS.values(), *WRITE_COLS.values()))
        for key in ("stall_dram", "stall_decoder", "stall_codebook", "macs"):
            assert totals[key] == pytest.approx(col(key)), key
        pe = [r for r in rows if r["unit"] == "pe"]
        vec = [r for r in rows if r["unit"] == "vector"]
        assert [r["layer"] for r in vec] == ["soft"] and len(pe) + len(vec) == len(rows)
        assert totals["cycles_compute"] == pytest.approx(col("cycles_compute", pe))
        assert totals["cycles_vector_compute"] == pytest.approx(col("cycles_compute", vec))
        assert totals["cycles_pe"] == pytest.approx(col("cycles", pe))
        assert totals["cycles_vector"] == pytest.approx(col("cycles", vec))
        assert_one_timeline(rows, totals)
        # edge-32x32 runs at 800 MHz: 800,000 cycles per ms; bytes per ns = GB/s
        assert totals["time_ms"] == pytest.approx(totals["cycles"] / 800_000)
        assert totals["bandwidth_GBps"] == pytest.approx(col("dram_bytes") / (totals["time_ms"] * 1e6))
        assert totals["peak_bandwidth_GBps"] == 4.0
        assert totals["layers"] == len(rows) == len(MIXED)
        for key in [k for k in rows[0] if k.startswith("energy_")]:
            assert totals[key] == pytest.approx(col(key)), key
        weights = sum(totals["dram_read_B"][s] for s in ("weights", "scales", "index", "sign",
                                                           "codebook"))
        elems = sum(int(r["K"]) * int(r["N"]) * int(r["groups"]) for r in rows
                    if r["weights"] == "True")
        assert totals["weight_bits_fetched_per_weight"] == pytest.approx(8 * weights / elems)
    by_name = {r["layer"]: r for r in read_csv(out / "layers.csv")}
    assert float(by_name["scores"]["dram_write_output_B"]) == 0  # resident: soft reads it on chip
    assert float(by_name["soft"]["dram_read_input_B"]) == 0
    assert float(by_name["fc2"]["dram_write_output_B"]) == 256 * 64  # 16 KiB > 4 KiB: via DRAM
    # the streams differ, so a total charged to the wrong stream shows
    t = summary["totals"]["dram_read_B"]
    assert len({t["index"], t["sign"], t["codebook"], t["input"], t["operand"]}) == 5
    assert min(t["index"], t["sign"], t["operand"], t["embedding"]) > 0
    assert summary["baseline"]["dram_read_B"]["psum_read"] > 0  # INT8 fc1 spills partial sums
    assert summary["speedup_vs_baseline"] == pytest.approx(summary["baseline"]["cycles"]
                                                           / summary["totals"]["cycles"])


def test_totals_of_no_layers_are_zero_not_an_error():
    from accelsim.report import totals

    t = totals([], clock_MHz=800.0, peak_GBps=4.0)
    assert (t["cycles"], t["dram_bytes"], t["bandwidth_GBps"], t["layers"]) == (0, 0, 0.0, 0)
    assert t["weight_bits_fetched_per_weight"] == 0.0
