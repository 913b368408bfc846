"""Bit accounting and `python -m quant cr` (no torch needed)."""

import json

import pytest

from quant.accounting import compressed_layers, layer_bits, model_bits, nominal_bits_per_weight
from quant.cli import main
from workloads.layer import Layer

# Supplementary Table 10 (k → C.R.). DeiT-Small's VQ d=8 entries 25.1 / 20.7 sit under the
# k=1024 / 2048 columns in the extracted text, but only k=512 / 1024 reproduce them under the
# convention that reproduces every other entry (see docs/quant.md): a column shift.
TABLE10 = {
    ("deit_tiny", "ssvq", 8): {8: 23.1, 16: 21.1, 32: 19.2, 64: 17.5, 128: 15.8},
    ("deit_small", "ssvq", 8): {8: 23.2, 16: 21.3, 32: 19.6, 64: 18.1},
    ("deit_tiny", "vq", 4): {64: 20.8, 128: 17.5},
    ("deit_small", "vq", 4): {64: 21.2, 128: 18.1},
    ("deit_tiny", "vq", 8): {256: 24.7, 512: 18.6},
    ("deit_small", "vq", 8): {512: 25.1, 1024: 20.7},
}
CASES = [(m, s, d, k, cr) for (m, s, d), row in TABLE10.items() for k, cr in row.items()]


def deit_layers(dim: int, depth: int = 12, tokens: int = 197) -> list[Layer]:
    """DeiT built by hand (timm names), independent of the zoo."""
    heads = dim // 64
    layers = [Layer("patch_embed.proj", "conv", 196, 768, dim, kernel=(16, 16), stride=16)]
    for b in range(depth):
        p = f"blocks.{b}."
        layers += [Layer(p + "attn.qkv", "linear", tokens, dim, 3 * dim),
                   Layer(p + "attn.scores", "matmul", tokens, 64, tokens, groups=heads,
                         weights=False),
                   Layer(p + "attn.proj", "linear", tokens, dim, dim),
                   Layer(p + "mlp.fc1", "linear", tokens, dim, 4 * dim),
                   Layer(p + "mlp.fc2", "linear", tokens, 4 * dim, dim)]
    return layers + [Layer("head", "linear", 1, dim, 1000)]


@pytest.mark.parametrize("model,scheme,d,k,paper", CASES)
def test_table10_hand_built(model, scheme, d, k, paper):
    layers = deit_layers(192 if model == "deit_tiny" else 384)
    rep = model_bits(layers, scheme, k, d)
    assert rep["layers_counted"] == 48
    assert abs(rep["compression_ratio"] - paper) <= 0.1


@pytest.mark.parametrize("model,scheme,d,k,paper", CASES)
def test_table10_via_cli_on_zoo(model, scheme, d, k, paper, capsys):
    import workloads.zoo  # noqa: F401  (installed by pip install -e '.[dev]')
    rc = main(["cr", "--model", model, "--scheme", scheme, "--k", str(k), "--d", str(d),
               "--json"])
    rep = json.loads(capsys.readouterr().out)
    assert rc == 0 and rep["layers_counted"] == 48
    assert abs(rep["compression_ratio"] - paper) <= 0.1
    assert rep["bits_per_weight"] == pytest.approx(32 / rep["compression_ratio"])


def test_hand_computed_layer_bits():
    # 64x96 SSVQ k=16 d=8: 4/8 index + 1 sign = 1.5 b/w; codebook 16*8*16 bits
    r = layer_bits((64, 96), "ssvq", 16, 8)
    assert r["index_bits"] == 64 * 96 * 0.5 and r["sign_bits"] == 64 * 96
    assert r["codebook_bits"] == 16 * 8 * 16
    assert r["bits_per_weight"] == pytest.approx(1.5 + 2048 / 6144)
    # packed bytes equal bits-per-weight x weights + codebook when nothing needs rounding
    assert r["packed_bytes"] * 8 == r["paper_bits"]
    # k not a power of two: the paper counts log2 k, the trace stores ceil(log2 k)
    r = layer_bits((8, 8), "vq", 5, 4)
    assert r["index_bits"] == pytest.approx(64 / 4 * 2.321928, rel=1e-6)
    assert r["packed_streams"]["index"] == 16 * 3 // 8
    assert nominal_bits_per_weight("int8") == 8 and nominal_bits_per_weight("ssvq", 256, 8) == 2


def test_selection_excludes_heads_and_dedupes():
    layers = [Layer("embeddings.word_embeddings", "embedding", 1, 1, 384, weights=False),
              Layer("conv1", "conv", 10, 27, 64), Layer("fc", "linear", 1, 512, 1000),
              Layer("a", "linear", 4, 8, 8), Layer("a2", "linear", 4, 8, 8, weight_name="a"),
              Layer("pooler.dense", "linear", 1, 8, 8), Layer("classifier.1", "linear", 1, 8, 8)]
    assert [x.name for x in compressed_layers(layers)] == ["conv1", "a"]
    assert model_bits(layers, "int8")["compression_ratio"] == pytest.approx(4.0)
    assert model_bits(layers, "int8", select_all=True)["layers_counted"] == 5


def test_cr_cli_errors(capsys):
    assert main(["cr", "--model", "deit_tiny", "--scheme", "ssvq", "--k", "16"]) == 2
    assert "--scheme ssvq needs --k and --d" in capsys.readouterr().err
    assert main(["cr", "--model", "no_such_model", "--scheme", "int8"]) == 2
    assert "no_such_model" in capsys.readouterr().err
