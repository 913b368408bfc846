"""The trace format (workloads/trace.py): packing, byte counts, round trips, corruption detection."""

import json
import math

import numpy as np
import pytest

from workloads.trace import (
    STREAMS,
    TraceError,
    manifest_checksum,
    pack_indices,
    read_trace,
    stream_bytes,
    unpack_indices,
    write_trace,
)


def _vq_layer(rng, name, shape, k, d, scheme="ssvq", **kw):
    out, inp = shape
    n_vec = out * math.ceil(inp / d)
    lay = {"name": name, "op": "linear", "weight_shape": shape, "k": k, "d": d,
           "codebook": np.abs(rng.standard_normal((k, d))).astype(np.float16),
           "indices": rng.integers(0, k, n_vec), **kw}
    if scheme == "ssvq":
        lay["signs"] = rng.random(out * inp) < 0.5
    return lay


def test_stream_bytes_hand_computed():
    # 10x13, d=4 → 4 vectors/row, 40 vectors; k=6 → 3 bits → 120 bits = 15 B
    assert stream_bytes((10, 13), "ssvq", 6, 4) == {
        "index": 15, "sign": 17, "codebook": 48, "weights": 0, "scales": 0}  # 130 bits → 17 B
    assert stream_bytes((10, 13), "vq", 6, 4, "int8") == {
        "index": 15, "sign": 0, "codebook": 24, "weights": 0, "scales": 2}
    assert stream_bytes((3, 5), "int8") == {
        "index": 0, "sign": 0, "codebook": 0, "weights": 15, "scales": 6}
    assert stream_bytes((3, 5), "fp16") == {
        "index": 0, "sign": 0, "codebook": 0, "weights": 30, "scales": 0}
    # DeiT-Tiny qkv, SSVQ k=16 d=8: 576*192/8 vectors * 4 bits, 1 sign bit per weight
    b = stream_bytes((576, 192), "ssvq", 16, 8)
    assert b["index"] == 576 * 24 * 4 // 8 and b["sign"] == 576 * 192 // 8
    assert b["codebook"] == 16 * 8 * 2


@pytest.mark.parametrize("bad", [("nope", 4, 4), ("vq", None, 4), ("ssvq", 4, 0)])
def test_stream_bytes_rejects_bad_params(bad):
    scheme, k, d = bad
    with pytest.raises(ValueError):
        stream_bytes((4, 4), scheme, k, d)


def test_pack_indices_little_endian_bits():
    # 3-bit indices 5 (101), 3 (011): stream bits LSB-first: 1,0,1, 1,1,0 → byte 0b00011101
    assert pack_indices(np.array([5, 3]), 3).tolist() == [0b00011101]
    rng = np.random.default_rng(1)
    for bits in (1, 3, 7, 9, 12):
        idx = rng.integers(0, 1 << bits, 1001)
        packed = pack_indices(idx, bits)
        assert packed.size == math.ceil(1001 * bits / 8)
        assert np.array_equal(unpack_indices(packed, bits, 1001), idx)


@pytest.mark.parametrize("shape,k,d", [((10, 13), 6, 4), ((8, 16), 16, 8), ((5, 7), 2, 3)])
def test_round_trip_ssvq(tmp_path, shape, k, d):
    rng = np.random.default_rng(0)
    lay = _vq_layer(rng, "blocks.0.attn.qkv", shape, k, d)
    path = write_trace(tmp_path / "t", "m", "ssvq", [lay], creator="test 0")
    tr = read_trace(path, verify=True)
    got = tr.layers["blocks.0.attn.qkv"]
    assert np.array_equal(got.indices(), lay["indices"])
    assert np.array_equal(got.signs(), lay["signs"])
    assert np.array_equal(got.codebook(), lay["codebook"])
    assert got.bytes == stream_bytes(shape, "ssvq", k, d)
    assert got.padding == math.ceil(shape[1] / d) * d - shape[1]
    # packed arrays hold exactly the counted bytes
    a = got.arrays()
    assert a["indices"].nbytes == got.bytes["index"] and a["signs"].nbytes == got.bytes["sign"]
    # dequantize: codeword value with the sign applied
    w = got.dequantize()
    cb = lay["codebook"].astype(np.float32)
    ref = cb[lay["indices"]].reshape(shape[0], -1)[:, :shape[1]]
    assert np.array_equal(w, np.where(lay["signs"].reshape(shape), -ref, ref))


def test_round_trip_int8_and_manifest(tmp_path):
    rng = np.random.default_rng(0)
    q = rng.integers(-127, 128, (6, 9)).astype(np.int8)
    scale = rng.random(6).astype(np.float16)
    layers = [{"name": "fc1", "op": "linear", "weight_shape": (6, 9), "q": q, "scale": scale},
              {"name": "fc0", "op": "conv", "weight_shape": (6, 9), "q": q, "scale": scale,
               "K": 9, "N": 3, "groups": 2}]
    tr = read_trace(write_trace(tmp_path / "t", "net", "int8", layers, "test 0",
                                extra={"weights_source": "random"}))
    m = json.loads((tmp_path / "t" / "manifest.json").read_text())
    assert m["format"] == "accelsim-trace" and m["version"] == 2
    assert m["weights_source"] == "random" and m["creator"] == "test 0"
    assert list(tr.layers) == ["fc1", "fc0"]  # manifest order, not sorted
    assert (tr.layers["fc0"].K, tr.layers["fc0"].N, tr.layers["fc0"].groups) == (9, 3, 2)
    assert np.array_equal(tr.layers["fc1"].q(), q)
    assert tr.total_bytes() == {"index": 0, "sign": 0, "codebook": 0, "weights": 108,
                                "scales": 24}
    assert set(m["layers"][0]["bytes"]) == set(STREAMS)


def test_int8_codebook_scale_counted(tmp_path):
    rng = np.random.default_rng(0)
    lay = _vq_layer(rng, "a", (4, 8), 4, 4, scheme="vq", codebook_dtype="int8",
                    codebook_scale=0.5)
    lay["codebook"] = rng.integers(-127, 128, (4, 4)).astype(np.int8)
    t = read_trace(write_trace(tmp_path / "t", "m", "vq", [lay], "t"), verify=True).layers["a"]
    assert t.bytes["scales"] == 2 and t.bytes["codebook"] == 16
    assert np.allclose(t.dequantize()[0, :4], lay["codebook"][lay["indices"][0]] * 0.5)


@pytest.fixture
def trace_dir(tmp_path):
    rng = np.random.default_rng(0)
    layers = [_vq_layer(rng, f"l{i}", (16, 24), 16, 8) for i in range(2)]
    return write_trace(tmp_path / "t", "m", "ssvq", layers, "t")


def _sealed(manifest: dict) -> dict:
    """A hand-edited manifest with its checksum recomputed (to reach the checks behind it)."""
    return {**manifest, "checksum": manifest_checksum(manifest)}


def test_flipped_byte_is_caught(trace_dir):
    f = sorted((trace_dir / "layers").iterdir())[1]
    data = bytearray(f.read_bytes())
    data[len(data) // 2] ^= 0xFF
    f.write_bytes(bytes(data))
    with pytest.raises(TraceError, match=r"l1\.npz: corrupt: sha256"):
        read_trace(trace_dir, verify=True)
    tr = read_trace(trace_dir)  # lazy: the good layer still loads, the bad one fails on access
    tr.layers["l0"].indices()
    with pytest.raises(TraceError, match="corrupt"):
        tr.layers["l1"].indices()


def test_truncated_file_is_caught(trace_dir):
    f = sorted((trace_dir / "layers").iterdir())[0]
    f.write_bytes(f.read_bytes()[:100])
    with pytest.raises(TraceError, match=r"l0\.npz: truncated: 100 bytes"):
        read_trace(trace_dir, verify=True)


def test_missing_file_version_and_manifest_errors(trace_dir):
    mpath = trace_dir / "manifest.json"
    m = json.loads(mpath.read_text())
    mpath.write_text(json.dumps(_sealed({**m, "version": 1})))
    with pytest.raises(TraceError, match="manifest.json: unsupported version 1 .*re-export"):
        read_trace(trace_dir)
    bad = json.loads(json.dumps(m))
    bad["layers"][0]["bytes"]["index"] += 1
    mpath.write_text(json.dumps(bad))
    with pytest.raises(TraceError, match="manifest.json: checksum mismatch"):
        read_trace(trace_dir)
    mpath.write_text(json.dumps(_sealed(bad)))
    with pytest.raises(TraceError, match="stream bytes .* do not match"):
        read_trace(trace_dir)
    mpath.write_text(mpath.read_text()[:50])
    with pytest.raises(TraceError, match="manifest.json: corrupt JSON"):
        read_trace(trace_dir)
    mpath.write_text(json.dumps(m))
    sorted((trace_dir / "layers").iterdir())[0].unlink()
    with pytest.raises(TraceError, match="layer file is missing"):
        read_trace(trace_dir, verify=True)
    with pytest.raises(TraceError, match="not a trace directory"):
        read_trace(trace_dir / "layers")


def test_shape_mismatch_is_caught(tmp_path):
    rng = np.random.default_rng(0)
    path = write_trace(tmp_path / "t", "m", "ssvq", [_vq_layer(rng, "a", (8, 8), 4, 4)], "t")
    m = json.loads((path / "manifest.json").read_text())
    e = m["layers"][0]
    e["k"], e["bytes"]["codebook"] = 8, 8 * 4 * 2  # consistent manifest, wrong payload
    e["index_bits"], e["bytes"]["index"] = 3, math.ceil(16 * 3 / 8)
    (path / "manifest.json").write_text(json.dumps(_sealed(m)))
    with pytest.raises(TraceError, match=r"array 'codebook' is float16\[4, 4\]"):
        read_trace(path, verify=True)


def test_writer_validates_and_is_atomic(tmp_path):
    rng = np.random.default_rng(0)
    good = _vq_layer(rng, "a", (4, 8), 4, 4)
    with pytest.raises(ValueError, match="indices must lie in"):
        write_trace(tmp_path / "t", "m", "ssvq", [{**good, "indices": good["indices"] + 4}], "t")
    with pytest.raises(ValueError, match="magnitudes"):
        write_trace(tmp_path / "t", "m", "ssvq", [{**good, "codebook": -good["codebook"]}], "t")
    assert list(tmp_path.iterdir()) == []  # nothing half-written left behind
    write_trace(tmp_path / "t", "m", "ssvq", [good], "t")
    write_trace(tmp_path / "t", "m2", "ssvq", [good], "t")  # replacing a trace is fine
    assert read_trace(tmp_path / "t").model == "m2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t"]
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "x.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="not a trace directory"):
        write_trace(tmp_path / "other", "m", "ssvq", [good], "t")
