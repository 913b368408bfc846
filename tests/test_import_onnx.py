"""ONNX importer: models built in the torch test, exported with torch.onnx.export, imported back."""

from __future__ import annotations

import warnings

import onnx
import pytest
import torch
from conftest import run_main
from onnx import TensorProto, numpy_helper  # noqa: E402
from onnx import helper as oh  # noqa: E402
from test_import_torch import (  # noqa: E402
    CNN,
    CNN_EXPECTED,
    CNN_INPUT,
    ENC_INPUT,
    MLP_EXPECTED,
    MLP_INPUT,
    Encoder,
    TinyLM,
    encoder_expected,
    mlp,
    shapes,
)
from torch import nn  # noqa: E402

from workloads.importers import (  # noqa: E402
    ImportFailure,
    UnsupportedOperatorWarning,
    from_torch,
    load_model_file,
    load_onnx,
)
from workloads.layer import VECTOR_OPS


def export(model, inputs, path, dynamic=None):
    """TorchScript exporter (the dynamo one needs onnxscript, which is not installed)."""
    names = [f"in{i}" for i in range(len(inputs))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model.eval(), inputs, str(path), dynamo=False, input_names=names,
                          dynamic_axes=dynamic)
    return path


def test_mlp_cnn_encoder_match_hand_written_shapes(tmp_path):
    torch.manual_seed(0)
    m = load_onnx(export(mlp(), (torch.randn(*MLP_INPUT),), tmp_path / "mlp.onnx"))
    assert m.source == "onnx" and shapes(m.layers) == MLP_EXPECTED  # Gemm + named initializers

    cnn = load_onnx(export(CNN(), (torch.randn(*CNN_INPUT),), tmp_path / "cnn.onnx"))
    assert shapes(cnn.layers) == CNN_EXPECTED and cnn.unsupported == {}
    stem, dw = [x for x in cnn.layers if x.unit == "pe"][:2]
    assert (stem.stride, stem.kernel, stem.in_elems) == (2, (3, 3), 2 * 3 * 32 * 32)
    assert (dw.groups, dw.K, dw.N, dw.in_elems) == (16, 9, 1, 2 * 16 * 16 * 16)

    model = Encoder()
    x = torch.randn(*ENC_INPUT)
    enc = load_onnx(export(model, (x,), tmp_path / "enc.onnx"))
    # MatMul weights are renamed onnx::MatMul_N by the exporter; names come from the biases
    assert shapes(enc.layers) == encoder_expected()
    assert shapes(enc.layers) == shapes(from_torch(model, (x,)).layers)
    assert [x.meta.get("role") for x in enc.layers if x.op == "matmul"][:2] == ["scores", "context"]


def test_dynamic_axes_batch_and_input_shape(tmp_path):
    path = export(Encoder(), (torch.randn(*ENC_INPUT),), tmp_path / "dyn.onnx",
                  dynamic={"in0": {0: "batch", 1: "seq"}})
    with pytest.raises(ImportFailure, match=r"dim 1 is symbolic \(seq\).*--input-shape"):
        load_onnx(path)
    rows = {x.name: x for x in load_onnx(path, input_shape=(3, 9, 32)).layers}
    assert (rows["blocks.0.attn.qkv"].M, rows["blocks.1.fc2"].M) == (27, 27)
    assert (rows["blocks.1.attn.scores"].M, rows["blocks.1.attn.scores"].N,
            rows["blocks.1.attn.scores"].groups) == (9, 9, 12)
    batch5 = {x.name: x for x in load_onnx(path, batch=5, input_shape=(1, 4, 32)).layers}
    assert batch5["blocks.0.fc1"].M == 20 and batch5["blocks.0.attn.context"].groups == 20

    fixed = export(mlp(), (torch.randn(*MLP_INPUT),), tmp_path / "fixed.onnx")
    with pytest.raises(ImportFailure, match="fixed batch of 4"):
        load_onnx(fixed, batch=2)
    dyn_mlp = export(mlp(), (torch.randn(*MLP_INPUT),), tmp_path / "dmlp.onnx",
                     dynamic={"in0": {0: "batch"}})
    assert [x.M for x in load_model_file(dyn_mlp, batch=7).layers if x.unit == "pe"] == [7, 7, 7]


def test_decoder_lm_decode_matches_torch(tmp_path):
    model = TinyLM()
    ids = torch.zeros(2, 6, dtype=torch.long)
    path = export(model, (ids,), tmp_path / "lm.onnx", dynamic={"in0": {0: "b", 1: "t"}})
    got = load_onnx(path, input_shape=(2, 6), decode_context=40).layers
    want = from_torch(model, (ids,), decode_context=40).layers
    assert shapes(got) == shapes(want)
    rows = {x.name: (x.M, x.K, x.N, x.groups, x.weights) for x in got}
    assert rows["tok"] == (2, 1, 32, 1, False) and rows["head"] == (2, 32, 100, 1, True)
    assert rows["blocks.0.attn.scores"] == (1, 8, 40, 8, False)


def test_unsupported_nodes_are_counted(tmp_path):
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ConvTranspose2d(8, 4, 2, stride=2))
    path = export(model, (torch.randn(1, 3, 10, 10),), tmp_path / "up.onnx")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = load_onnx(path)
    assert shapes(result.layers) == [("0", "conv", 64, 27, 8, 1, True)]
    assert result.unsupported == {"ConvTranspose": 1}
    msgs = [str(w.message) for w in caught if w.category is UnsupportedOperatorWarning]
    assert len(msgs) == 1 and "ConvTranspose x1" in msgs[0] and str(path) in msgs[0]


def _save(nodes, inputs, outputs, inits, path, opset=17):
    graph = oh.make_graph(nodes, "g", inputs, outputs, initializer=inits)
    onnx.save(oh.make_model(graph, opset_imports=[oh.make_opsetid("", opset)]), str(path))
    return path


def test_hand_built_graph_embedding_transposed_weight_and_attention_op(tmp_path):
    import numpy as np

    f = TensorProto.FLOAT
    inits = [numpy_helper.from_array(np.zeros((50, 32), np.float32), "emb.weight"),
             numpy_helper.from_array(np.zeros((64, 32), np.float32), "enc.fc.weight")]
    nodes = [oh.make_node("Gather", ["emb.weight", "ids"], ["e"], name="/emb/Gather"),
             oh.make_node("Transpose", ["enc.fc.weight"], ["wt"], perm=[1, 0]),
             oh.make_node("MatMul", ["e", "wt"], ["h"], name="/enc/fc/MatMul"),
             oh.make_node("Attention", ["h", "h", "h"], ["y"], name="/enc/attn/Attention",
                          q_num_heads=8, kv_num_heads=8)]
    path = _save(nodes, [oh.make_tensor_value_info("ids", TensorProto.INT64, ["b", 7])],
                 [oh.make_tensor_value_info("y", f, ["b", 7, 64])], inits,
                 tmp_path / "hand.onnx", opset=23)
    result = load_onnx(path, batch=2)
    assert shapes(result.layers) == [("emb", "embedding", 14, 1, 32, 1, False),
                                     ("enc.fc", "linear", 14, 32, 64, 1, True),
                                     ("enc.attn.scores", "matmul", 7, 8, 7, 16, False),
                                     ("enc.attn.context", "matmul", 7, 7, 8, 16, False)]
    assert result.layers[0].meta["vocab"] == 50 and result.unsupported == {}


def test_broken_files(tmp_path):
    good = export(mlp(), (torch.randn(*MLP_INPUT),), tmp_path / "good.onnx")
    (tmp_path / "garbage.onnx").write_bytes(b"\x08\x07this is not protobuf\xff\xff")
    (tmp_path / "truncated.onnx").write_bytes(good.read_bytes()[:200])
    (tmp_path / "empty.onnx").write_bytes(b"")
    cases = [("garbage.onnx", "not a valid ONNX model"), ("truncated.onnx", "not a valid ONNX"),
             ("empty.onnx", "not a valid ONNX model|no inputs"), ("missing.onnx", "no such file")]
    for name, pattern in cases:
        with pytest.raises(ImportFailure, match=pattern) as info:
            load_onnx(tmp_path / name)
        assert name in str(info.value)
    # a structurally valid graph whose shapes contradict each other
    f = TensorProto.FLOAT
    w = numpy_helper.from_array(__import__("numpy").zeros((5, 3), "float32"), "w")
    bad = _save([oh.make_node("MatMul", ["x", "w"], ["y"])],
                [oh.make_tensor_value_info("x", f, [2, 4])],
                [oh.make_tensor_value_info("y", f, [2, 3])], [w], tmp_path / "clash.onnx")
    with pytest.raises(ImportFailure, match="clash.onnx: ONNX shape inference failed"):
        load_onnx(bad)


def _cli(*args):
    """``python -m workloads import ARGS``, run in this process (torch is loaded already)."""
    from workloads.__main__ import main

    return run_main(main, ["import", *args])


def test_cli_onnx(tmp_path):
    import yaml

    path = export(CNN(), (torch.randn(*CNN_INPUT),), tmp_path / "cnn.onnx")
    proc = _cli(path, "-o", tmp_path / "cnn.yaml")
    assert proc.returncode == 0, proc.stderr
    rows = yaml.safe_load((tmp_path / "cnn.yaml").read_text())["layers"]
    assert [(r["name"], r["op"], r["M"], r["K"], r["N"], r["groups"], r["weights"])
            for r in rows if r["op"] not in VECTOR_OPS] == CNN_EXPECTED
    assert rows[0]["kernel"] == [3, 3] and rows[0]["stride"] == 2

    (tmp_path / "bad.onnx").write_text("not an onnx file")
    proc = _cli(tmp_path / "bad.onnx", "-o", tmp_path / "bad.yaml")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "bad.onnx: not a valid ONNX model" in proc.stderr
    assert not (tmp_path / "bad.yaml").exists()


class Branchy(torch.nn.Module):
    """A residual connection and a branch: ``h`` is read by two linears and by a residual add."""

    def __init__(self) -> None:
        super().__init__()
        nn = torch.nn
        self.fc1, self.act = nn.Linear(16, 32), nn.ReLU()
        self.a, self.b, self.out = nn.Linear(32, 32), nn.Linear(32, 32), nn.Linear(32, 16)

    def forward(self, x):
        h = self.act(self.fc1(x))
        y = self.a(h) + self.b(h)
        return self.out(y + h)


def graph_of(layers):
    """(op, M, K, N, inputs as producer positions) per layer: the graph, whatever the names."""
    where = {la.output: i for i, la in enumerate(layers)}
    return [(la.op, la.M, la.K, la.N, tuple(where.get(n, "external") for n in la.inputs))
            for la in layers]


BRANCHY_BY_HAND = [
    ("linear", 4, 16, 32, ("external",)),  # 0 fc1
    ("relu", 4, 1, 32, (0,)),              # 1 h
    ("linear", 4, 32, 32, (1,)),           # 2 a(h)
    ("linear", 4, 32, 32, (1,)),           # 3 b(h)
    ("add", 4, 1, 32, (2, 3)),             # 4 the branches join
    ("add", 4, 1, 32, (4, 1)),             # 5 the residual reads h again
    ("linear", 4, 32, 16, (5,)),           # 6 out
]


def test_residual_and_branch_import_to_the_hand_written_graph(tmp_path):
    from workloads.importers import from_torch

    x = torch.randn(4, 16)
    fx = from_torch(Branchy(), (x,), method="fx")
    onnx_layers = load_onnx(export(Branchy(), (x,), tmp_path / "branchy.onnx")).layers
    assert graph_of(fx.layers) == graph_of(onnx_layers) == BRANCHY_BY_HAND
    assert fx.unsupported == {}
