"""Trace corruption is always detected: manifest checksum, layer identity inside each file,
layers without an entry, malformed manifest fields (the reproductions of the reliability issue)."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pytest

import accelsim
from accelsim.cli import main
from accelsim.errors import ConfigError
from workloads.trace import TraceError, manifest_checksum, read_trace, write_trace

LAYERS = [{"name": n, "op": "linear", "M": 16, "K": 32, "N": 24, "inputs": ["external"]}
          for n in ("fc1", "fc2", "head")]


def _layer(rng, name: str, out: int = 24, inp: int = 32, k: int = 16, d: int = 8) -> dict:
    n_vec = out * math.ceil(inp / d)
    return {"name": name, "op": "linear", "weight_shape": (out, inp), "k": k, "d": d,
            "codebook": np.abs(rng.standard_normal((k, d))).astype(np.float16),
            "indices": rng.integers(0, k, n_vec), "signs": rng.random(out * inp) < 0.5}


@pytest.fixture
def trace(tmp_path):
    rng = np.random.default_rng(3)
    return write_trace(tmp_path / "tr", "net", "ssvq", [_layer(rng, "fc1"), _layer(rng, "fc2")],
                       creator="test")


def _workload(trace, **extra) -> dict:
    return {"name": "t", "arch": {"preset": "edge-32x32", "dram": {"preset": "ideal"}},
            "layers": LAYERS, "compression": {"scheme": "ssvq", "k": 16, "d": 8},
            "traces": str(trace), **extra}


def _edit(trace, change, seal: bool) -> None:
    mpath = trace / "manifest.json"
    m = json.loads(mpath.read_text())
    change(m)
    if seal:
        m["checksum"] = manifest_checksum(m)
    mpath.write_text(json.dumps(m))


def test_layer_without_entry_is_an_error_unless_the_workload_says_int8(trace):
    with pytest.raises(ConfigError, match=r"1 weight layer\(s\) of the workload have no entry in "
                                          r"the trace \(e\.g\. 'head'\).*traces_missing: int8"):
        accelsim.simulate(_workload(trace))
    res = accelsim.simulate(_workload(trace, traces_missing="int8"))
    assert res.layers.set_index("layer").scheme.to_dict() == {"fc1": "ssvq", "fc2": "ssvq",
                                                             "head": "int8"}


def test_renamed_or_removed_entry_is_caught(trace):
    """Renaming an entry made that layer run as INT8 with no warning (speedup 2.091 → 2.058)."""
    wl = _workload(trace, traces_missing="int8")
    _edit(trace, lambda m: m["layers"][1].update(name="fc2_renamed"), seal=False)
    with pytest.raises(ConfigError, match="manifest.json: checksum mismatch"):
        accelsim.simulate(wl)
    _edit(trace, lambda m: None, seal=True)  # re-sealed by hand: the file still names fc2
    with pytest.raises(ConfigError, match=r"holds layer 'fc2' \[24, 32\], but the manifest entry "
                                          r"is 'fc2_renamed'"):
        accelsim.simulate(wl)
    _edit(trace, lambda m: m["layers"].pop(1), seal=False)
    with pytest.raises(ConfigError, match="checksum mismatch"):
        accelsim.simulate(wl)


@pytest.mark.parametrize("seal", [False, True])
def test_swapping_files_between_layers_of_one_shape_is_caught(trace, seal):
    """Swapping file and sha256 between two same-shape layers passed `run` and `inspect`."""
    def swap(m):
        a, b = m["layers"]
        for key in ("file", "sha256", "file_bytes"):
            a[key], b[key] = b[key], a[key]
    _edit(trace, swap, seal)
    with pytest.raises(TraceError, match="checksum mismatch" if not seal else "files swapped"):
        read_trace(trace, verify=True)


def test_swapping_the_files_themselves_is_caught(trace):
    f1, f2 = sorted((trace / "layers").iterdir())
    tmp = f1.with_suffix(".x")
    shutil.move(f1, tmp)
    shutil.move(f2, f1)
    shutil.move(tmp, f2)
    with pytest.raises(TraceError, match="corrupt|truncated"):  # sha256 pins each file
        read_trace(trace, verify=True)


@pytest.mark.parametrize(("change", "expect"), [
    (lambda m: m.update(version=True), "unsupported version True"),
    (lambda m: m["layers"][0].update(file=None), "file must be a path inside the trace"),
    (lambda m: m["layers"][0].update(file="../../etc/passwd"), "file must be a path inside"),
    (lambda m: m["layers"][0].update(sha256=None), "sha256 must be 64 lowercase hex digits"),
    (lambda m: m["layers"][0].update(file_bytes=None), "file_bytes must be a non-negative integer"),
    (lambda m: m.update(layers=5), "field 'layers' is missing or not a list"),
    (lambda m: m["layers"][0].update(weight_shape=[24.0, 32]), "weight_shape must be two positive"),
    (lambda m: m["layers"][0].update(k=True), "k must be a positive integer for ssvq"),
    (lambda m: m["layers"].append(m["layers"][0]), "layer 'fc1' appears twice"),
    (lambda m: m["layers"][0].update(bytes={"index": 1}), "bytes must map each of"),
])
def test_malformed_manifest_fields_are_trace_errors(trace, capsys, change, expect):
    """null file/sha256/file_bytes and `layers: 5` gave tracebacks; `version: true` passed."""
    _edit(trace, change, seal=True)
    with pytest.raises(TraceError, match=expect):
        read_trace(trace, verify=True)
    assert main(["validate", _yaml(trace)]) == 2
    assert expect.split(" ")[0] in capsys.readouterr().err


def _yaml(trace) -> str:
    path = trace.parent / "w.yaml"
    path.write_text(json.dumps(_workload(trace, traces_missing="int8")))
    return str(path)


def test_an_untouched_trace_validates_and_runs(trace, capsys):
    assert main(["validate", _yaml(trace)]) == 0
    assert "ok" in capsys.readouterr().out


def test_quant_inspect_reports_a_corrupt_manifest(trace, capsys):
    from quant.cli import main as quant_main

    _edit(trace, lambda m: m.update(model="other"), seal=False)
    assert quant_main(["inspect", str(trace)]) == 2
    assert "checksum mismatch" in capsys.readouterr().err
