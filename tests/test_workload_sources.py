"""Where layers come from: zoo models, explicit lists, ONNX files; and accelsim stays torch-free."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import accelsim
from accelsim.errors import ConfigError


def _tiny_onnx(path):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w = numpy_helper.from_array(np.zeros((64, 32), np.float32), name="fc.weight")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "fc.weight"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 32])], [w])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)


def test_onnx_workload_is_simulated(tmp_path):
    _tiny_onnx(tmp_path / "m.onnx")
    wl = tmp_path / "w.yaml"
    wl.write_text("arch: {preset: edge-32x32, dram: {preset: ideal}}\nonnx: m.onnx\nbatch: 4\n")
    res = accelsim.simulate(wl)
    row = res.layers.iloc[0]
    assert (row["M"], row["K"], row["N"], bool(row["weights"])) == (4, 64, 32, True)


def test_broken_onnx_is_a_config_error(tmp_path):
    import onnx  # noqa: F401  (installed by pip install -e '.[dev]')
    (tmp_path / "m.onnx").write_bytes(b"not a model")
    wl = tmp_path / "w.yaml"
    wl.write_text("arch: edge-32x32\nonnx: m.onnx\n")
    with pytest.raises(ConfigError, match="m.onnx"):
        accelsim.simulate(wl)


def test_zoo_model_args_are_checked():
    with pytest.raises(ConfigError, match="seq_len"):
        accelsim.simulate({"arch": "edge-32x32", "model": "deit_tiny", "model_args": {"seqlen": 5}})


def test_zoo_layer_count_and_weight_bytes():
    res = accelsim.simulate({"arch": {"preset": "edge-32x32", "dram": {"preset": "ideal"}},
                             "model": "deit_tiny", "baseline": None})
    df = res.layers
    weight_elems = int((df.K * df.N * df.groups)[df.weights].sum())
    # int8 weights: one byte each, every weight fetched exactly once with these buffers
    assert res.summary["totals"]["dram_read_B"]["weights"] == weight_elems
    assert 5.5e6 < weight_elems < 5.8e6


def test_import_accelsim_pulls_no_torch_and_no_heavy_libs():
    code = ("import sys, accelsim; accelsim.load({'arch': 'edge-32x32', 'model': 'deit_tiny'}); "
            "print(sorted(m for m in ('torch', 'pandas', 'matplotlib', 'onnx') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
