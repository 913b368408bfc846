"""The compressed-weight trace format: the one writer, reader and verifier (numpy only).

A trace is a directory holding ``manifest.json`` and one ``layers/NNN_<name>.npz`` per layer.
Stream packing (what :func:`stream_bytes` counts and what the files hold, byte for byte):

* ``index``: one ``ceil(log2 k)``-bit index per ``d``-vector, vectors in row-major order
  (``n_vec = out·ceil(in/d)``; the last vector of a row is zero-padded), packed contiguously,
  little-endian bits (index *i* occupies stream bits ``[i·b, (i+1)·b)``, bit *j* of the stream is
  bit ``j % 8`` of byte ``j // 8``).
* ``sign`` (SSVQ only): ``np.packbits`` (MSB first) of the ``out·in`` sign bits in weight order,
  1 = negative, no padding bits besides the final byte.
* ``codebook``: ``[k, d]`` fp16, or int8 with one fp16 scale (counted under ``scales``).
* ``weights``/``scales``: INT8 ``q [out, in]`` int8 + fp16 per-output-channel ``scale``;
  FP16 ``weights [out, in]`` fp16.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np

from workloads.trace_check import (  # noqa: F401 — re-exported: the format's one home
    FORMAT,
    SCHEMES,
    STREAMS,
    VERSION,
    TraceError,
    check_manifest,
    load_manifest,
    manifest_checksum,
    sha256_file,
)

CODEBOOK_DTYPES = {"fp16": np.float16, "int8": np.int8}
LAYER_KEYS = ("name", "op", "weight_shape", "K", "N", "k", "d", "codebook_dtype", "index_bits",
              "sign_bits", "padding", "file", "sha256", "file_bytes", "bytes")
ID_ARRAYS = ("layer_name", "layer_shape")
"""Arrays every layer file holds besides its payload: its own layer name and weight shape."""


def index_bits(k: int) -> int:
    """Bits per codebook index: ``ceil(log2 k)`` (0 for a one-entry codebook)."""
    return max(0, math.ceil(math.log2(k)))


def _check_params(weight_shape, scheme, k, d, codebook_dtype) -> tuple[int, int]:
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    out, inp = (int(v) for v in weight_shape)
    if out < 1 or inp < 1:
        raise ValueError(f"weight_shape must be positive, got {tuple(weight_shape)}")
    if scheme in ("vq", "ssvq"):
        if not isinstance(k, int | np.integer) or k < 1:
            raise ValueError(f"{scheme}: k must be a positive integer, got {k!r}")
        if not isinstance(d, int | np.integer) or d < 1:
            raise ValueError(f"{scheme}: d must be a positive integer, got {d!r}")
        if codebook_dtype not in CODEBOOK_DTYPES:
            raise ValueError(f"codebook_dtype must be one of {tuple(CODEBOOK_DTYPES)}, "
                             f"got {codebook_dtype!r}")
    return out, inp


def stream_bytes(weight_shape: tuple[int, int], scheme: str, k: int | None = None,
                 d: int | None = None, codebook_dtype: str = "fp16") -> dict[str, int]:
    """Exact packed bytes of each stream of one layer: index, sign, codebook, weights, scales."""
    out, inp = _check_params(weight_shape, scheme, k, d, codebook_dtype)
    b = dict.fromkeys(STREAMS, 0)
    if scheme == "int8":
        b["weights"], b["scales"] = out * inp, out * 2
    elif scheme == "fp16":
        b["weights"] = out * inp * 2
    else:
        n_vec = out * math.ceil(inp / d)
        b["index"] = math.ceil(n_vec * index_bits(k) / 8)
        b["codebook"] = k * d * (2 if codebook_dtype == "fp16" else 1)
        b["scales"] = 2 if codebook_dtype == "int8" else 0
        if scheme == "ssvq":
            b["sign"] = math.ceil(out * inp / 8)
    return b


def pack_indices(indices: np.ndarray, bits: int) -> np.ndarray:
    """Pack non-negative integers into a little-endian bit stream of ``bits`` each → uint8."""
    idx = np.asarray(indices, dtype=np.int64).ravel()
    if bits == 0:
        return np.zeros(0, np.uint8)
    if idx.size and (idx.min() < 0 or idx.max() >= 1 << bits):
        raise ValueError(f"indices must lie in [0, 2**{bits})")
    planes = ((idx[:, None] >> np.arange(bits)) & 1).astype(np.uint8)
    return np.packbits(planes.ravel(), bitorder="little")


def unpack_indices(packed: np.ndarray, bits: int, count: int) -> np.ndarray:
    """Inverse of :func:`pack_indices`: the first ``count`` indices as int64."""
    if bits == 0:
        return np.zeros(count, np.int64)
    flat = np.unpackbits(np.asarray(packed, np.uint8), bitorder="little", count=count * bits)
    return flat.reshape(count, bits).astype(np.int64) @ (np.int64(1) << np.arange(bits))


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def _layer_arrays(layer: dict, scheme: str, shape: tuple[int, int], k, d, cb_dtype) -> dict:
    """The npz payload of one layer dict, validated against its declared shape."""
    out, inp = shape
    name = layer["name"]
    if scheme == "int8":
        q = np.asarray(layer["q"])
        if q.dtype != np.int8 or q.shape != shape:
            raise ValueError(f"layer {name!r}: q must be int8 {shape}, got {q.dtype} {q.shape}")
        scale = np.asarray(layer["scale"], np.float16).reshape(-1)
        if scale.shape != (out,):
            raise ValueError(f"layer {name!r}: scale must have {out} entries, got {scale.size}")
        return {"q": q, "scale": scale}
    if scheme == "fp16":
        w = np.asarray(layer["weights"], np.float16)
        if w.shape != shape:
            raise ValueError(f"layer {name!r}: weights must be {shape}, got {w.shape}")
        return {"weights": w}
    codebook = np.asarray(layer["codebook"])
    if codebook.shape != (k, d):
        raise ValueError(f"layer {name!r}: codebook must be {(k, d)}, got {codebook.shape}")
    if scheme == "ssvq" and np.any(codebook < 0):
        raise ValueError(f"layer {name!r}: an SSVQ codebook holds magnitudes (must be >= 0)")
    arrays = {"codebook": codebook.astype(CODEBOOK_DTYPES[cb_dtype])}
    if cb_dtype == "int8":
        if codebook.dtype != np.int8:
            raise ValueError(f"layer {name!r}: an int8 codebook must be given as int8 values")
        arrays["codebook_scale"] = np.asarray([layer["codebook_scale"]], np.float16)
    idx = np.asarray(layer["indices"]).ravel()
    n_vec = out * math.ceil(inp / d)
    if idx.size != n_vec:
        raise ValueError(f"layer {name!r}: expected {n_vec} indices, got {idx.size}")
    if idx.size and (idx.min() < 0 or idx.max() >= k):
        raise ValueError(f"layer {name!r}: indices must lie in [0, {k})")
    arrays["indices"] = pack_indices(idx, index_bits(k))
    if scheme == "ssvq":
        signs = np.asarray(layer["signs"], bool)
        if signs.size != out * inp:
            raise ValueError(f"layer {name!r}: expected {out * inp} signs, got {signs.size}")
        arrays["signs"] = np.packbits(signs.ravel())
    return arrays


def write_trace(out_dir, model: str, scheme: str, layers: list[dict], creator: str,
                extra: dict | None = None) -> Path:
    """Write a trace directory atomically and return its path.

    Each layer dict has ``name``, ``op``, ``weight_shape`` ``(out, in)``, optionally ``K``, ``N``,
    ``groups`` (default: the plain ``[out, in]`` GEMM), ``meta`` (free-form, copied to the
    manifest), and the payload: VQ/SSVQ ``k``, ``d``, ``codebook`` ``[k, d]``, ``indices``
    (``n_vec`` ints in vector order), SSVQ ``signs`` (bools in weight order, True = negative),
    optional ``codebook_dtype`` (fp16 default; int8 needs ``codebook_scale``);
    INT8 ``q`` + ``scale``; FP16 ``weights``. ``extra`` keys are merged into the manifest top level.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not (out_dir / "manifest.json").exists() and any(out_dir.iterdir()):
        raise FileExistsError(f"{out_dir}: exists and is not a trace directory; not replacing it")
    names = [lay["name"] for lay in layers]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate layer names in trace for {model!r}")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        (tmp / "layers").mkdir()
        entries = [_write_layer(tmp, i, lay, scheme) for i, lay in enumerate(layers)]
        totals = {s: sum(e["bytes"][s] for e in entries) for s in STREAMS}
        n_weights = sum(e["weight_shape"][0] * e["weight_shape"][1] for e in entries)
        manifest = {"format": FORMAT, "version": VERSION, "model": model, "scheme": scheme,
                    "creator": creator}
        for key, value in (extra or {}).items():
            if key in manifest or key in ("layers", "totals", "checksum"):
                raise ValueError(f"extra key {key!r} collides with a manifest field")
            manifest[key] = value
        manifest["totals"] = {"weights": n_weights, "bytes": totals,
                              "bits_per_weight": 8 * sum(totals.values()) / max(n_weights, 1)}
        manifest["layers"] = entries
        manifest["checksum"] = manifest_checksum(manifest)
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old.", dir=out_dir.parent))
            os.replace(out_dir, old / "trace")
            os.replace(tmp, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def _write_layer(root: Path, i: int, lay: dict, scheme: str) -> dict:
    shape = tuple(int(v) for v in lay["weight_shape"])
    vq = scheme in ("vq", "ssvq")
    k, d = (int(lay["k"]), int(lay["d"])) if vq else (None, None)
    cb_dtype = lay.get("codebook_dtype", "fp16") if vq else None
    nbytes = stream_bytes(shape, scheme, k, d, cb_dtype or "fp16")
    arrays = _layer_arrays(lay, scheme, shape, k, d, cb_dtype)
    rel = f"layers/{i:03d}_{_safe(lay['name'])}.npz"
    np.savez(root / rel, **arrays, layer_name=np.array(lay["name"]),
             layer_shape=np.array(shape, np.int64))
    stored = {"index": "indices", "sign": "signs", "codebook": "codebook",
              "weights": "q" if scheme == "int8" else "weights",
              "scales": "scale" if scheme == "int8" else "codebook_scale"}
    held = {stream: arrays[key].nbytes if key in arrays else 0 for stream, key in stored.items()}
    if held != nbytes:  # the file must hold exactly the counted bytes
        raise RuntimeError(f"layer {lay['name']!r}: packed {held} != stream_bytes {nbytes}")
    out, inp = shape
    entry = {"name": lay["name"], "op": lay.get("op", "linear"), "weight_shape": [out, inp],
             "K": int(lay.get("K", inp)), "N": int(lay.get("N", out)),
             "groups": int(lay.get("groups", 1)), "k": k, "d": d, "codebook_dtype": cb_dtype,
             "index_bits": index_bits(k) if vq else 0, "sign_bits": 1 if scheme == "ssvq" else 0,
             "padding": (math.ceil(inp / d) * d - inp) if vq else 0, "file": rel,
             "sha256": sha256_file(root / rel), "file_bytes": (root / rel).stat().st_size,
             "bytes": nbytes}
    if lay.get("meta"):
        entry["meta"] = lay["meta"]
    return entry


class TraceLayer:
    """One layer of a trace: manifest fields plus lazily loaded, verified payload arrays."""

    def __init__(self, root: Path, scheme: str, entry: dict) -> None:
        self.root, self.scheme, self.entry = root, scheme, entry
        self.name: str = entry["name"]
        self.op: str = entry["op"]
        self.weight_shape: tuple[int, int] = tuple(entry["weight_shape"])
        self.K: int = entry["K"]
        self.N: int = entry["N"]
        self.groups: int = entry.get("groups", 1)
        self.k: int | None = entry["k"]
        self.d: int | None = entry["d"]
        self.codebook_dtype: str | None = entry["codebook_dtype"]
        self.index_bits: int = entry["index_bits"]
        self.sign_bits: int = entry["sign_bits"]
        self.padding: int = entry["padding"]
        self.bytes: dict[str, int] = dict(entry["bytes"])
        self.meta: dict = entry.get("meta", {})
        self.path: Path = root / entry["file"]
        self._arrays: dict[str, np.ndarray] | None = None

    def __repr__(self) -> str:
        return f"TraceLayer({self.name!r}, {self.scheme}, shape={self.weight_shape})"

    @property
    def n_vectors(self) -> int:
        return self.weight_shape[0] * math.ceil(self.weight_shape[1] / self.d) if self.d else 0

    def verify(self) -> None:
        """Check the file's size and sha256 against the manifest."""
        if not self.path.is_file():
            raise TraceError(f"{self.path}: layer file is missing")
        size = self.path.stat().st_size
        if size != self.entry["file_bytes"]:
            kind = "truncated" if size < self.entry["file_bytes"] else "corrupt (too long)"
            raise TraceError(f"{self.path}: {kind}: {size} bytes, manifest says "
                             f"{self.entry['file_bytes']}")
        digest = sha256_file(self.path)
        if digest != self.entry["sha256"]:
            raise TraceError(f"{self.path}: corrupt: sha256 {digest[:12]}… does not match the "
                             f"manifest's {self.entry['sha256'][:12]}…")

    def arrays(self) -> dict[str, np.ndarray]:
        """The layer's raw npz arrays, after checksum and shape verification (cached)."""
        if self._arrays is None:
            import zipfile

            self.verify()
            try:
                with np.load(self.path, allow_pickle=False) as z:
                    arrays = {key: z[key] for key in z.files}
            except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
                raise TraceError(f"{self.path}: unreadable npz: {exc}") from exc
            self._check_identity(arrays)
            self._check_shapes(arrays)
            self._arrays = arrays
        return self._arrays

    def _check_identity(self, a: dict[str, np.ndarray]) -> None:
        """The file names this layer and shape (a file swapped between layers is caught)."""
        name, shape = a.pop("layer_name", None), a.pop("layer_shape", None)
        if name is None or shape is None or name.shape != () or name.dtype.kind != "U":
            raise TraceError(f"{self.path}: lacks its layer name and shape (not written by this "
                             "trace format, or corrupt)")
        if str(name) != self.name or shape.tolist() != list(self.weight_shape):
            raise TraceError(f"{self.path}: holds layer {str(name)!r} {shape.tolist()}, but the "
                             f"manifest entry is {self.name!r} {list(self.weight_shape)} (files "
                             "swapped or renamed?)")

    def _check_shapes(self, a: dict[str, np.ndarray]) -> None:
        out, inp = self.weight_shape
        if self.scheme == "int8":
            want = {"q": ((out, inp), np.int8), "scale": ((out,), np.float16)}
        elif self.scheme == "fp16":
            want = {"weights": ((out, inp), np.float16)}
        else:
            want = {"codebook": ((self.k, self.d), CODEBOOK_DTYPES[self.codebook_dtype]),
                    "indices": ((self.bytes["index"],), np.uint8)}
            if self.scheme == "ssvq":
                want["signs"] = ((self.bytes["sign"],), np.uint8)
            if self.codebook_dtype == "int8":
                want["codebook_scale"] = ((1,), np.float16)
        for key, (shape, dtype) in want.items():
            if key not in a:
                raise TraceError(f"{self.path}: array {key!r} is missing")
            if a[key].shape != shape or a[key].dtype != dtype:
                raise TraceError(f"{self.path}: array {key!r} is {a[key].dtype}{list(a[key].shape)}"
                                 f", manifest implies {np.dtype(dtype)}{list(shape)}")

    def indices(self) -> np.ndarray:
        """Codebook index of every vector, in vector order (int64, length ``n_vectors``)."""
        idx = unpack_indices(self.arrays()["indices"], self.index_bits, self.n_vectors)
        if idx.size and idx.max() >= self.k:
            raise TraceError(f"{self.path}: index {int(idx.max())} out of range for k={self.k}")
        return idx

    def signs(self) -> np.ndarray:
        """Sign bit of every weight in weight order (True = negative), shape ``[out·in]``."""
        out, inp = self.weight_shape
        return np.unpackbits(self.arrays()["signs"], count=out * inp).astype(bool)

    def codebook(self) -> np.ndarray:
        """The codebook ``[k, d]`` as stored (fp16 or int8)."""
        return self.arrays()["codebook"]

    def q(self) -> np.ndarray:
        """INT8 weights ``[out, in]``."""
        return self.arrays()["q"]

    def scale(self) -> np.ndarray:
        """INT8 per-output-channel scales ``[out]`` (fp16)."""
        return self.arrays()["scale"]

    def dequantize(self) -> np.ndarray:
        """The reconstructed weight matrix ``[out, in]`` in float32."""
        out, inp = self.weight_shape
        a = self.arrays()
        if self.scheme == "int8":
            return a["q"].astype(np.float32) * a["scale"].astype(np.float32)[:, None]
        if self.scheme == "fp16":
            return a["weights"].astype(np.float32)
        cb = a["codebook"].astype(np.float32)
        if self.codebook_dtype == "int8":
            cb = cb * np.float32(a["codebook_scale"][0])
        w = cb[self.indices()].reshape(out, -1)[:, :inp]
        if self.scheme == "ssvq":
            w = np.where(self.signs().reshape(out, inp), -w, w)
        return np.ascontiguousarray(w)


class Trace:
    """A loaded trace directory: manifest plus its layers in manifest order."""

    def __init__(self, path: Path, manifest: dict) -> None:
        self.path = path
        self.manifest = manifest
        self.model: str = manifest["model"]
        self.scheme: str = manifest["scheme"]
        self.layers: dict[str, TraceLayer] = {
            e["name"]: TraceLayer(path, self.scheme, e) for e in manifest["layers"]}

    def __repr__(self) -> str:
        return f"Trace({str(self.path)!r}, {self.model}, {self.scheme}, {len(self.layers)} layers)"

    def total_bytes(self) -> dict[str, int]:
        """Packed bytes per stream summed over all layers."""
        return {s: sum(lay.bytes[s] for lay in self.layers.values()) for s in STREAMS}


def read_trace(path, verify: bool = False) -> Trace:
    """Open a trace directory; ``verify=True`` also checks every layer file's checksum now."""
    path = Path(path)
    mpath = path / "manifest.json"
    if not path.is_dir():
        raise TraceError(f"{path}: not a trace directory")
    if not mpath.is_file():
        raise TraceError(f"{mpath}: missing (not a trace directory)")
    check_manifest(mpath, manifest := load_manifest(mpath))
    trace = Trace(path, manifest)
    if verify:
        for layer in trace.layers.values():
            layer.arrays()
    return trace
