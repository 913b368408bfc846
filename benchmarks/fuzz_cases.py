"""Fuzz cases for ``benchmarks/fuzz.py`` and ``tests/test_fuzz.py``: each is a pure function of a
``random.Random`` returning ``(files, argv, description)`` — the files (name → bytes) to write in
a fresh folder and the ``python -m accelsim`` arguments to run there."""

from __future__ import annotations

import copy
import io
import json
import math
import random
import zipfile
from functools import lru_cache

import yaml

NASTY = [-1, 0, 1, 2, 3, 7, 8, 16, 100, 1000, 4096, 65536, 10**6, 10**9, 2**31, 2**63, 10**30,
         0.5, 1e-300, 1e300, float("nan"), float("inf"), float("-inf"), "", "x", "ws", "int8",
         "ssvq", "vq", "LPDDR4-3200", "ideal", "simple", None, True, False, [], {}, [1, 2],
         {"a": 1}, "1e12", "0x10", " ", "../../etc", "a" * 3000, [[[[1]]]], {"preset": "x"}]
PLAUSIBLE = [1, 2, 3, 4, 8, 16, 24, 32, 64, 100, 128, 256, 512, 1000, 1024, 4096, 0.25, 0.5, 1.5]
PATHS = [
    "name", "batch", "seed", "model", "model_args.seq_len", "model_args.image_size", "layers",
    "traces", "traces_missing", "onnx", "sweep", "zip", "baseline", "baseline.scheme",
    "compression", "compression.scheme", "compression.k", "compression.d",
    "compression.codebook_dtype", "arch", "arch.preset", "arch.clock_MHz", "arch.pe_array.rows",
    "arch.pe_array.cols", "arch.pe_array.dataflow", "arch.pe_array.mac",
    *(f"arch.sram.{b}.{f}" for b in ("weight", "input", "output")
      for f in ("size_KiB", "banks", "width_bits", "double_buffer")),
    "arch.sram.codebook.size_KiB", "arch.sram.codebook.banks", "arch.sram.codebook.width_bits",
    "arch.decoder.lookups_per_cycle", "arch.decoder.pipeline_depth", "arch.dram",
    "arch.dram.preset", "arch.dram.channels", "arch.dram.ranks", "arch.dram.channel_width_bits",
    "arch.dram.mapping", "arch.dram.queue_depth", "arch.dram.bandwidth_GBps",
    "arch.dram.efficiency", "arch.dram.latency_ns", "arch.energy.overrides.mac_int8_pJ",
    "arch.energy.overrides.bogus", "arch.energy.preset", "arch.sram.weight", "arch.bogus",
    *(f"layers.0.{f}" for f in ("M", "K", "N", "groups", "op", "weights", "in_elems", "stride",
                                "kernel", "name", "weight_name")),
    "layers.1", "sweep.batch", "sweep.arch.sram.weight.size_KiB", "zip.batch",
]
VALIDATE_ONLY = ["arch.dram.timing.tRCD", "arch.dram.timing.tRFC", "arch.dram.timing.bogus"]
ARCHS = ["edge-32x32", "edge-64x64", "server-128x128"]


def _layers(rng: random.Random, n: int, big: int = 256) -> list[dict]:
    out = []
    for i in range(n):
        op = rng.choice(["linear", "linear", "conv", "matmul"])
        spec = {"name": f"l{i}", "op": op, "M": rng.randint(1, big), "K": rng.randint(1, big),
                "N": rng.randint(1, big)}
        if op == "matmul":
            spec["weights"] = False
        if op == "conv" and rng.random() < 0.5:
            spec["groups"] = rng.choice([1, 2, 4])
        out.append(spec)
    return out


def base_workload(rng: random.Random, zoo: float = 0.03) -> dict:
    """A valid workload: a small `layers:` list, or (rarely) DeiT-Tiny."""
    arch = rng.choice(ARCHS)
    if rng.random() < 0.4:
        arch = {"preset": arch, "dram": {"preset": rng.choice(
            ["ideal", "LPDDR4-3200", "DDR4-3200", "HBM2"])}}
    wl = {"name": "w", "arch": arch}
    if rng.random() < zoo:
        wl["model"] = "deit_tiny"
    else:
        wl["layers"] = _layers(rng, rng.randint(1, 4))
    scheme = rng.choice(["int8", "fp16", "vq", "ssvq"])
    wl["compression"] = {"scheme": scheme}
    if scheme in ("vq", "ssvq"):
        wl["compression"].update(k=rng.choice([2, 16, 64, 256]), d=rng.choice([1, 4, 8]))
    if rng.random() < 0.3:
        wl["baseline"] = rng.choice([None, {"scheme": "int8"}, {"scheme": "fp16"}])
    if rng.random() < 0.1:
        wl["sweep"] = {"batch": [1, 2]}
    return wl


def set_path(data: dict, dotted: str, value) -> None:
    node = data
    parts = dotted.split(".")
    for part in parts[:-1]:
        key = int(part) if part.isdigit() and isinstance(node, list) else part
        if isinstance(node, list):
            if not isinstance(key, int) or key >= len(node):
                return
            if not isinstance(node[key], dict | list):
                node[key] = {}
            node = node[key]
            continue
        if not isinstance(node.get(key), dict | list):
            node[key] = {}
        node = node[key]
    last = parts[-1]
    if isinstance(node, list):
        if last.isdigit() and int(last) < len(node):
            node[int(last)] = value
        return
    node[last] = value


def _text_mutation(rng: random.Random, text: str) -> tuple[bytes, str]:
    raw = text.encode()
    kind = rng.choice(["flip", "insert", "truncate", "dup-line", "nul", "latin1", "deep", "laughs",
                       "tab", "dup-key"])
    pos = rng.randrange(len(raw) + 1)
    if kind == "flip" and raw:
        i = rng.randrange(len(raw))
        raw = raw[:i] + bytes([raw[i] ^ (1 << rng.randrange(8))]) + raw[i + 1:]
    elif kind == "insert":
        raw = raw[:pos] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 4))) + raw[pos:]
    elif kind == "truncate":
        raw = raw[:pos]
    elif kind == "dup-line":
        lines = raw.splitlines(keepends=True)
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
        raw = b"".join(lines)
    elif kind == "nul":
        raw = raw[:pos] + b"\0" + raw[pos:]
    elif kind == "latin1":
        raw = raw[:pos] + b"\xe9\xff" + raw[pos:]
    elif kind == "deep":
        n = rng.choice([50, 70, 500, 5000])
        raw += f"model_args: {{x: {'[' * n}{']' * n}}}\n".encode()
    elif kind == "laughs":
        levels = rng.randint(3, 9)
        lines = ["b0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
        lines += [f"b{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels)]
        raw += ("\n".join(lines) + f"\nsweep: {{batch: *a{levels - 1}}}\n").encode()
    elif kind == "tab":
        raw = raw[:pos] + b"\t" + raw[pos:]
    elif kind == "dup-key":
        raw += b"batch: 2\nbatch: 3\n"
    return raw, kind


def _dump(wl) -> str:
    return yaml.safe_dump(wl, sort_keys=False, width=10_000)


def _set_arg(rng: random.Random, values) -> str:
    path = rng.choice([*PATHS, *VALIDATE_ONLY, "arch..x", "", "a.b.c.d.e.f", "layers.x.M"])
    value = rng.choice(values)
    text = rng.choice([_dump(value).strip().removesuffix("...").strip(),
                       json.dumps(value) if not isinstance(value, float) or math.isfinite(value)
                       else str(value),
                       rng.choice(["[", "{a: [1,", "*x", "&a [*a]", "!!python/object:os.system",
                                   "'", "1e1000", "---", "- a\n- b"])])
    return f"{path}={text}" if rng.random() < 0.95 else path


def validate_case(rng: random.Random) -> tuple[dict, list[str], str]:
    """A mutated workload through ``validate`` (value, deletion, text-level or ``--set``)."""
    wl = base_workload(rng)
    desc = []
    for _ in range(rng.randint(0, 3)):
        path = rng.choice([*PATHS, *VALIDATE_ONLY])
        if rng.random() < 0.15:
            wl.pop(path.split(".")[0], None)
            desc.append(f"del {path.split('.')[0]}")
        else:
            value = copy.deepcopy(rng.choice(NASTY))
            set_path(wl, path, value)
            desc.append(f"{path}={value!r}"[:60])
    text = _dump(wl)
    raw = text.encode()
    if rng.random() < 0.3:
        raw, kind = _text_mutation(rng, text)
        desc.append(kind)
    sets = []
    for _ in range(rng.choice([0, 0, 1, 2, 3])):
        sets += ["--set", _set_arg(rng, NASTY)]
    return {"w.yaml": raw}, ["validate", "w.yaml", *sets], "; ".join(desc)


def run_case(rng: random.Random) -> tuple[dict, list[str], str]:
    """A workload with plausible (not necessarily valid) values, for ``validate`` then ``run``."""
    wl = base_workload(rng, zoo=0.05)
    desc = []
    for _ in range(rng.randint(0, 3)):
        path = rng.choice(PATHS)
        value = rng.choice(PLAUSIBLE + NASTY[:14])
        set_path(wl, path, value)
        desc.append(f"{path}={value!r}"[:60])
    sets = []
    if rng.random() < 0.3:
        sets = ["--set", _set_arg(rng, PLAUSIBLE)]
    return {"w.yaml": _dump(wl).encode()}, ["w.yaml", *sets], "; ".join(desc)


@lru_cache(maxsize=4)
def _trace_files(scheme: str) -> tuple[tuple[str, bytes], ...]:
    """A small valid trace (three layers, two of one shape) as (relative path, bytes)."""
    import tempfile
    from pathlib import Path

    import numpy as np

    from workloads.trace import write_trace

    rng = np.random.default_rng(0)
    layers = []
    for name, (out, inp) in (("fc1", (24, 32)), ("fc2", (24, 32)), ("fc3", (16, 24))):
        lay = {"name": name, "op": "linear", "weight_shape": (out, inp)}
        if scheme == "int8":
            lay.update(q=rng.integers(-127, 128, (out, inp)).astype(np.int8),
                       scale=rng.random(out).astype(np.float16))
        else:
            n_vec = out * math.ceil(inp / 8)
            lay.update(k=16, d=8, codebook=np.abs(rng.standard_normal((16, 8))).astype(np.float16),
                       indices=rng.integers(0, 16, n_vec), signs=rng.random(out * inp) < 0.5)
        layers.append(lay)
    with tempfile.TemporaryDirectory() as tmp:
        root = write_trace(Path(tmp) / "tr", "net", scheme, layers, creator="fuzz")
        return tuple((str(p.relative_to(root)), p.read_bytes())
                     for p in sorted(root.rglob("*")) if p.is_file())


def _trace_workload(scheme: str) -> bytes:
    comp = {"scheme": scheme} if scheme == "int8" else {"scheme": scheme, "k": 16, "d": 8}
    layers = [{"name": n, "M": 8, "K": k, "N": n_} for n, k, n_ in
              (("fc1", 32, 24), ("fc2", 32, 24), ("fc3", 24, 16))]
    layers[1]["inputs"] = ["external"]  # fc2 reads 32 features from DRAM, not fc1's 24
    return _dump({"name": "w", "arch": {"preset": "edge-32x32", "dram": {"preset": "ideal"}},
                  "layers": layers, "compression": comp, "traces": "tr"}).encode()


def _different(rng: random.Random, old, choices: list):
    """A choice that differs from ``old`` in value or type (NaN excluded: it equals nothing)."""
    return rng.choice([v for v in choices if (v != old or type(v) is not type(old))
                       and not (isinstance(v, float) and math.isnan(v))])


def _mutate_manifest(rng: random.Random, m: dict, seal: bool) -> str:
    from workloads.trace import manifest_checksum

    entries = m["layers"]
    kind = rng.choice(["field", "field", "swap", "rename", "remove", "dup", "top", "drop-key"])
    e = rng.choice(entries)
    if kind == "field":
        key = rng.choice(["name", "weight_shape", "k", "d", "codebook_dtype", "index_bits",
                          "file", "sha256", "file_bytes", "bytes"])
        e[key] = _different(rng, e[key], NASTY[:40] + [None])
        desc = f"{e['name']}.{key}={e[key]!r}"[:60]
    elif kind == "swap":
        a, b = rng.sample(entries, 2)
        keys = rng.choice([("file", "sha256", "file_bytes"), ("name",), ("file",)])
        for key in keys:
            a[key], b[key] = b[key], a[key]
        desc = f"swap {keys} {a['name']}<->{b['name']}"
    elif kind == "rename":
        e["name"] += "_x"
        desc = "rename"
    elif kind == "remove":
        entries.remove(e)
        desc = "remove entry"
    elif kind == "dup":
        entries.append(copy.deepcopy(e))
        desc = "duplicate entry"
    elif kind == "top":
        key = rng.choice(["version", "scheme", "format", "layers"])
        m[key] = _different(rng, m[key], [True, 1, 3, None, 5, "x", [], {}, "int8", "vq"])
        desc = f"{key}={m[key]!r}"
    else:
        key = rng.choice(["name", "file", "sha256", "bytes", "weight_shape"])
        e.pop(key)
        desc = f"drop {key}"
    if seal:
        m["checksum"] = manifest_checksum(m)
    return desc + (" (resealed)" if seal else "")


def _mutate_npz(rng: random.Random, files: dict, name: str) -> str:
    kind = rng.choice(["flip", "truncate", "extend", "swap-files", "delete", "rewrite"])
    data = files[name]
    if kind == "flip":
        i = rng.randrange(len(data))
        files[name] = data[:i] + bytes([data[i] ^ (1 << rng.randrange(8))]) + data[i + 1:]
    elif kind == "truncate":
        files[name] = data[:rng.randrange(len(data))]
    elif kind == "extend":
        files[name] = data + b"\0" * rng.randint(1, 64)
    elif kind == "swap-files":
        other = rng.choice([n for n in files if n.endswith(".npz") and n != name])
        files[name], files[other] = files[other], files[name]
    elif kind == "delete":
        del files[name]
    else:  # a valid npz with different content of the same size class
        buf = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as z, zipfile.ZipFile(buf, "w") as out:
            for info in z.infolist():
                payload = bytearray(z.read(info.filename))
                if payload:
                    payload[-1] ^= 1
                out.writestr(info, bytes(payload))
        files[name] = buf.getvalue()
    return f"{kind} {name}"


def _same_json(a: bytes, b: bytes) -> bool:
    try:
        return json.loads(a) == json.loads(b)
    except ValueError:
        return False


def trace_case(rng: random.Random) -> tuple[dict, list[str], str]:
    """A valid trace corrupted once (file bytes, manifest JSON, or manifest fields with and
    without a recomputed checksum), then ``validate`` of a workload that uses it."""
    scheme = rng.choice(["ssvq", "vq", "int8"]) if rng.random() < 0.5 else "ssvq"
    files = {f"tr/{name}": data for name, data in _trace_files(scheme)}
    npz = sorted(n for n in files if n.endswith(".npz"))
    where = rng.random()
    if where < 0.4:
        desc = _mutate_npz(rng, files, rng.choice(npz))
        if files == {f"tr/{n}": d for n, d in _trace_files(scheme)}:
            return trace_case(rng)  # a no-op mutation is not a corruption
    elif where < 0.55:
        raw, kind = _text_mutation(rng, files["tr/manifest.json"].decode())
        if _same_json(raw, files["tr/manifest.json"]):
            return trace_case(rng)  # e.g. a duplicated line or a tab: the same manifest
        files["tr/manifest.json"] = raw
        desc = f"manifest text {kind}"
    else:
        m = json.loads(files["tr/manifest.json"])
        desc = _mutate_manifest(rng, m, seal=rng.random() < 0.5)
        files["tr/manifest.json"] = json.dumps(m, indent=1).encode()
    if where >= 0.55 and _same_json(files["tr/manifest.json"], dict(_trace_files(scheme))[
            "manifest.json"]):
        return trace_case(rng)
    files["w.yaml"] = _trace_workload(scheme)
    return files, ["validate", "w.yaml"], f"{scheme}: {desc}"
