"""Which DRAM a config gets: a new preset brings its own organisation; the effective DRAM is
printed by run / validate, recorded in summary.json and in sweep.csv."""

from __future__ import annotations

from pathlib import Path

import pytest

import accelsim
from accelsim.cli import main
from accelsim.errors import ConfigError
from accelsim.memory import describe_dram, effective_dram
from accelsim.sweep.grid import grid_from_mapping
from accelsim.sweep.point import METRICS, metrics

EXAMPLES = Path(__file__).resolve().parents[1] / "workloads" / "examples"
EDGE = EXAMPLES / "deit_tiny_ssvq.yaml"  # arch: edge_membound.yaml (LPDDR4-3200, 1 ch x 8 bit)
HBM2_PEAK = 8 * 128 / 8 * 2.0  # 8 channels x 16 B x 2000 MT/s = 256 GB/s


def dram_of(overrides=(), path=EDGE):
    return effective_dram(accelsim.load(path, list(overrides)).arch.dram)


def test_edge_membound_is_one_x8_lpddr4_channel():
    eff = dram_of()
    assert (eff["preset"], eff["channels"], eff["channel_width_bits"]) == ("LPDDR4-3200", 1, 8)
    assert eff["peak_GBps"] == pytest.approx(1 * 8 / 8 * 3.2)  # 3.2 GB/s


def test_set_preset_gives_that_presets_own_organisation():
    eff = dram_of(["arch.dram.preset=HBM2-2000"])
    assert (eff["channels"], eff["channel_width_bits"], eff["ranks"]) == (8, 128, 1)
    assert eff["peak_GBps"] == pytest.approx(HBM2_PEAK)


@pytest.mark.parametrize("order", [0, 1])
def test_organisation_set_in_the_same_place_is_kept(order):
    sets = ["arch.dram.preset=HBM2-2000", "arch.dram.channels=2"]
    eff = dram_of(sets if order == 0 else sets[::-1])
    assert (eff["channels"], eff["channel_width_bits"]) == (2, 128)
    assert eff["peak_GBps"] == pytest.approx(HBM2_PEAK / 4)


def test_same_preset_keeps_the_files_organisation():
    assert dram_of(["arch.dram.preset=LPDDR4-3200"])["channel_width_bits"] == 8


def test_timing_overrides_belong_to_their_preset(tmp_path):
    wl = tmp_path / "w.yaml"
    wl.write_text("name: w\narch: {preset: edge-32x32, dram: {preset: LPDDR4-3200, "
                  "timing: {tRCD: 40}}}\nlayers: [{name: g, op: linear, M: 8, K: 8, N: 8}]\n")
    assert accelsim.load(wl).arch.dram.timing == {"tRCD": 40}
    assert accelsim.load(wl, ["arch.dram.preset=HBM2-2000"]).arch.dram.timing == {}
    with pytest.raises(ConfigError, match="tRCD \\(40\\) must not exceed tRAS \\(34\\)"):
        accelsim.load(wl, ["arch.dram.preset=HBM2-2000", "arch.dram.timing={tRCD: 40}"])


def test_inline_arch_preset_with_a_new_dram_preset(tmp_path):
    wl = tmp_path / "w.yaml"
    wl.write_text("name: w\narch: {preset: server-128x128, dram: {preset: LPDDR4-3200}}\n"
                  "layers: [{name: g, op: linear, M: 8, K: 8, N: 8}]\n")
    eff = dram_of(path=wl)  # the arch preset's HBM2 'channels: 8' does not stick to LPDDR4
    assert (eff["channels"], eff["channel_width_bits"]) == (1, 16)
    assert eff["peak_GBps"] == pytest.approx(6.4)


def test_sweep_over_the_preset_gives_each_its_own_peak():
    data = {"name": "s", "arch": "arch/edge_membound.yaml", "model": "deit_tiny",
            "sweep": {"arch.dram.preset": ["LPDDR4-3200", "HBM2-2000"]}}
    grid = grid_from_mapping(data, EXAMPLES, "s.yaml")
    peaks = [effective_dram(grid.build(p).arch.dram)["peak_GBps"] for p in grid.points]
    assert peaks == pytest.approx([3.2, HBM2_PEAK])  # LPDDR4 keeps the file's x8 channel


def test_validate_prints_the_effective_dram(capsys):
    assert main(["validate", str(EDGE), "--set", "arch.dram.preset=HBM2-2000"]) == 0
    assert "DRAM: HBM2-2000, 8 ch × 128 bit, 1 rank, 256.0 GB/s peak" in capsys.readouterr().out


def test_describe_ranks_and_analytic_memories():
    assert describe_dram(dram_of(["arch.dram.preset=DDR4-3200"])) == \
        "DDR4-3200, 1 ch × 64 bit, 2 ranks, 25.6 GB/s peak"
    assert describe_dram({"preset": "ideal", "channels": None, "peak_GBps": float("inf")}) == \
        "ideal (no DRAM time)"


def test_summary_and_sweep_record_the_effective_dram(tmp_path, capsys):
    wl = tmp_path / "w.yaml"
    wl.write_text(f"name: w\narch: {EXAMPLES / 'arch' / 'edge_membound.yaml'}\n"
                  "layers: [{name: g, op: linear, M: 16, K: 64, N: 64}]\n")
    res = accelsim.simulate(wl, ["arch.dram.preset=HBM2-2000"])
    assert res.summary["dram"] == {"preset": "HBM2-2000", "channels": 8, "channel_width_bits": 128,
                                   "ranks": 1, "peak_GBps": pytest.approx(HBM2_PEAK)}
    assert metrics(res.summary)["dram_peak_GBps"] == pytest.approx(HBM2_PEAK)
    assert "dram_peak_GBps" in METRICS


@pytest.mark.parametrize("value, needle", [
    ("{tRRD_S: 0}", "tRRD_S must be > 0 cycles"),
    ("{tREFI: 0}", "tREFI must be > 0 cycles"),
    ("{tRCD: .nan}", "arch.dram.timing.tRCD: Input should be a finite number"),
    ("{tRAS: 20}", "tRCD (29) must not exceed tRAS (20)"),
])
def test_insane_timing_exits_2_naming_the_key(capsys, value, needle):
    with pytest.raises(ConfigError, match="arch.dram"):
        accelsim.load(EDGE, [f"arch.dram.timing={value}"])
    assert main(["validate", str(EDGE), "--set", f"arch.dram.timing={value}"]) == 2
    assert needle in capsys.readouterr().err
