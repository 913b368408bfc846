"""Shared fixtures: small workloads built in code."""

from __future__ import annotations

import contextlib
import io
from types import SimpleNamespace

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run (CI included): a failure is reproducible and
# a run never starts a long random shrink; tests that need more or fewer examples say so.
settings.register_profile("accelsim", derandomize=True, database=None, deadline=None)
settings.load_profile("accelsim")


def gemm_workload(M=197, K=192, N=768, dram=None, **arch_over):
    """A one-layer workload mapping on the edge preset (ideal DRAM unless given)."""
    arch = {"preset": "edge-32x32", "dram": dram or {"preset": "ideal"}}
    arch.update(arch_over)
    return {"name": "gemm", "arch": arch,
            "layers": [{"name": "g", "op": "linear", "M": M, "K": K, "N": N}]}


FOUR_LAYERS = {"name": "four", "arch": {"preset": "edge-64x64"},
               "compression": {"scheme": "ssvq", "k": 64, "d": 8}, "baseline": {"scheme": "int8"},
               "layers": [{"name": "qkv", "M": 197, "K": 192, "N": 576},
                          {"name": "proj", "M": 197, "K": 192, "N": 192,
                           "inputs": ["qkv"]},
                          {"name": "fc1", "M": 197, "K": 192, "N": 768},
                          {"name": "fc2", "M": 197, "K": 768, "N": 192}]}
"""Four DeiT-like layers, SSVQ k=64 d=8 against INT8 on a 64x64 array."""


DEIT_SSVQ = "workloads/examples/deit_tiny_ssvq.yaml"
SERVER_BATCH_32 = ["arch=server-128x128", "batch=32"]


@pytest.fixture(scope="session")
def deit_ssvq():
    """The DeiT-Tiny SSVQ example as shipped (memory-bound edge NPU, 8-bit LPDDR4), simulated once
    for every test that reads it (tests only read a Result: nothing may change it)."""
    import accelsim

    return accelsim.simulate(DEIT_SSVQ)


@pytest.fixture(scope="session")
def deit_ssvq_server_b32():
    """The same example at batch 32 on the server-128x128 preset (compute-bound), simulated once."""
    import accelsim

    return accelsim.simulate(DEIT_SSVQ, SERVER_BATCH_32)


@pytest.fixture
def tmp_yaml(tmp_path):
    """Write a YAML string to a file and return its path."""
    def write(text: str, name: str = "w.yaml"):
        p = tmp_path / name
        p.write_text(text)
        return p
    return write


def run_main(main, argv) -> SimpleNamespace:
    """A command-line ``main(argv)`` run in this process, as ``subprocess.run`` would report it:
    ``returncode`` (argparse's SystemExit included), ``stdout``, ``stderr``. For tests about a
    command's output, not its process: no interpreter start, no re-import of torch or accelsim;
    an uncaught exception (a traceback in a real process) fails the test."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:
            code = exc.code
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())
