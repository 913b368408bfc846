"""Fine-tuning wrappers: STE gradients, codebook gradients, progressive sign freezing, export."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from quant.codec import compress_weight  # noqa: E402
from quant.finetune import (  # noqa: E402
    export_layers,
    optimizer_groups,
    quantize_model,
    quantized_modules,
    sign_latents,
)
from quant.freezing import SignFreezer  # noqa: E402
from quant.qmodules import QuantWeight  # noqa: E402
from workloads.trace import read_trace, write_trace  # noqa: E402


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models: one torch thread is faster than two on a shared machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def qweight(scheme="ssvq", shape=(6, 8), k=4, d=4, alpha=1.0, seed=0):
    w = torch.randn(*shape, generator=torch.Generator().manual_seed(seed))
    return QuantWeight(compress_weight(w, scheme, k, d), w, alpha=alpha), w


def test_forward_equals_compressed_reconstruction():
    for scheme in ("vq", "ssvq"):
        qw, _ = qweight(scheme)
        assert np.array_equal(qw().detach().numpy(), qw.compressed().dequantize())


def test_ste_and_codebook_gradients():
    qw, w = qweight(alpha=0.5)
    assert torch.allclose(qw.sign_latent.detach(), 0.5 * w)  # latent init α·W
    g = torch.randn(6, 8, generator=torch.Generator().manual_seed(1))
    (qw() * g).sum().backward()
    mag = qw.codebook.detach()[qw.assignments].reshape(6, 8)  # d=4 divides 8: no padding
    sign = torch.where(w < 0, -1.0, 1.0)
    assert torch.allclose(qw.sign_latent.grad, g * mag)  # ∂/∂L = ∂/∂Ŵ ⊙ C[A]
    # a codeword's gradient sums its weights' gradients times their signs
    gv, sv = (g * sign).reshape(-1, 4), qw.assignments
    want = torch.zeros(4, 4).index_add_(0, sv, gv)
    assert torch.allclose(qw.codebook.grad, want)


def test_frozen_signs_get_no_gradient_and_keep_value():
    qw, w = qweight()
    qw.frozen[0, 0] = True
    qw.frozen_negative[0, 0] = not bool(w[0, 0] < 0)  # frozen to the opposite sign
    out = qw()
    out.sum().backward()
    assert qw.sign_latent.grad[0, 0] == 0 and qw.sign_latent.grad[1, 1] != 0
    assert torch.sign(out[0, 0]) == -torch.sign(w[0, 0])


def test_freezer_ema_threshold_and_current_sign():
    qw, _ = qweight(shape=(1, 4), k=2, d=4)
    qw.sign_latent.data = torch.tensor([[1.0, 1.0, 1.0, 1.0]])
    qw.prev_negative.fill_(False)
    fr = SignFreezer([qw], total_steps=10, every=4, theta=50.0, momentum=0.5)
    assert fr.threshold(0) == pytest.approx(0.5) and fr.threshold(10) == pytest.approx(0.0)
    assert fr.threshold(5) == pytest.approx(0.25)
    # weight 0 flips every step, weight 1 flips once, 2 and 3 never flip
    seq = [[-1, -1, 1, 1], [1, -1, 1, 1], [-1, -1, 1, 1], [1, -1, 1, 1]]
    frozen_counts = []
    for lat in seq:
        qw.sign_latent.data = torch.tensor([lat], dtype=torch.float32)
        frozen_counts.append(fr.step())
    # change EMA of weight 0: .5, .75, .875, .9375; weight 1: .5, .25, .125, .0625
    assert qw.flip_ema[0].tolist() == pytest.approx([0.9375, 0.0625, 0, 0])
    thr = 0.5 * 0.5 * (1 + math.cos(math.pi * 0.4))  # θ at t=4 (fraction)
    assert fr.threshold() == pytest.approx(thr)
    assert frozen_counts == [0, 0, 0, 1]
    assert qw.frozen[0].tolist() == [True, False, False, False]
    # frozen at its sign at step 4 (+), though it spent two of four steps negative
    assert qw.frozen_negative[0, 0].item() is False
    assert fr.frozen_fraction() == 0.25 and fr.frozen_against_latent() == 0.0


def test_a_single_learned_flip_is_frozen_at_its_new_sign():
    """One clean flip at step 9, freeze check every 10 steps, θ = 1 %, m = 0.01.

    By hand: the change EMA is 0.01 after step 9 and 0.0099 after step 10; θ_10 =
    ½(1 + cos(π·10/100)) % = 0.9755 % < 0.99 %, so the sign freezes at step 10. Its latent has
    been negative since step 9, so it must freeze negative. (A 1 %-per-step average of the
    negative indicator would be 0.0199 here, far below ½: frozen positive, the flip undone.)
    """
    qw, _ = qweight(shape=(1, 4), k=2, d=4)
    qw.sign_latent.data = torch.tensor([[0.5, 0.5, -0.5, -0.5]])
    qw.prev_negative.copy_(qw.sign_latent.data < 0)
    fr = SignFreezer([qw], total_steps=100, every=10, theta=1.0, momentum=0.01)
    counts = []
    for t in range(1, 11):
        if t == 9:
            qw.sign_latent.data[0, 0] = -0.01  # weight 0 flips + → −; the others never move
        counts.append(fr.step())
    assert counts == [0] * 9 + [1]
    assert qw.flip_ema[0, 0].item() == pytest.approx(0.0099)
    assert fr.threshold() == pytest.approx(0.5 * (1 + math.cos(math.pi * 0.1)) / 100)
    assert qw.frozen[0].tolist() == [True, False, False, False]
    assert qw.negative()[0].tolist() == [True, False, True, True]
    assert float(qw().detach()[0, 0]) < 0  # the forward pass uses the learned sign
    qw.sign_latent.data[0, 0] = 0.3  # frozen: a later latent move no longer changes the sign
    assert qw.negative()[0, 0].item() is True and fr.frozen_against_latent() == 0.25
    fr.step()  # ... and the next step pins the latent back at its frozen value
    assert qw.sign_latent[0, 0].item() == pytest.approx(-0.01) and fr.frozen_against_latent() == 0


def small_cnn():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                         nn.Linear(4 * 6 * 6, 5))


def test_quantize_model_wraps_and_matches_functional():
    m = small_cnn()
    wraps = quantize_model(m, "ssvq", 8, 4, select=lambda name, mod: name != "3")
    assert list(wraps) == ["0"] and isinstance(m[3], nn.Linear)
    x = torch.randn(2, 1, 6, 6)
    w = torch.from_numpy(wraps["0"].qweight.compressed().dequantize()).reshape(4, 1, 3, 3)
    ref = F.conv2d(x, w, wraps["0"].bias, padding=1)
    assert torch.allclose(m[0](x), ref, atol=1e-6)
    assert wraps["0"].gemm() == {"K": 9, "N": 4, "groups": 1}


def test_optimizer_groups_and_training_freezes_and_exports(tmp_path):
    m = small_cnn()
    quantize_model(m, "ssvq", 8, 4)
    groups = optimizer_groups(m, lr=1e-3, lr_mask=5e-2)
    assert [g["lr"] for g in groups] == [1e-3, 5e-2]
    assert len(groups[1]["params"]) == 2 and groups[1]["weight_decay"] == 0.0
    opt = torch.optim.AdamW(groups)
    fr = SignFreezer(sign_latents(m), total_steps=40, every=10, theta=4.0)
    x, y = torch.randn(16, 1, 6, 6), torch.randint(0, 5, (16,))
    for _ in range(40):
        loss = F.cross_entropy(m(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        fr.step()
    assert 0 < fr.frozen_fraction() <= 1
    layers = export_layers(m)
    assert [lay["name"] for lay in layers] == ["0", "3"]
    assert (layers[1]["K"], layers[1]["N"], layers[0]["op"]) == (144, 5, "conv")
    tr = read_trace(write_trace(tmp_path / "t", "cnn", "ssvq", layers, "test"), verify=True)
    for name, mod in quantized_modules(m).items():  # trace == trained weights up to fp16
        got = tr.layers[name].dequantize()
        assert np.allclose(got, mod.qweight().detach().numpy(), atol=2e-3)


def test_negative_codeword_exports_as_flipped_signs():
    qw, _ = qweight(scheme="ssvq", k=4, d=4)
    with torch.no_grad():
        qw.codebook[1] = -qw.codebook[1] - 0.25  # went negative while training
    cw = qw.compressed()
    assert (cw.codebook >= 0).all()
    assert np.allclose(cw.dequantize(), qw().detach().numpy(), atol=1e-3)


def test_int8_fake_quant_ste():
    qw, w = qweight(scheme="int8", k=None, d=None)
    out = qw()
    assert torch.allclose(out, torch.from_numpy(qw.compressed().dequantize()), atol=1e-3)
    out.sum().backward()
    assert torch.equal(qw.latent.grad, torch.ones_like(w))
