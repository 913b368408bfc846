"""The cycle-stepped reference model (accelsim/reference/): its pieces worked by hand, the CLI,
and its agreement with the event engine on random small cases."""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import accelsim
from accelsim.cli import main
from accelsim.plan.pe_array import compute_cycles
from accelsim.reference import MAX_COMPUTE_CYCLES
from accelsim.reference.run import simulate
from accelsim.reference.systolic import step_ticks

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("dataflow", "expect"), [
    # R = C = 4, M=10 K=9 N=7. ws: ceil(9/4)·ceil(7/4) = 6 folds of 2·4+4+10−2 = 20 → 120;
    # os: ceil(10/4)·ceil(7/4) = 6 folds of 4+4+9−2 = 15 → 90; is: 3·3 = 9 folds of 8+4+7−2 = 17
    ("ws", 120), ("os", 90), ("is", 153)])
def test_stepped_folds_take_scalesim_cycles(dataflow, expect):
    assert sum(1 for _ in step_ticks(dataflow, 4, 4, 1, 10, 9, 7)) == expect
    assert sum(1 for _ in step_ticks(dataflow, 4, 4, 2, 10, 9, 7)) == 2 * expect  # two groups


def test_ws_preloads_weights_row_by_row_then_streams_inputs():
    # ws, R=C=4, M=10 K=8 N=4: 2 row folds × 1 column fold; fold 0 uses the first half of the
    # weights (4 rows: 1/8 of the tile per tick) and the first K-slice of the inputs
    ticks = list(step_ticks("ws", 4, 4, 1, 10, 8, 4))
    assert ticks[:4] == [(0.125, 0.0), (0.25, 0.0), (0.375, 0.0), (0.5, 0.0)]
    assert ticks[4] == (0.0, 0.05)  # first input row: 1/10 of the first of two K-slices
    assert ticks[13] == (0.0, 0.5)  # the tenth (last) input row of fold 0
    assert ticks[14:20] == [(0.0, 0.0)] * 6  # skew + drain: R + C − 2 = 6 ticks
    assert ticks[20] == (0.625, 0.0)  # fold 1 preloads the second half of the weights
    assert len(ticks) == 2 * (8 + 4 + 10 - 2)


def _vq_workload(tmp_path, indices, lookups, banks):
    from workloads.trace import write_trace

    # one 16×32 linear, d=8: 16 rows × 4 vectors = 64 indices, one tile (loose buffers)
    k, d = 16, 8
    layer = {"name": "g", "op": "linear", "weight_shape": (16, 32), "k": k, "d": d,
             "codebook": np.full((k, d), 0.5, np.float16), "indices": np.asarray(indices)}
    trace = write_trace(tmp_path / "trace", "t", "vq", [layer], creator="test")
    return {"name": "vq", "baseline": None, "traces": str(trace),
            "compression": {"scheme": "vq", "k": k, "d": d},
            "arch": {"preset": "edge-32x32", "dram": {"preset": "ideal"},
                     "decoder": {"lookups_per_cycle": lookups},
                     "sram": {"codebook": {"size_KiB": 16, "banks": banks, "width_bits": 128}}},
            "layers": [{"name": "g", "op": "linear", "M": 8, "K": 32, "N": 16}]}


def test_decoder_serialises_same_bank_lookups_of_the_real_index_stream(tmp_path):
    # all 64 indices are codeword 0 (bank 0): each group of 4 lookups takes 4 cycles
    # (a 16-byte fp16 codeword is one 128-bit read) → busy 64, conflicts 64 − 16 groups = 48
    row = simulate(accelsim.load(_vq_workload(tmp_path, [0] * 64, 4, 4))).rows[0]
    assert (row["decoder_busy"], row["decoder_conflicts"]) == (64, 48)
    # indices 0,1,2,3,0,1,2,3,…: every group hits 4 different banks → 16 cycles, no conflict
    row = simulate(accelsim.load(_vq_workload(tmp_path, [0, 1, 2, 3] * 16, 4, 4))).rows[0]
    assert (row["decoder_busy"], row["decoder_conflicts"]) == (16, 0)


def test_reference_counts_the_same_dram_bytes_as_the_engine():
    wl = {"name": "g", "baseline": None, "arch": {"preset": "edge-32x32",
          "dram": {"preset": "LPDDR4-3200"}, "sram": {"weight": {"size_KiB": 4}}},
          "layers": [{"name": "a", "op": "linear", "M": 40, "K": 96, "N": 72},
                     {"name": "b", "op": "linear", "M": 40, "K": 72, "N": 48}]}
    cfg = accelsim.load(wl)
    ref, eng = simulate(cfg).rows, accelsim.simulate(cfg).rows
    cols = [c for c in ref[0] if c.startswith("dram_read_") or c.startswith("dram_write_")]
    assert [[r[c] for c in cols] for r in ref] == [[r[c] for c in cols] for r in eng]
    for r in ref:  # every cycle is compute or one stall
        parts = r["cycles_compute"] + r["stall_dram"] + r["stall_decoder"] + r["stall_codebook"]
        assert parts == r["cycles"]


def test_cli_reference_refuses_vector_ops(tmp_path, capsys):
    """The reference times the PE array's layers only: a workload with a vector op is refused
    with the file, the ops and a hint (exit 2; it used to end in a traceback)."""
    path = tmp_path / "w.yaml"
    path.write_text("name: v\narch: edge-32x32\nlayers:\n"
                    "  - {name: fc1, op: linear, M: 64, K: 64, N: 96}\n"
                    "  - {name: act, op: gelu, M: 64, N: 96, inputs: [fc1]}\n")
    assert main(["run", "--reference", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: --reference times the PE array's layers only; this "
                          "workload has 1 vector op(s) ('act'); hint: ")
    assert "Traceback" not in err


def test_reference_reads_an_unaligned_tile_burst_by_burst():
    """A tile at an address that is not a multiple of the memory's burst (compressed tiles are
    stored back to back) is read as one request per burst it touches: the memory sees the same
    bursts as for one request of the whole tile (32 B requests at the tile's own offsets used to
    straddle two bursts each, doubling the reads: vq_trace's fc1 was 4.6 % slower in the
    reference than in the engine, now 1.6 % faster)."""
    from accelsim.memory import make_memory
    from accelsim.reference.transfer import Port, Tally, Transfer, issue
    from accelsim.spec.config import DramConfig

    addr, size = 0x30288, 576  # 20.25 bursts of 32 B in: 19 bursts touched
    counts = []
    for split in (True, False):
        memory = make_memory(DramConfig(preset="LPDDR4-3200"))
        port = Port(memory, 800.0, [Tally()])
        tr = Transfer(size)
        if split:
            issue(port, 0, 0, [(tr, addr)])
            assert sum(tr.sizes) == size and len(tr.sizes) == 19
        else:
            port.request(0, 0, addr, size, False)
        counts.append(memory.counters()["bursts"])
    assert counts[0] == counts[1] == 19


def test_reference_waits_only_for_the_layers_a_layer_reads(monkeypatch):
    """A layer whose input comes from outside (``inputs: [external]``) reads it without waiting
    for the previous layer's write-back, as in the engine: its first input read goes out before
    the previous layer's last write is done (the reference used to wait for the previous layer
    whatever the layer read)."""
    from accelsim.flow import plan_scheme
    from accelsim.reference.transfer import Port
    from accelsim.spec.layers import resolve_layers

    wl = {"name": "g", "baseline": None, "arch": {"preset": "edge-32x32", "dram": {"preset": "LPDDR4-3200"}},
          "layers": [{"name": "a", "op": "linear", "M": 64, "K": 64, "N": 64},
                     {"name": "b", "op": "linear", "M": 64, "K": 64, "N": 64, "inputs": ["external"]}]}
    cfg = accelsim.load(wl)
    planned = plan_scheme(cfg, resolve_layers(cfg), cfg.compression, None)
    input_b = int(planned.plans[1].place.i_addr[0])
    log = []
    request = Port.request

    def logged(self, cycle, layer, addr, nbytes, write):
        done = request(self, cycle, layer, addr, nbytes, write)
        log.append((cycle, layer, addr, write, done))
        return done

    monkeypatch.setattr(Port, "request", logged)
    simulate(cfg)
    first_read_b = min(c for c, li, a, w, _ in log if li == 1 and not w and a == input_b)
    last_write_a = max(d for c, li, a, w, d in log if li == 0 and w)
    assert first_read_b < last_write_a


def test_cli_reference_writes_the_same_columns(tmp_path):
    gemm = "workloads/examples/gemm_fc1.yaml"
    assert main(["run", "--quiet", gemm, "-o", str(tmp_path / "e")]) == 0
    assert main(["run", "--quiet", "--reference", gemm, "-o", str(tmp_path / "r")]) == 0
    eng = list(csv.DictReader((tmp_path / "e" / "layers.csv").open()))
    ref = list(csv.DictReader((tmp_path / "r" / "layers.csv").open()))
    assert list(ref[0]) == list(eng[0])
    # ideal DRAM: both add to SCALE-Sim's 41,904 cycles only what the SRAM ports expose (the
    # first weight row's fill and the last output tile's drain, 24.75 cycles in the engine;
    # the reference counts whole cycles)
    assert float(ref[0]["cycles_compute"]) == float(eng[0]["cycles_compute"]) == 41904
    assert 41904 < float(ref[0]["cycles"]) and abs(float(ref[0]["cycles"]) - float(eng[0]["cycles"])) < 1


def test_cli_reference_refuses_large_workloads(capsys):
    path = "workloads/examples/deit_tiny_int8.yaml"
    assert main(["run", "--reference", path]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: --reference runs workloads of at most "
                          f"{MAX_COMPUTE_CYCLES:,} compute cycles; this one has ")
    assert "hint:" in err


def _agreement():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import reference_agreement
    finally:
        sys.path.pop(0)
    return reference_agreement


def _agreement_on_30_cases(tmp_path) -> tuple[dict, dict]:
    """Agreement figures of the 30 cases (seed 1): all of them, and those on ideal memory."""
    agreement = _agreement()
    got = agreement.cases(30, 1, tmp_path)
    assert all(r["same_bytes"] for _, r in got)
    ideal = [r for c, r in got if c["dram"] == "ideal"]
    return (agreement.summary([r for _, r in got])["cycles"], agreement.summary(ideal)["cycles"])


@pytest.mark.slow
def test_engine_agrees_with_the_reference_on_random_cases(tmp_path):
    """30 cases of benchmarks/reference_agreement.py (seed 1): the same bytes, and cycles within
    the issue's goal (median 0.5 %, worst 2 %; docs/reference.md lists the known differences
    behind the tail of the 300-case runs)."""
    cycles, ideal = _agreement_on_30_cases(tmp_path)
    # Measured 0.016 % median, 0.74 % worst (case 19, LPDDR5). Case 0 (LPDDR5: a 1,682 B
    # input issued while a 5,568 B one is in flight) was 5.87 % off while the DRAM model charged
    # a refresh to a transfer whose column commands all came before it (docs/dram.md).
    assert cycles["median"] <= 0.005
    assert cycles["worst"] <= 0.02
    # ideal memory leaves the combining logic alone: measured 0.010 % median, 0.34 % worst (9
    # cases; 1.54 % worst while the engine left the data buffers' SRAM ports free)
    assert ideal["median"] <= 0.005
    assert ideal["worst"] <= 0.01


@pytest.mark.slow
def test_engine_agrees_with_the_reference_across_layers(tmp_path):
    """15 cases of two GEMMs, the second reading the first (``reference_agreement.py --chain 2
    --seed 10``): weights prefetched across the layer boundary, the second layer's inputs after
    the first one's write-back (or resident). The same bytes and the issue's bounds: measured
    0.10 % median, 1.40 % worst (#1, is, VQ, LPDDR4)."""
    got = _agreement().cases(15, 10, tmp_path, chain=2)
    assert all(len(c["next_N"]) == 1 for c, _ in got)
    assert all(r["same_bytes"] for _, r in got)
    cycles = _agreement().summary([r for _, r in got])["cycles"]
    assert cycles["median"] <= 0.005
    assert cycles["worst"] <= 0.02


@pytest.mark.parametrize("seed, index", [(1, 164), (1, 140)])
def test_is_preload_does_not_wait_for_the_decoders_hand_over(tmp_path, seed, index):
    """Agreement cases where an `is` step's compressed weights are fetched per step: the array
    preloads its resident inputs (R ticks) while the weights are read and decoded, so the step
    starts before the decoder takes the tile. The engine used to start the step only when the
    decoder handed the tile over: 5.3 % (seed 1 #164, 4 codebook passes) and 10.9 % (#140) slower
    than the reference; now within 2 %."""
    got = _agreement().cases(1, seed, tmp_path, only={index})
    assert [c["index"] for c, _ in got] == [index]
    case, res = got[0]
    assert case["dataflow"] == "is" and case["scheme"] != "int8"
    assert res["same_bytes"]
    assert abs(res["ratio"] - 1) <= 0.02


@pytest.mark.parametrize("seed, index", [(1, 174), (1, 154)])
def test_a_step_gives_up_its_input_slot_when_it_is_over(tmp_path, seed, index):
    """Agreement cases with double-buffered inputs where every step needs new weights and a new
    input: a step's input slot is free once the step is over (the array moves on to the next
    input), so the input after next is read while the next weights are still decoded. The
    engine used to keep the slot until the next step's weights were in: seed 1 #174 (ws, VQ,
    LPDDR4) 5.6 % faster and #154 (ws, SSVQ, LPDDR5, 4 codebook passes) 7.0 % slower than the
    reference; now within 1 %."""
    got = _agreement().cases(1, seed, tmp_path, only={index})
    assert [c["index"] for c, _ in got] == [index]
    case, res = got[0]
    assert case["sram"]["input"]["double_buffer"] and case["scheme"] != "int8"
    assert res["same_bytes"]
    assert abs(res["ratio"] - 1) <= 0.01


@settings(max_examples=300, deadline=None)
@given(dataflow=st.sampled_from(["ws", "os", "is"]), rows=st.sampled_from([2, 4, 8, 16]),
       cols=st.sampled_from([2, 4, 8, 16]), ms=st.integers(1, 40), ks=st.integers(1, 40),
       ns=st.integers(1, 40), lookups=st.integers(1, 64), per_group=st.integers(1, 32))
def test_the_engine_counts_the_ticks_that_wait_for_a_decode_group(
        dataflow, rows, cols, ms, ks, ns, lookups, per_group):
    """A compressed tile's lookups come out of the decoder a group at a time; the ticks of a
    fold that need a group wait for it and then run one a cycle. For the tick that ends the
    step's first pass over the weights and for the one that needs the whole tile, the engine's
    count of the ticks before it that need its group (``by_groups`` with the group out at 0)
    equals the reference's, stepped tick by tick (#73 of the agreement run, seed 0: 6 cycles
    on 176 before; seed 2 #212, ideal memory: 6 on 233)."""
    from accelsim.engine.pe_array import by_groups, first_pass_needs, last_weight_fold
    from accelsim.plan.pe_array import folds, spatial_temporal

    pe = SimpleNamespace(dataflow=dataflow, rows=rows, cols=cols)
    nfolds = folds(dataflow, rows, cols, ms, ks, ns)
    sr, sc, _ = spatial_temporal(dataflow, ms, ks, ns)
    grid = (-(-sr // rows), -(-sc // cols))
    fold = compute_cycles(dataflow, rows, cols, ms, ks, ns) / nfolds
    ticks, share = last_weight_fold(pe, fold, nfolds, grid)
    groups = (per_group / lookups, 0.0, (lookups - (-(-lookups // per_group) - 1) * per_group) / lookups)
    shares = [w for w, _ in step_ticks(dataflow, rows, cols, 1, ms, ks, ns)]
    need = [math.ceil(w * lookups - 1e-9) for w in shares]
    for share_needed in (first_pass_needs(pe, fold, grid)[0], 1.0):
        want = math.ceil(share_needed * lookups - 1e-9)
        group_start = (-(-want // per_group) - 1) * per_group  # lookups out before its group
        assume((want - group_start) / lookups <= share)  # the group lies within one fold
        start = end = next(i for i, w in enumerate(shares) if w >= share_needed - 1e-12)
        while start > 0 and need[start - 1] > group_start:
            start -= 1
        assert end - start + 1 == by_groups(0.0, 0.0, groups, share_needed, ticks, share) + 1
