"""dram-bench against published DRAMsim3 / Ramulator 2.0 runs of the same organisation (DDR4-3200), CLI."""

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


# Published DRAMsim3 / Ramulator 2 runs with the same organisation, timings, address mapping
# (RoRaBaCoBgCh) and closed-loop driver as dram-bench: (preset, kwargs, DRAMsim3, Ramulator 2,
# metric). "2 streams": two interleaved sequential streams at 64 KiB-aligned bases.
KiB = 1024
SAME_ORG = {
    "lpddr4_seq_64B": ("LPDDR4-2400", dict(pattern="seq"), 4.41, 4.41, "bw"),
    "lpddr4_random_64B": ("LPDDR4-2400", dict(pattern="random"), 4.37, 4.34, "bw"),
    "lpddr4_mix_64B": ("LPDDR4-2400", dict(pattern="mix"), 4.24, 4.16, "bw"),
    "lpddr4_seq_4KiB": ("LPDDR4-2400", dict(pattern="seq", request_bytes=4 * KiB), 4.41, 4.41, "bw"),
    "lpddr4_seq_64KiB": ("LPDDR4-2400", dict(pattern="seq", request_bytes=64 * KiB), 4.41, 4.41, "bw"),
    "lpddr4_random_4KiB": ("LPDDR4-2400", dict(pattern="random", request_bytes=4 * KiB), 4.41, 4.41,
                           "bw"),
    "lpddr4_2streams_64B": ("LPDDR4-2400", dict(pattern="seq", streams=2), 3.76, 4.05, "bw"),
    "lpddr4_2streams_4KiB": ("LPDDR4-2400", dict(pattern="seq", streams=2, request_bytes=4 * KiB),
                             4.41, 4.41, "bw"),
    "lpddr4_latency_hit": ("LPDDR4-2400", dict(pattern="seq", outstanding=1), 38.6, 38.5, "lat"),
    "lpddr4_latency_random": ("LPDDR4-2400", dict(pattern="random", outstanding=1), 73.0, 73.5, "lat"),
    "ddr4_seq_64B": ("DDR4-3200", dict(pattern="seq"), 24.11, 24.31, "bw"),
    "ddr4_random_64B": ("DDR4-3200", dict(pattern="random"), 15.31, 15.28, "bw"),
    "ddr4_mix_64B": ("DDR4-3200", dict(pattern="mix"), 21.87, 22.25, "bw"),
    "ddr4_random_4KiB": ("DDR4-3200", dict(pattern="random", request_bytes=4 * KiB), 23.40, 23.73, "bw"),
    "ddr4_2streams_64B": ("DDR4-3200", dict(pattern="seq", streams=2), 17.86, 20.26, "bw"),
    "ddr4_2streams_4KiB": ("DDR4-3200", dict(pattern="seq", streams=2, request_bytes=4 * KiB),
                           20.87, 20.89, "bw"),
    "ddr4_latency_hit": ("DDR4-3200", dict(pattern="seq", outstanding=1), 17.7, 17.8, "lat"),
    "ddr4_latency_random": ("DDR4-3200", dict(pattern="random", outstanding=1), 47.0, 45.2, "lat"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(SAME_ORG))
def test_same_organisation_within_10_percent_of_the_nearer_reference(case):
    preset, kw, dramsim3, ramulator, metric = SAME_ORG[case]
    small = kw.get("request_bytes", 64) <= 64
    total = (MiB // 2 if small else 2 * MiB) if metric == "bw" else MiB // 8
    res = run_bench(preset, total_bytes=total, **kw)
    got = res["bandwidth_GBps"] if metric == "bw" else res["latency_ns_avg"]
    near = min((dramsim3, ramulator), key=lambda ref: abs(got - ref))
    assert abs(got - near) <= 0.10 * near, f"{case}: {got:.2f} vs {dramsim3} / {ramulator}"


@pytest.mark.parametrize("preset", ["LPDDR4-2400", "DDR4-3200"])
def test_two_streams_sharing_banks_keep_their_rows_open(preset):
    """FR-FCFS: the streams hit the same banks in different rows; row hits are served first, so
    most bursts hit (a model booking bursts in arrival order ping-pongs: every burst misses)."""
    two = run_bench(preset, "seq", streams=2, total_bytes=MiB // 4)
    assert two["row_hit_rate"] >= 0.9
    assert two["bandwidth_GBps"] >= 0.7 * two["peak_GBps"]


def test_streams_start_at_64KiB_aligned_bases_in_the_same_banks():
    from accelsim.memory.dram.bench import stream_addresses

    assert stream_addresses(6, 64, 2) == [0, 65536, 64, 65600, 128, 65664]
    # 2 MiB in two streams: bases 1 MiB apart (a multiple of every preset's bank sweep)
    addrs = stream_addresses(2 * MiB // 64, 64, 2)
    assert addrs[1] == MiB and addrs[-1] == MiB + MiB - 64


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


def test_large_request_timing_does_not_leak_between_timings():
    """Request plans are cached per DRAM spec, timing included: a run with a slower tCCD_L must
    not leave its durations to the next run on the stock timing (same geometry; 3 channels so
    that no other test has planned it before)."""
    kw = dict(channels=3, request_bytes=64 * 1024, total_bytes=2 * MiB)
    slow = run_bench("DDR4-2400", "seq", timing={"tCCD_L": 12}, **kw)
    stock = run_bench("DDR4-2400", "seq", **kw)
    assert slow["bandwidth_GBps"] < 0.7 * stock["peak_GBps"]  # tCCD_L 12 = 3 bursts per bank group
    assert stock["bandwidth_GBps"] >= 0.88 * stock["peak_GBps"]
