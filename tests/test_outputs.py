"""Result files: the destination is checked before simulating, one run's files are written as a
set (a reader never sees a mix of two runs), ordinary permissions, no traceback on write faults."""

from __future__ import annotations

import errno
import json
import os
import stat

import pytest

import accelsim
from accelsim.cli import main
from accelsim.report import files

WORKLOAD = ("name: w\narch: {preset: edge-32x32, dram: {preset: ideal}}\n"
            "layers: [{name: a, M: 32, K: 32, N: 32}]\n")


@pytest.fixture
def wl(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text(WORKLOAD)
    return str(path)


@pytest.fixture
def no_simulation(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("simulated although the destination is unusable")
    monkeypatch.setattr(accelsim, "simulate", refuse)


@pytest.mark.parametrize(("make", "expect"), [
    (lambda p: p.write_text("x"), "exists and is not a folder"),
    (lambda p: (p.mkdir(), (p / "notes.txt").write_text("mine")),
     "holds files that are not a run's outputs (e.g. 'notes.txt')"),
])
def test_bad_destination_is_refused_before_simulating(tmp_path, wl, capsys, no_simulation, make,
                                                      expect):
    out = tmp_path / "out"
    make(out)
    assert main(["run", wl, "-o", str(out), "--quiet"]) == 2
    assert f"error: -o {out}: {expect}" in capsys.readouterr().err


def test_destination_under_a_file_is_refused_before_simulating(tmp_path, wl, capsys,
                                                               no_simulation):
    (tmp_path / "f").write_text("x")
    assert main(["run", wl, "-o", str(tmp_path / "f" / "out"), "--quiet"]) == 2
    assert f"{tmp_path / 'f'} is a file, not a folder" in capsys.readouterr().err


def test_rerun_replaces_the_whole_set(tmp_path, wl):
    """Re-running into a folder left a new summary.json (batch 4) beside an old layers.csv."""
    out = tmp_path / "out"
    assert main(["run", wl, "-o", str(out), "--quiet"]) == 0
    (out / "plots").mkdir()
    assert main(["run", wl, "-o", str(out), "--quiet", "--set", "batch=4",
                 "--set", "baseline=null"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["layers.csv", "summary.json"]
    assert json.loads((out / "summary.json").read_text())["config"]["batch"] == 4
    assert (out / "layers.csv").read_text().splitlines()[1].split(",")[0] == "a"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_files_are_ordinary_0644(tmp_path, wl):
    old = os.umask(0o022)
    try:
        assert main(["run", wl, "-o", str(tmp_path / "out"), "--quiet"]) == 0
    finally:
        os.umask(old)
    for p in (tmp_path / "out").iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o644, p
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o755


def test_a_full_disk_leaves_the_previous_set_intact(tmp_path, wl, capsys, monkeypatch):
    """With the disk full, summary.json was written and layers.csv not (and a traceback)."""
    out = tmp_path / "out"
    assert main(["run", wl, "-o", str(out), "--quiet"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real = files.atomic_write

    def full(path, data):
        if path.name == "layers.csv":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(path, data)
    monkeypatch.setattr(files, "atomic_write", full)
    assert main(["run", wl, "-o", str(out), "--quiet", "--set", "batch=4"]) == 2
    err = capsys.readouterr().err
    assert f"-o {out}: writing the results failed (No space left on device); nothing was " \
           "changed" in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
