"""Shared fixtures: small workloads built in code."""

from __future__ import annotations

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


@pytest.fixture
def tmp_yaml(tmp_path):
    """Write a YAML string to a file and return its path."""
    def write(text: str, name: str = "w.yaml"):
        p = tmp_path / name
        p.write_text(text)
        return p
    return write
