"""Fuzz (hypothesis, about a minute): mutated workload YAML, ``--set`` values and corrupted
traces through the command line never give a traceback or a hang, and a corrupted trace is never
accepted. The cases come from ``benchmarks/fuzz_cases.py`` (``benchmarks/fuzz.py`` runs ten
thousand of them in worker processes)."""

from __future__ import annotations

import contextlib
import io
import os
import random
import signal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accelsim.cli import main
from benchmarks.fuzz_cases import run_case, trace_case, validate_case

TIMEOUT_S = 60
SEEDS = st.integers(0, 2**32 - 1)
SETTINGS = settings(deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang(f"over {TIMEOUT_S} s")


def run_cli(tmp_path, files: dict, argv: list[str]) -> tuple[int, str]:
    """Write ``files`` into a fresh folder and run the CLI there; (exit code, stderr)."""
    work = tmp_path / f"case{len(list(tmp_path.iterdir()))}"
    for name, data in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_bytes(data)
    here, err = os.getcwd(), io.StringIO()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIMEOUT_S)
    try:
        os.chdir(work)
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                rc = main(argv)
            except SystemExit as exc:  # argparse
                rc = exc.code
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        os.chdir(here)
    return rc, err.getvalue()


def check(tmp_path, make_case, seed: int, codes: tuple, names: tuple) -> None:
    """Run one generated case: its exit code is in ``codes``; exit 2 names one of ``names``."""
    files, argv, desc = make_case(random.Random(seed))
    rc, err = run_cli(tmp_path, files, argv)
    assert rc in codes, (desc, argv, err)
    assert rc == 0 or any(n in err.splitlines()[0] for n in names), (desc, err)


@pytest.mark.slow
@settings(SETTINGS, max_examples=600)
@given(seed=SEEDS)
def test_mutated_workloads_and_set_values_through_validate(tmp_path, seed):
    check(tmp_path, validate_case, seed, (0, 2), ("w.yaml", "--set"))


@pytest.mark.slow
@settings(SETTINGS, max_examples=30)
@given(seed=SEEDS)
def test_workloads_validate_accepts_also_run(tmp_path, seed):
    files, argv, desc = run_case(random.Random(seed))
    rc, err = run_cli(tmp_path, files, ["validate", *argv])
    assert rc in (0, 2), (desc, err)
    if rc == 0:
        rc, err = run_cli(tmp_path, files, ["run", *argv, "-o", "out", "--quiet"])
        assert rc == 0, (desc, argv, err)


@pytest.mark.slow
@settings(SETTINGS, max_examples=150)
@given(seed=SEEDS)
def test_corrupted_traces_are_always_caught(tmp_path, seed):
    check(tmp_path, trace_case, seed, (2,), ("manifest.json", ".npz", "traces:"))
