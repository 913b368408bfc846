"""Checks of a trace's ``manifest.json``: its checksum and the type and range of every field.

The manifest carries ``checksum``: the sha256 of its own canonical JSON (keys sorted, no spaces)
without that key. An edited, swapped or truncated manifest fails it; every layer file is pinned
by its ``sha256`` in the manifest and names its own layer and shape inside, so swapping files
between layers is caught too (:meth:`workloads.trace.TraceLayer.arrays`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path, PurePosixPath

FORMAT = "accelsim-trace"
VERSION = 2
SCHEMES = ("int8", "fp16", "vq", "ssvq")
STREAMS = ("index", "sign", "codebook", "weights", "scales")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_INT_KEYS = ("K", "N", "index_bits", "sign_bits", "padding", "file_bytes")


class TraceError(ValueError):
    """A trace that cannot be used; the message names the file and why."""


def sha256_file(path: Path) -> str:
    """sha256 hex digest of a file's bytes."""
    import hashlib  # here: a run without traces never loads OpenSSL (~3 ms)

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_manifest(mpath: Path):
    """The parsed JSON of ``manifest.json``; unreadable or corrupt JSON is a TraceError."""
    try:
        return json.loads(mpath.read_bytes())
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise TraceError(f"{mpath}: corrupt JSON: {exc}") from None
    except OSError as exc:
        raise TraceError(f"{mpath}: cannot read ({exc.strerror or exc})") from None


def manifest_checksum(manifest: dict) -> str:
    """sha256 of the manifest's canonical JSON without its ``checksum`` key."""
    import hashlib

    body = {k: v for k, v in manifest.items() if k != "checksum"}
    blob = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def is_int(value) -> bool:
    """A JSON integer (``true`` is not one)."""
    return isinstance(value, int) and not isinstance(value, bool)


def check_manifest(mpath: Path, manifest) -> None:
    """Raise :class:`TraceError` unless ``manifest`` is a well-formed, unedited manifest."""
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise TraceError(f"{mpath}: not an {FORMAT} manifest (format field missing or wrong)")
    version = manifest.get("version")
    if not is_int(version) or version != VERSION:
        hint = "; re-export it with `python -m quant compress`" if version == 1 else ""
        raise TraceError(f"{mpath}: unsupported version {version!r} (this reader supports "
                         f"{VERSION}){hint}")
    if manifest.get("checksum") != manifest_checksum(manifest):
        raise TraceError(f"{mpath}: checksum mismatch: the manifest was edited or is corrupt; "
                         "re-export the trace")
    scheme = manifest.get("scheme")
    if scheme not in SCHEMES:
        raise TraceError(f"{mpath}: unknown scheme {scheme!r}")
    if not isinstance(manifest.get("model"), str):
        raise TraceError(f"{mpath}: field 'model' is missing or not a string")
    layers = manifest.get("layers")
    if not isinstance(layers, list):
        raise TraceError(f"{mpath}: field 'layers' is missing or not a list")
    names = set()
    for i, entry in enumerate(layers):
        check_entry(mpath, i, entry, scheme)
        if entry["name"] in names:
            raise TraceError(f"{mpath}: layer {entry['name']!r} appears twice")
        names.add(entry["name"])


def _check_types(mpath: Path, i: int, e, scheme: str) -> None:
    from workloads.trace import LAYER_KEYS

    missing = [k for k in LAYER_KEYS if k not in e] if isinstance(e, dict) else list(LAYER_KEYS)
    if missing:
        raise TraceError(f"{mpath}: layer #{i} lacks {missing}")
    where = f"{mpath}: layer #{i}"
    if not isinstance(e["name"], str) or not e["name"]:
        raise TraceError(f"{where}: name must be a non-empty string")
    shape = e["weight_shape"]
    if not (isinstance(shape, list) and len(shape) == 2 and all(is_int(v) and v > 0 for v in shape)):
        raise TraceError(f"{where}: weight_shape must be two positive integers, got {shape!r}")
    bad = [k for k in _INT_KEYS if not is_int(e[k]) or e[k] < 0]
    if bad:
        raise TraceError(f"{where}: {bad[0]} must be a non-negative integer, got {e[bad[0]]!r}")
    vq = scheme in ("vq", "ssvq")
    for key in ("k", "d"):
        if (vq and not (is_int(e[key]) and e[key] > 0)) or (not vq and e[key] is not None):
            raise TraceError(f"{where}: {key} must be {'a positive integer' if vq else 'null'} "
                             f"for {scheme}, got {e[key]!r}")
    if not isinstance(e["sha256"], str) or not _HEX64.fullmatch(e["sha256"]):
        raise TraceError(f"{where}: sha256 must be 64 lowercase hex digits")
    rel = e["file"]
    if not isinstance(rel, str) or PurePosixPath(rel).is_absolute() or ".." in PurePosixPath(rel).parts:
        raise TraceError(f"{where}: file must be a path inside the trace, got {rel!r}")
    if not isinstance(e["bytes"], dict) or set(e["bytes"]) != set(STREAMS) or not all(
            is_int(v) for v in e["bytes"].values()):
        raise TraceError(f"{where}: bytes must map each of {list(STREAMS)} to an integer")


def check_entry(mpath: Path, i: int, e, scheme: str) -> None:
    """One layer entry: field types, then byte counts consistent with shape, k and d."""
    from workloads.trace import index_bits, stream_bytes

    _check_types(mpath, i, e, scheme)
    try:
        want = stream_bytes(tuple(e["weight_shape"]), scheme, e["k"], e["d"],
                            e["codebook_dtype"] or "fp16")
    except (ValueError, TypeError) as exc:
        raise TraceError(f"{mpath}: layer {e['name']!r}: {exc}") from exc
    if e["bytes"] != want:
        raise TraceError(f"{mpath}: layer {e['name']!r}: stream bytes {e['bytes']} do not match "
                         f"shape {e['weight_shape']} k={e['k']} d={e['d']} ({want})")
    if scheme in ("vq", "ssvq") and e["index_bits"] != index_bits(e["k"]):
        raise TraceError(f"{mpath}: layer {e['name']!r}: index_bits {e['index_bits']} != "
                         f"ceil(log2 {e['k']})")
