"""Sweep workers die with the sweep whatever kills it; pools start from any current folder.

SIGKILL of the sweep's process alone used to leave the forkserver, the resource tracker and the
workers alive under init (they kept each other alive), holding the terminal's pipes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from test_sweep import ROOT, SLOW_SWEEP, alive, descendants, write

from accelsim.sweep.executors import LocalPoolExecutor
from accelsim.sweep.point import record


@pytest.mark.slow
def test_sigkill_of_the_sweep_takes_every_helper_process_with_it(tmp_path):
    path = write(tmp_path, SLOW_SWEEP)
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "accelsim", "sweep", str(path), "-o", str(out),
                             "--jobs", "2"], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if list(out.glob("points/*.json")):
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the sweep ended before it could be killed"
    family = descendants(proc.pid)
    assert len(family) >= 3, "expected the forkserver, the resource tracker and workers"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and [p for p in family if alive(p)]:
        time.sleep(0.1)
    assert not [p for p in family if alive(p)], "helper processes outlived a SIGKILLed sweep"


def echo_point(cfg, cfg_hash):
    """A pool task: the record of a point, and the folder the worker runs in."""
    return record(cfg_hash, "ok", os.getcwd())


def test_pool_starts_when_the_current_folder_is_gone(tmp_path):
    """A worker re-enters the parent's folder at start; one it cannot enter (another user's
    private home after `su`, or a deleted folder) made every point fail."""
    here = os.getcwd()
    gone = tmp_path / "gone"
    gone.mkdir()
    os.chdir(gone)
    gone.rmdir()
    try:
        with LocalPoolExecutor(2, task=echo_point) as ex:
            recs = list(ex.results([("a", None), ("b", None)]))
    finally:
        os.chdir(here)
    assert sorted(r["config_hash"] for r in recs) == ["a", "b"]
    assert {r["status"] for r in recs} == {"ok"} and {r["message"] for r in recs} == {"/"}
