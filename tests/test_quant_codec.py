"""k-means, INT8, VQ/SSVQ compression of one matrix, and agreement with the trace reader."""

import numpy as np
import pytest
import torch

from quant.codec import compress_weight  # noqa: E402
from quant.int8 import dequantize_int8, quantize_int8  # noqa: E402
from quant.kmeans import kmeans  # noqa: E402
from quant.vectors import from_vectors, pad_mask, to_vectors  # noqa: E402
from workloads.trace import read_trace, write_trace  # noqa: E402


def blobs(n_per=200, centers=((0, 0), (10, 0), (0, 10), (10, 10)), seed=0):
    g = torch.Generator().manual_seed(seed)
    c = torch.tensor(centers, dtype=torch.float32)
    x = c.repeat_interleave(n_per, 0) + 0.1 * torch.randn(len(centers) * n_per, 2, generator=g)
    return x, c


def test_kmeans_recovers_separated_clusters_and_is_seeded():
    x, c = blobs()
    r = kmeans(x, 4, seed=3)
    found = sorted(map(tuple, r.codebook.round().tolist()))
    assert found == sorted(map(tuple, c.tolist()))
    assert r.inertia < 800 * 2 * 0.1 ** 2 * 1.5  # ≈ noise variance only
    assert torch.equal(kmeans(x, 4, seed=3).assignments, r.assignments)
    # points of one blob share one label
    assert all(len(set(r.assignments[i * 200:(i + 1) * 200].tolist())) == 1 for i in range(4))


def test_kmeans_subsampled_fit_still_assigns_every_row():
    x, _ = blobs(n_per=3000)
    r = kmeans(x, 4, max_points_per_centroid=16, seed=0)  # fits on 64 rows
    assert r.assignments.shape == (12000,)
    assert r.inertia < 12000 * 2 * 0.1 ** 2 * 1.5


def test_kmeans_more_clusters_than_distinct_points():
    x = torch.tensor([[1.0, 1.0]] * 5 + [[3.0, 3.0]] * 5)
    r = kmeans(x, 4, seed=0)
    assert r.inertia == pytest.approx(0.0, abs=1e-6)
    assert set(r.codebook[r.assignments].tolist()[0]) == {1.0}


def test_weighted_kmeans_ignores_zero_weight_entries():
    # second coordinate has weight 0: clustering must use only the first coordinate
    x = torch.tensor([[0.0, 100.0], [0.1, -100.0], [5.0, 100.0], [5.1, -100.0]])
    h = torch.tensor([[1.0, 0.0]] * 4)
    r = kmeans(x, 2, weights=h, seed=0)
    a = r.assignments.tolist()
    assert a[0] == a[1] and a[2] == a[3] and a[0] != a[2]
    assert sorted(r.codebook[:, 0].tolist()) == pytest.approx([0.05, 5.05])


def test_vectors_pad_and_round_trip():
    w = torch.arange(10.0).reshape(2, 5)
    v = to_vectors(w, 4)
    assert v.tolist() == [[0, 1, 2, 3], [4, 0, 0, 0], [5, 6, 7, 8], [9, 0, 0, 0]]
    assert torch.equal(from_vectors(v, (2, 5)), w)
    assert pad_mask((2, 5), 4)[1].tolist() == [1, 0, 0, 0] and pad_mask((2, 8), 4) is None


def test_int8_hand_values():
    w = np.array([[127.0, -63.5, 0.2], [0.0, 0.0, 0.0]], np.float32)
    q, s = quantize_int8(w)
    assert s.dtype == np.float16 and s.tolist() == [1.0, 1.0]
    assert q.tolist() == [[127, -64, 0], [0, 0, 0]]  # -63.5 rounds half to even
    assert np.abs(dequantize_int8(q, s) - w).max() <= 0.5


@pytest.mark.parametrize("shape,k,d", [((32, 24), 16, 4), ((12, 30), 8, 8)])
def test_ssvq_structure(shape, k, d):
    g = torch.Generator().manual_seed(0)
    w = torch.randn(*shape, generator=g)
    cw = compress_weight(w, "ssvq", k, d, seed=1)
    assert cw.codebook.shape == (k, d) and (cw.codebook >= 0).all()
    assert np.array_equal(cw.signs, (w < 0).flatten().numpy())
    w_hat = cw.dequantize()
    assert np.array_equal(np.sign(w_hat[w_hat != 0]), np.sign(w.numpy()[w_hat != 0]))
    assert cw.stats["rel_err"] < 0.5
    assert np.array_equal(cw.codebook, cw.codebook.astype(np.float16).astype(np.float32))


def test_vq_beats_trivial_and_more_codewords_help():
    w = torch.randn(64, 64, generator=torch.Generator().manual_seed(0))
    e = [compress_weight(w, "vq", k, 4).stats["rel_err"] for k in (4, 16, 256)]
    assert e[0] > e[1] > e[2]
    assert e[2] < 0.5


def test_fisher_weighting_protects_important_weights():
    g = torch.Generator().manual_seed(0)
    w = torch.randn(64, 32, generator=g)
    w[:, :4] *= 0.1  # small weights plain k-means lumps into one or two codewords ...
    fisher = torch.ones_like(w)
    fisher[:, :4] = 1000.0  # ... but the loss is most sensitive to them
    plain = compress_weight(w, "vq", 8, 4, seed=0).dequantize()
    hess = compress_weight(w, "vq", 8, 4, fisher=fisher, seed=0).dequantize()
    err_imp = lambda wh: float(((wh - w.numpy())[:, :4] ** 2).sum())  # noqa: E731
    assert err_imp(hess) < 0.5 * err_imp(plain)


@pytest.mark.parametrize("scheme,k,d,cbd", [("ssvq", 16, 4, "fp16"), ("vq", 32, 8, "fp16"),
                                            ("ssvq", 6, 3, "int8"), ("int8", None, None, "fp16")])
def test_trace_reader_reconstructs_exactly(tmp_path, scheme, k, d, cbd):
    w = torch.randn(20, 22, generator=torch.Generator().manual_seed(0))
    cw = compress_weight(w, scheme, k, d, codebook_dtype=cbd)
    path = write_trace(tmp_path / "t", "m", scheme, [cw.trace_layer("x.y")], "test")
    lay = read_trace(path, verify=True).layers["x.y"]
    assert np.array_equal(lay.dequantize(), cw.dequantize())
    assert lay.meta["rel_err"] == pytest.approx(cw.stats["rel_err"])
    assert sum(lay.bytes.values()) * 8 == pytest.approx(cw.bits_per_weight * 20 * 22)


def test_conv_weight_is_viewed_in_torch_order():
    w = torch.randn(8, 3, 3, 3, generator=torch.Generator().manual_seed(0))
    cw = compress_weight(w, "int8")
    assert cw.shape == (8, 27)
    assert np.abs(cw.dequantize() - w.reshape(8, 27).numpy()).max() < 0.02
