"""Sweeps: grid expansion, config hashes, statuses, resume, kill + resume, local pool vs Dask."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from bounds import speedup_bounds

import accelsim
from accelsim.cli import main as cli_main
from accelsim.errors import ConfigError
from accelsim.sweep import config_hash, run_sweep
from accelsim.sweep.executors import LocalPoolExecutor
from accelsim.sweep.grid import grid_from_mapping
from accelsim.sweep.point import run_point

ROOT = Path(__file__).resolve().parents[1]


def layers(n_blocks=1):
    """A DeiT-Tiny-like explicit layer list (n transformer blocks)."""
    out = []
    for b in range(n_blocks):
        out += [{"name": f"b{b}.qkv", "M": 197, "K": 192, "N": 576},
                {"name": f"b{b}.qk", "op": "matmul", "M": 197, "K": 64, "N": 197, "groups": 3,
                 "weights": False, "inputs": [f"b{b}.qkv", f"b{b}.qkv"]},
                {"name": f"b{b}.proj", "M": 197, "K": 192, "N": 192, "inputs": [f"b{b}.qkv"]},
                {"name": f"b{b}.fc1", "M": 197, "K": 192, "N": 768},
                {"name": f"b{b}.fc2", "M": 197, "K": 768, "N": 192}]
    return out


def workload(sweep=None, zip_=None, n_blocks=1, **extra):
    data = {"name": "tiny", "arch": {"preset": "edge-32x32"}, "layers": layers(n_blocks), **extra}
    if sweep is not None:
        data["sweep"] = sweep
    if zip_ is not None:
        data["zip"] = zip_
    return data


def write(tmp_path, data, name="w.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def read_csv(path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


# --- grid expansion ---------------------------------------------------------------------------

def test_sweep_is_a_cartesian_product_in_yaml_order_and_zip_is_one_axis():
    data = workload(sweep={"arch.sram.weight.size_KiB": [32, 64], "arch.dram.preset":
                           ["LPDDR4-3200", "HBM2-2000", "DDR4-3200"]},
                    zip_={"compression.scheme": ["int8", "ssvq"], "compression.k": [None, 64],
                          "compression.d": [None, 8]})
    grid = grid_from_mapping(data, ROOT, "w.yaml")
    assert grid.axes == ["arch.sram.weight.size_KiB", "arch.dram.preset", "compression.scheme",
                         "compression.k", "compression.d"]
    assert len(grid.points) == 2 * 3 * 2
    # the last axis (the zip block) varies fastest; its paths move together
    assert grid.points[0].values == {"arch.sram.weight.size_KiB": 32,
                                     "arch.dram.preset": "LPDDR4-3200",
                                     "compression.scheme": "int8", "compression.k": None,
                                     "compression.d": None}
    assert grid.points[1].values["compression.k"] == 64
    assert grid.points[2].values["arch.dram.preset"] == "HBM2-2000"
    assert grid.points[6].values["arch.sram.weight.size_KiB"] == 64
    cfg = grid.build(grid.points[1])
    assert cfg.compression.label == "ssvq-k64-d8" and cfg.arch.sram.weight.size_KiB == 32
    assert cfg.sweep is None and cfg.zip is None


def test_zip_written_first_is_the_outer_axis():
    data = {"name": "t", "arch": "edge-32x32", "layers": layers(),
            "zip": {"batch": [1, 2]}, "sweep": {"arch.clock_MHz": [800, 1000, 1200]}}
    grid = grid_from_mapping(data, ROOT, "w.yaml")
    assert [p.values["batch"] for p in grid.points] == [1, 1, 1, 2, 2, 2]


def test_axis_option_adds_innermost_axis_and_set_applies_to_every_point():
    grid = grid_from_mapping(workload(sweep={"batch": [1, 2]}), ROOT, "w.yaml",
                             overrides=["arch.clock_MHz=1000"],
                             axes=["arch.sram.input.size_KiB=[64, 128]"])
    assert grid.axes == ["batch", "arch.sram.input.size_KiB"]
    assert [p.values["arch.sram.input.size_KiB"] for p in grid.points] == [64, 128, 64, 128]
    assert {grid.build(p).arch.clock_MHz for p in grid.points} == {1000}


def test_arch_preset_is_applied_before_the_other_arch_values():
    grid = grid_from_mapping(workload(sweep={"arch.sram.weight.size_KiB": [48],
                                             "arch.preset": ["edge-64x64"]}), ROOT, "w.yaml")
    cfg = grid.build(grid.points[0])
    assert cfg.arch.pe_array.rows == 64 and cfg.arch.sram.weight.size_KiB == 48


@pytest.mark.parametrize("sweep, zip_, needle", [
    ([1, 2], None, "expected a mapping of dotted paths"),
    ({"batch": 4}, None, "sweep.batch: expected a non-empty list"),
    ({"batch": []}, None, "expected a non-empty list"),
    ({"arch.sram.codebok.size_KiB": [8]}, None, "did you mean 'codebook'"),
    ({"arch.clock_MHz.x": [1]}, None, "arch.clock_MHz is a value"),
    ({"layers.0.M": [1]}, None, "layers is a list"),
    (None, {"compression.k": [16, 64], "compression.d": [8]}, "same length"),
    ({"batch": [1]}, {"batch": [2]}, "already swept"),
])
def test_malformed_sweep_blocks_are_config_errors(sweep, zip_, needle):
    with pytest.raises(ConfigError, match=needle.replace("(", r"\(")):
        grid_from_mapping(workload(sweep=sweep, zip_=zip_), ROOT, "w.yaml")


def test_workload_without_a_sweep_is_a_config_error():
    with pytest.raises(ConfigError, match="no sweep: or zip: block"):
        grid_from_mapping(workload(), ROOT, "w.yaml")


def test_config_hash_ignores_the_sweep_block_and_tracks_values():
    base = grid_from_mapping(workload(sweep={"batch": [1, 2]}), ROOT, "w.yaml")
    h1, h2 = (config_hash(base.build(p)) for p in base.points)
    import accelsim

    plain = accelsim.load(workload(batch=1))
    assert h1 == config_hash(plain) != h2
    assert len(h1) == 16
    # stable across interpreters (no hash randomisation, no dict-order dependence)
    code = ("import accelsim, sys, yaml; from accelsim.sweep import config_hash; "
            "print(config_hash(accelsim.load(yaml.safe_load(sys.stdin.read()))))")
    out = subprocess.run([sys.executable, "-c", code], input=yaml.safe_dump(workload(batch=1)),
                         capture_output=True, text=True, check=True, cwd=ROOT,
                         env={**os.environ, "PYTHONHASHSEED": "123"})
    assert out.stdout.strip() == h1


# --- running ----------------------------------------------------------------------------------

def test_infeasible_and_invalid_points_are_rows_and_exit_0(tmp_path, capsys):
    path = write(tmp_path, workload(sweep={"arch.sram.weight.size_KiB": [0.01, -4, 64],
                                           "arch.dram.preset": ["LPDDR4-3200", "LPDDR9"]},
                                    compression={"scheme": "ssvq", "k": 16, "d": 8}))
    out = tmp_path / "out"
    assert cli_main(["sweep", str(path), "-o", str(out), "--jobs", "1", "--quiet"]) == 0
    rows = read_csv(out / "sweep.csv")
    assert [r["point"] for r in rows] == [str(i) for i in range(6)]
    status = {(r["arch.sram.weight.size_KiB"], r["arch.dram.preset"]): r for r in rows}
    assert status[("0.01", "LPDDR4-3200")]["status"] == "infeasible"
    assert "weight buffer" in status[("0.01", "LPDDR4-3200")]["message"]
    assert status[("-4", "LPDDR4-3200")]["status"] == "error"
    assert "size_KiB" in status[("-4", "LPDDR4-3200")]["message"]
    assert all(status[(s, "LPDDR9")]["status"] == "error" for s in ("0.01", "-4", "64"))
    assert "unknown DRAM preset" in status[("64", "LPDDR9")]["message"]
    ok = status[("64", "LPDDR4-3200")]
    assert ok["status"] == "ok" and ok["message"] == ""
    # the point's numbers are those of a plain run of that point; its SSVQ-over-INT8 speedup lies
    # within the bounds set by the two runs' bytes and compute
    direct = accelsim.simulate(path, ["arch.sram.weight.size_KiB=64", "arch.dram.preset=LPDDR4-3200"])
    assert float(ok["cycles"]) == pytest.approx(direct.summary["totals"]["cycles"])
    assert float(ok["baseline_cycles"]) == pytest.approx(direct.summary["baseline"]["cycles"])
    speedup = float(ok["speedup_vs_baseline"])
    assert speedup == pytest.approx(float(ok["baseline_cycles"]) / float(ok["cycles"]))
    lo, hi = speedup_bounds(direct.summary)
    assert lo <= speedup <= hi and hi < 3
    assert int(ok["dram_bytes"]) >= int(ok["dram_read_index_B"]) + int(ok["dram_read_sign_B"]) > 0
    assert float(ok["energy_total_pJ"]) > 0
    assert all(r["cycles"] == "" for r in rows if r["status"] != "ok")
    header = list(rows[0])
    assert header[:6] == ["point", "arch.sram.weight.size_KiB", "arch.dram.preset",
                          "config_hash", "status", "message"]
    assert not any("elapsed" in c or "wall" in c for c in header)
    assert "1 ok, 1 infeasible, 4 error" in capsys.readouterr().err


def test_bad_input_exits_2_with_one_message(tmp_path, capsys):
    path = write(tmp_path, workload(zip_={"compression.k": [16, 64], "compression.d": [8]}))
    assert cli_main(["sweep", str(path), "-o", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "w.yaml: zip" in err and "same length" in err and "Traceback" not in err
    path = write(tmp_path, workload(sweep={"arch.sram.weight.size_KiB": [-1, -2]}))
    assert cli_main(["sweep", str(path), "-o", str(tmp_path / "o"), "--quiet"]) == 2
    assert "every one of the 2 points" in capsys.readouterr().err
    assert cli_main(["sweep", str(path), "--jobs", "0"]) == 2


def test_existing_results_need_resume_or_overwrite(tmp_path, capsys):
    path = write(tmp_path, workload(sweep={"batch": [1, 2]}))
    out = tmp_path / "out"
    assert cli_main(["sweep", str(path), "-o", str(out), "-j", "1", "--quiet"]) == 0
    assert cli_main(["sweep", str(path), "-o", str(out), "-j", "1", "--quiet"]) == 2
    assert "--resume" in capsys.readouterr().err
    assert cli_main(["sweep", str(path), "-o", str(out), "-j", "1", "--overwrite",
                     "--quiet"]) == 0
    assert json.loads((out / "sweep_meta.json").read_text())["simulated"] == 2


def test_resume_runs_only_missing_points_and_gives_the_same_csv(tmp_path):
    path = write(tmp_path, workload(sweep={"arch.sram.weight.size_KiB": [16, 32, 64, 128]}))
    out = tmp_path / "out"
    first = run_sweep(path, out, jobs=1)
    assert first.complete and first.simulated == 4
    reference = (out / "sweep.csv").read_bytes()
    rows = read_csv(out / "sweep.csv")
    for r in rows[1:3]:
        (out / "points" / f"{r['config_hash']}.json").unlink()
    kept = out / "points" / f"{rows[0]['config_hash']}.json"
    stamp = kept.stat().st_mtime_ns
    again = run_sweep(path, out, jobs=1, resume=True)
    assert (again.simulated, again.reused) == (2, 2)
    assert kept.stat().st_mtime_ns == stamp
    assert (out / "sweep.csv").read_bytes() == reference


def test_identical_points_are_simulated_once(tmp_path):
    path = write(tmp_path, workload(sweep={"arch.sram.weight.size_KiB": [64, 64.0, 32]}))
    outcome = run_sweep(path, tmp_path / "out", jobs=1)
    rows = read_csv(tmp_path / "out" / "sweep.csv")
    assert len(rows) == 3 and rows[0]["config_hash"] == rows[1]["config_hash"]
    assert outcome.simulated == 2 and outcome.counts["ok"] == 3


def test_process_pool_gives_the_same_csv_as_one_process(tmp_path):
    path = write(tmp_path, workload(sweep={"arch.sram.weight.size_KiB": [16, 64],
                                           "arch.dram.preset": ["LPDDR4-3200", "LPDDR5-6400"]}))
    one = run_sweep(path, tmp_path / "one", jobs=1)
    two = run_sweep(path, tmp_path / "two", jobs=2)
    assert one.counts == two.counts == {"ok": 4, "infeasible": 0, "error": 0}
    assert (tmp_path / "one/sweep.csv").read_bytes() == (tmp_path / "two/sweep.csv").read_bytes()
    workers = {r["worker"] for r in read_csv(tmp_path / "two/timings.csv")}
    assert str(os.getpid()) not in {w.rsplit(":", 1)[1] for w in workers}


def crash_on_batch_3(cfg, cfg_hash):
    """A task that kills its worker process for one point (as an OOM kill would)."""
    if cfg.batch == 3:
        os._exit(1)
    return run_point(cfg, cfg_hash)


def test_a_point_that_kills_its_worker_becomes_an_error_row():
    grid = grid_from_mapping(workload(sweep={"batch": [1, 2, 3, 4]}), ROOT, "w.yaml")
    tasks = [(config_hash(cfg), cfg) for cfg in map(grid.build, grid.points)]
    with LocalPoolExecutor(2, task=crash_on_batch_3) as ex:
        records = {r["config_hash"]: r for r in ex.results(tasks)}
    status = [records[h]["status"] for h, _ in tasks]
    assert status == ["ok", "ok", "error", "ok"]
    assert "worker process died" in records[tasks[2][0]]["message"]


# --- signals ----------------------------------------------------------------------------------

def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.add(child)
            todo.append(child)
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


# 24 points of 40 layers: a kill after the first two leaves over a second of work on two idle
# cores (the test needs it interrupted, not long)
SIZES_KIB = [16, 24, 32, 48, 64, 128, 256, 1024]
SLOW_SWEEP = workload(sweep={"arch.sram.weight.size_KiB": SIZES_KIB,
                             "arch.dram.preset": ["LPDDR4-3200", "DDR4-3200", "LPDDR5-6400"]},
                      n_blocks=8)
N_SLOW = len(SIZES_KIB) * 3


@pytest.fixture(scope="module")
def uninterrupted_csv(tmp_path_factory) -> bytes:
    """sweep.csv of SLOW_SWEEP run without interruption (in this process)."""
    tmp = tmp_path_factory.mktemp("reference")
    outcome = run_sweep(write(tmp, SLOW_SWEEP), tmp / "out", jobs=1)
    assert outcome.complete
    return (tmp / "out" / "sweep.csv").read_bytes()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc")
# resumed once by a pool of fresh workers, once in this process (whose caches the uninterrupted
# run warmed, so the ~34 remaining points cost seconds less than a second pool's start and cold
# caches); test_process_pool_gives_the_same_csv_as_one_process pins pool = one process too
@pytest.mark.parametrize("signum, resume_jobs", [(signal.SIGTERM, 2), (signal.SIGINT, 1)])
def test_killed_sweep_keeps_finished_points_and_resumes_to_the_same_csv(tmp_path, signum,
                                                                        resume_jobs,
                                                                        uninterrupted_csv):
    path = write(tmp_path, SLOW_SWEEP)
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "accelsim", "sweep", str(path), "-o", str(out),
                             "--jobs", "2"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if len(list(out.glob("points/*.json"))) >= 2:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the sweep ended before it could be interrupted"
    family = descendants(proc.pid)
    assert family, "no worker processes found"
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 128 + signum, err
    assert "--resume" in err and "Traceback" not in err
    time.sleep(0.5)
    assert not [p for p in family if alive(p)], "worker processes outlived the sweep"
    finished = {p.stem for p in out.glob("points/*.json")}
    rows = read_csv(out / "sweep.csv")
    assert 2 <= len(rows) < N_SLOW
    assert {r["config_hash"] for r in rows} == finished
    resumed = run_sweep(path, out, jobs=resume_jobs, resume=True)
    assert resumed.reused == len(finished) and resumed.simulated == N_SLOW - len(finished)
    assert (out / "sweep.csv").read_bytes() == uninterrupted_csv


# --- Dask -------------------------------------------------------------------------------------

def test_dask_cluster_on_loopback_gives_the_same_csv_as_the_local_pool(tmp_path):
    import logging

    from dask import distributed

    path = write(tmp_path, workload(sweep={"arch.sram.weight.size_KiB": [0.01, 16, 64],
                                           "arch.dram.preset": ["LPDDR4-3200", "HBM2-2000"]}))
    local = run_sweep(path, tmp_path / "local", jobs=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  silence_logs=logging.ERROR) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        remote = run_sweep(path, tmp_path / "dask", executor="dask",
                           scheduler=cluster.scheduler_address)
    assert remote.counts == local.counts == {"ok": 4, "infeasible": 2, "error": 0}
    assert (tmp_path / "dask/sweep.csv").read_bytes() == (tmp_path / "local/sweep.csv").read_bytes()
    meta = json.loads((tmp_path / "dask/sweep_meta.json").read_text())
    assert meta["executor"] == "dask" and meta["simulated"] == 6


def test_dask_executor_starts_its_own_loopback_cluster(tmp_path):
    import dask.distributed  # noqa: F401  (installed by pip install -e '.[dev]')
    path = write(tmp_path, workload(sweep={"batch": [1, 2]}))
    outcome = run_sweep(path, tmp_path / "dask", executor="dask", jobs=2)
    assert outcome.complete and "127.0.0.1" in outcome.executor
    workers = {r["worker"].rsplit(":", 1)[1] for r in read_csv(tmp_path / "dask/timings.csv")}
    assert str(os.getpid()) not in workers


def test_scheduler_without_dask_executor_is_a_config_error(tmp_path):
    path = write(tmp_path, workload(sweep={"batch": [1, 2]}))
    with pytest.raises(ConfigError, match="--executor dask"):
        run_sweep(path, tmp_path / "o", scheduler="tcp://127.0.0.1:8786")
