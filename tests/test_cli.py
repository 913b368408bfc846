"""The `python -m accelsim` commands: outputs, files, and the INT8/FP16 baselines."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys

import accelsim
from accelsim.cli import main

GEMM = "gemm_fc1.yaml"


def test_run_writes_summary_and_layers(tmp_path, capsys):
    out = tmp_path / "res"
    assert main(["run", f"workloads/examples/{GEMM}", "-o", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    # ideal DRAM: SCALE-Sim's 41,904 compute cycles, plus the first weight row's fill and the last
    # 197x32 B output tile's drain through the 256 B/cycle SRAM ports (tests/test_engine.py)
    cycles = 41904 + math.ceil(6208 / (32 * 6)) / 256 + 197 * 32 / 256
    assert summary["totals"]["cycles_compute"] == 41904
    assert abs(summary["totals"]["cycles"] - cycles) < 1e-9
    assert summary["accelsim_version"] == accelsim.__version__ and summary["seed"] == 0
    assert summary["config"]["arch"]["pe_array"]["rows"] == 32  # the resolved config
    rows = list(csv.DictReader((out / "layers.csv").open()))
    assert [r["layer"] for r in rows] == ["fc1"]
    assert abs(float(rows[0]["cycles"]) - cycles) < 1e-9
    assert "speedup" in capsys.readouterr().out


def test_run_is_deterministic_in_its_files(tmp_path):
    for name in ("a", "b"):
        assert main(["run", "--quiet", "workloads/examples/deit_tiny_ssvq.yaml",
                     "-o", str(tmp_path / name)]) == 0
    for f in ("summary.json", "layers.csv", "baseline_layers.csv"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()


def test_presets_lists_archs_drams_and_models(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    for name in ("edge-32x32", "server-128x128", "LPDDR4-3200", "HBM2-2000", "deit_tiny",
                 "llama2_7b"):
        assert name in out


def test_validate_reports_the_layer_count(capsys):
    assert main(["validate", "workloads/examples/deit_tiny_int8.yaml"]) == 0
    assert "148 layers" in capsys.readouterr().out  # 74 on the PE array, 74 vector ops


def test_fp16_weights_fetch_twice_the_int8_bytes():
    wl = {"arch": "edge-32x32", "layers": [{"name": "g", "M": 4, "K": 256, "N": 128}],
          "compression": {"scheme": "fp16"}, "baseline": {"scheme": "int8"}}
    res = accelsim.simulate(wl)
    assert res.summary["totals"]["dram_read_B"]["weights"] == 2 * 256 * 128
    assert res.summary["baseline"]["dram_read_B"]["weights"] == 256 * 128
    assert res.summary["baseline"]["dram_read_B"]["scales"] == 2 * 128


def test_module_entry_point_exit_codes(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("arch: edge-32x32\nlayers: [{name: g, M: 1, K: 1, N: 0}]\n")
    proc = subprocess.run([sys.executable, "-m", "accelsim", "run", str(bad)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "layers.0.N" in proc.stderr and "Traceback" not in proc.stderr
