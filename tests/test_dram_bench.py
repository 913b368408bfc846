"""dram-bench against shared/reference/dram.md (DRAMsim3 / Ramulator 2.0, DDR4-3200), CLI."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.cli.dram_bench import main
from accelsim.memory.dram.bench import run_bench
from accelsim.memory.dram.presets import PRESET_NAMES, resolve
from accelsim.spec.config import DramConfig

MiB = 1 << 20

# stream -> (run_bench kwargs, DRAMsim3, Ramulator 2.0, metric)
REFERENCE = {
    "seq_row_in_bank": (dict(pattern="seq", mapping="RoChRaBaBgCo"), 16.7, 13.7, "bw"),
    "seq_bg_interleaved": (dict(pattern="seq", mapping="RoRaBaCoBgCh"), 24.0, 23.8, "bw"),
    "mix_3r_1w": (dict(pattern="mix", read_ratio=0.75), 22.3, 20.3, "bw"),
    "random_64B": (dict(pattern="random"), 15.4, 15.3, "bw"),
    "latency_hit": (dict(pattern="seq", outstanding=1), 18.0, 18.0, "lat"),
    "latency_miss": (dict(pattern="random", outstanding=1), 47.0, 45.0, "lat"),
}


@pytest.mark.parametrize("stream", list(REFERENCE))
def test_ddr4_3200_matches_reference_simulators(stream):
    kw, dramsim3, ramulator, metric = REFERENCE[stream]
    total = MiB if metric == "bw" else MiB // 8
    res = run_bench("DDR4-3200", total_bytes=total, **kw)
    got = res["bandwidth_GBps"] if metric == "bw" else res["latency_ns_avg"]
    mean = (dramsim3 + ramulator) / 2
    assert abs(got - mean) <= 0.05 * mean, f"{stream}: {got:.2f} vs {dramsim3}/{ramulator}"
    assert res["bandwidth_GBps"] <= res["peak_GBps"]


def test_sequential_has_row_hits_and_random_has_none():
    seq = run_bench("DDR4-3200", "seq", total_bytes=MiB // 4)
    rnd = run_bench("DDR4-3200", "random", total_bytes=MiB // 4)
    assert seq["row_hit_rate"] == pytest.approx(127 / 128, abs=0.005)  # 8 KiB rows of 64 B
    assert rnd["row_hit_rate"] < 0.01


@pytest.mark.parametrize("preset", [p for p in PRESET_NAMES if p != "DDR4-3200"])
def test_other_presets_behave_consistently(preset):
    burst = resolve(DramConfig(preset=preset)).burst_bytes
    seq = run_bench(preset, "seq", request_bytes=64 * 1024, total_bytes=4 * MiB)
    rnd = run_bench(preset, "random", request_bytes=burst, total_bytes=MiB // 4)
    peak = seq["peak_GBps"]
    assert 0.88 * peak <= seq["bandwidth_GBps"] <= 0.96 * peak
    # one-burst random requests: one ACT each, bounded by tRRD/tFAW and bank conflicts
    assert rnd["bandwidth_GBps"] < 0.75 * seq["bandwidth_GBps"]


def test_hbm2_scales_with_channels():
    eight = run_bench("HBM2-2000", "seq", request_bytes=64 * 1024, total_bytes=4 * MiB)
    two = run_bench("HBM2-2000", "seq", channels=2, request_bytes=64 * 1024, total_bytes=4 * MiB)
    assert eight["peak_GBps"] == pytest.approx(4 * two["peak_GBps"])
    assert eight["bandwidth_GBps"] == pytest.approx(4 * two["bandwidth_GBps"], rel=0.05)


def test_small_and_large_requests_agree_for_sequential():
    small = run_bench("DDR4-3200", "seq", total_bytes=MiB)
    large = run_bench("DDR4-3200", "seq", request_bytes=64 * 1024, total_bytes=8 * MiB)
    assert large["bandwidth_GBps"] == pytest.approx(small["bandwidth_GBps"], rel=0.05)


def test_cli_json_keys_exact(capsys):
    assert main(["--preset", "LPDDR4-3200", "--pattern", "seq", "--requests", "500", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"peak_GBps", "bandwidth_GBps", "latency_ns_avg", "row_hit_rate"}
    assert out["peak_GBps"] == pytest.approx(6.4)
    assert 0 < out["bandwidth_GBps"] <= 6.4


def test_cli_table(capsys):
    args = ["--preset", "DDR4-2400", "--pattern", "mix", "--read-ratio", "0.5", "--requests", "300"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "bandwidth_GBps" in out and "% of peak" in out


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--mapping", "RoRaBaCoBgCx"], "did you mean 'RoRaBaCoBgCh'"),
        (["--read-ratio", "1.5"], "read_ratio must be in [0, 1]"),
        (["--outstanding", "0"], "--outstanding must be positive"),
    ],
)
def test_cli_bad_input_exits_2(capsys, argv, needle):
    assert main(["--preset", "DDR4-3200", "--pattern", "seq", *argv]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


def test_cli_unknown_preset_is_argparse_error(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--preset", "DDR5-4800", "--pattern", "seq"])
    assert e.value.code == 2


def test_deterministic():
    a = run_bench("LPDDR5-6400", "mix", total_bytes=MiB // 8, seed=3)
    assert a == run_bench("LPDDR5-6400", "mix", total_bytes=MiB // 8, seed=3)


@settings(max_examples=8, deadline=None)
@given(
    preset=st.sampled_from(PRESET_NAMES),
    pattern=st.sampled_from(["seq", "random", "mix"]),
    request_bytes=st.sampled_from([32, 64, 200, 4096, 65536]),
    outstanding=st.integers(1, 64),
)
def test_property_bandwidth_never_exceeds_peak(preset, pattern, request_bytes, outstanding):
    res = run_bench(
        preset, pattern, request_bytes=request_bytes, outstanding=outstanding, requests=200
    )
    assert 0 < res["bandwidth_GBps"] <= res["peak_GBps"]
    assert res["latency_ns_avg"] > 0
    assert 0 <= res["row_hit_rate"] <= 1
