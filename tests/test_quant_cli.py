"""`python -m quant compress|inspect` end to end on small inputs; error exits."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from quant.cli import main  # noqa: E402
from workloads.trace import read_trace  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def checkpoint(tmp_path):
    from safetensors.numpy import save_file

    rng = np.random.default_rng(0)
    path = tmp_path / "net.safetensors"
    save_file({"features.0.weight": rng.standard_normal((8, 3, 3, 3), dtype=np.float32),
               "features.0.bias": np.zeros(8, np.float32),
               "blocks.0.fc1.weight": rng.standard_normal((32, 20), dtype=np.float32),
               "head.weight": rng.standard_normal((10, 32), dtype=np.float32)}, str(path))
    return path


def test_compress_checkpoint_then_inspect(tmp_path, checkpoint, capsys):
    out = tmp_path / "trace"
    rc = main(["compress", "--checkpoint", str(checkpoint), "--scheme", "ssvq", "--k", "8",
               "--d", "4", "--out", str(out)])
    assert rc == 0
    tr = read_trace(out, verify=True)
    assert list(tr.layers) == ["blocks.0.fc1", "features.0"]  # head excluded, bias ignored
    assert tr.layers["features.0"].op == "conv" and tr.layers["features.0"].weight_shape == (8, 27)
    assert tr.manifest["weights_source"].startswith("checkpoint:")
    assert tr.manifest["random_weights"] is False
    capsys.readouterr()
    assert main(["inspect", str(out), "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["weights"] == 32 * 20 + 8 * 27
    assert 0 < s["mean_rel_err"] < 0.6
    assert s["bits_per_weight"] == pytest.approx(
        8 * sum(s["bytes"].values()) / s["weights"])


def test_inspect_corrupt_trace_exits_2_via_subprocess(tmp_path, checkpoint):
    out = tmp_path / "trace"
    assert main(["compress", "--checkpoint", str(checkpoint), "--scheme", "vq", "--k", "4",
                 "--d", "2", "--out", str(out)]) == 0
    victim = sorted((out / "layers").iterdir())[0]
    victim.write_bytes(victim.read_bytes()[:-7])
    p = subprocess.run([sys.executable, "-m", "quant", "inspect", str(out)], cwd=ROOT,
                       capture_output=True, text=True)
    assert p.returncode == 2
    assert victim.name in p.stderr and "truncated" in p.stderr
    assert "Traceback" not in p.stderr


def test_compress_errors(tmp_path, capsys):
    assert main(["compress", "--checkpoint", str(tmp_path / "nope.pt"), "--scheme", "int8",
                 "--out", str(tmp_path / "o")]) == 2
    assert "nope.pt: checkpoint not found" in capsys.readouterr().err
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a safetensors file")
    assert main(["compress", "--checkpoint", str(bad), "--scheme", "int8",
                 "--out", str(tmp_path / "o")]) == 2
    assert "bad.safetensors: cannot read checkpoint" in capsys.readouterr().err
    assert main(["compress", "--model", "deit_tiny", "--scheme", "ssvq", "--k", "4", "--d", "4",
                 "--hessian", "--out", str(tmp_path / "o")]) == 2
    assert "--hessian needs" in capsys.readouterr().err
    assert main(["inspect", str(tmp_path)]) == 2
    assert "manifest.json: missing" in capsys.readouterr().err


def test_zoo_model_kmeans_writes_a_random_weight_trace(tmp_path):
    # DeiT-Tiny has DeiT-Small's 48 compressed layers at a quarter of the weights, and k=16 needs
    # a quarter of k=64's distances: ~1 s of k-means instead of ~8 s (DeiT-Small k=64's speed is
    # a benchmark matter)
    assert main(["compress", "--model", "deit_tiny", "--scheme", "ssvq", "--k", "16", "--d",
                 "8", "--out", str(tmp_path / "ds")]) == 0
    tr = read_trace(tmp_path / "ds")
    assert len(tr.layers) == 48 and tr.manifest["random_weights"] is True
    assert "not real weights" in tr.manifest["weights_source"]
