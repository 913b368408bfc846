"""Shared fixtures: small workloads built in code."""

from __future__ import annotations

import pytest


def gemm_workload(M=197, K=192, N=768, dram=None, **arch_over):
    """A one-layer workload mapping on the edge preset (ideal DRAM unless given)."""
    arch = {"preset": "edge-32x32", "dram": dram or {"preset": "ideal"}}
    arch.update(arch_over)
    return {"name": "gemm", "arch": arch,
            "layers": [{"name": "g", "op": "linear", "M": M, "K": K, "N": N}]}


@pytest.fixture
def tmp_yaml(tmp_path):
    """Write a YAML string to a file and return its path."""
    def write(text: str, name: str = "w.yaml"):
        p = tmp_path / name
        p.write_text(text)
        return p
    return write
