"""Golden-output cases: named workloads whose every simulated number is pinned in ``<case>.json``.

Only the public entry points are used (``accelsim.simulate`` and ``accelsim.report.rows_to_csv``)
so that the accelsim package can be restructured underneath these files. Inputs that need files
(a VQ/SSVQ trace, an ONNX model) are built deterministically into a scratch folder each time:
trace indices come from the raw 64-bit stream of ``numpy.random.PCG64(seed)``, which numpy keeps
stable across versions (the ``Generator`` distribution methods may change; the bit stream may not).

A golden record holds only numbers the simulation computes: ``summary["totals"]``,
``summary.get("baseline")``, ``summary.get("speedup_vs_baseline")`` and the exact CSV text of the
per-layer rows (main and baseline). No config, version or elapsed time.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "workloads" / "examples"
GOLDEN_DIR = Path(__file__).resolve().parent
KEYS = ("summary_totals", "baseline_totals", "speedup", "layers_csv", "baseline_layers_csv")


@dataclass(frozen=True)
class Case:
    name: str
    covers: str
    build: Callable[[Path], tuple[object, list[str]]]
    """scratch dir → (workload path or mapping, overrides) for ``accelsim.simulate``."""


# --- inputs -------------------------------------------------------------------------------------

MIXED = [  # every op kind of the canonical layer list, small enough to run in milliseconds
    {"name": "embed", "op": "embedding", "M": 16, "K": 1, "N": 64, "weights": False},
    {"name": "stem", "op": "conv", "M": 256, "K": 27, "N": 32, "stride": 2, "kernel": [3, 3],
     "in_elems": 3 * 34 * 34, "inputs": ["external"]},
    {"name": "dw", "op": "conv", "M": 256, "K": 9, "N": 1, "groups": 32, "kernel": [3, 3],
     "in_elems": 32 * 18 * 18, "inputs": ["external"]},
    {"name": "fc1", "op": "linear", "M": 64, "K": 320, "N": 200, "inputs": ["external"]},
    {"name": "scores", "op": "matmul", "M": 16, "K": 32, "N": 16, "groups": 4, "weights": False,
     "inputs": ["fc1", "fc1"]},
    {"name": "act", "op": "gelu", "M": 64, "N": 200, "inputs": ["fc1"]},
    {"name": "fc2", "op": "linear", "M": 64, "K": 200, "N": 130, "inputs": ["act"]},
]

TRACED = [  # the layers of the trace cases: a conv (K = 3*3*8) and two linears
    {"name": "conv", "op": "conv", "M": 64, "K": 72, "N": 48, "kernel": [3, 3], "in_elems": 8 * 10 * 10},
    {"name": "fc1", "op": "linear", "M": 64, "K": 200, "N": 96, "inputs": ["external"]},
    {"name": "fc2", "op": "linear", "M": 64, "K": 96, "N": 130},
]


def _arch(dram: dict, dataflow: str = "ws", **sram) -> dict:
    arch = {"preset": "edge-32x32", "pe_array": {"dataflow": dataflow}, "dram": dram}
    if sram:
        arch["sram"] = sram
    return arch


def write_vq_trace(out_dir: Path, scheme: str, k: int, d: int, seed: int, skew: bool = False) -> Path:
    """A real VQ/SSVQ trace for ``TRACED``, a pure function of its arguments.

    ``skew``: 60 % of the vectors use codewords 0..3 (a k-means-like skew), so the decoder meets
    bank conflicts that uniform indices would not give.
    """
    from workloads.trace import write_trace

    bits = np.random.PCG64(seed)
    layers = []
    for spec in TRACED:
        out, inp = spec["N"], spec["K"]
        n_vec = out * -(-inp // d)
        raw = bits.random_raw(n_vec)
        idx = (raw % np.uint64(k)).astype(np.int64)
        if skew:
            hot = (raw >> np.uint64(32)) % np.uint64(10) < np.uint64(6)
            idx[hot] = idx[hot] % 4
        cb_raw = bits.random_raw(k * d)
        codebook = ((cb_raw % np.uint64(1000)).astype(np.float64) / 1000).reshape(k, d)
        layer = {"name": spec["name"], "op": spec["op"], "weight_shape": (out, inp), "k": k, "d": d,
                 "codebook": codebook.astype(np.float16), "indices": idx}
        if scheme == "ssvq":
            layer["signs"] = (bits.random_raw(out * inp) & np.uint64(1)).astype(bool)
        layers.append(layer)
    return write_trace(out_dir, "golden", scheme, layers, creator="tests/golden")


def write_onnx(path: Path) -> Path:
    """A small CNN + MLP graph with an activation x activation MatMul, built with onnx.helper.

    The weights are zeros: the importer reads only shapes and names.
    """
    import onnx
    from onnx import TensorProto, numpy_helper
    from onnx import helper as oh

    def init(name, array):
        return numpy_helper.from_array(array, name)

    def zeros(*shape):
        return np.zeros(shape, np.float32)

    inits = [init("stem.weight", zeros(16, 3, 3, 3)), init("dw.weight", zeros(16, 1, 3, 3)),
             init("pw.weight", zeros(32, 16, 1, 1)), init("fc1.weight", zeros(64, 32)),
             init("fc2.weight", zeros(32, 64)), init("head.weight", zeros(10, 512)),
             init("shape512", np.array([-1, 512], np.int64)), init("shape64", np.array([-1, 64], np.int64))]
    nodes = [  # x [2, 3, 16, 16]
        oh.make_node("Conv", ["x", "stem.weight"], ["c1"], name="/stem/Conv", strides=[2, 2],
                     pads=[1, 1, 1, 1]),  # [2, 16, 8, 8]
        oh.make_node("Relu", ["c1"], ["r1"], name="/act/Relu"),
        oh.make_node("Conv", ["r1", "dw.weight"], ["c2"], name="/dw/Conv", group=16, pads=[1, 1, 1, 1]),
        oh.make_node("Conv", ["c2", "pw.weight"], ["c3"], name="/pw/Conv"),  # [2, 32, 8, 8]
        oh.make_node("Transpose", ["c3"], ["tok"], name="/tok/Transpose", perm=[0, 2, 3, 1]),
        oh.make_node("Transpose", ["fc1.weight"], ["fc1.weight_t"], name="/fc1/Transpose", perm=[1, 0]),
        oh.make_node("MatMul", ["tok", "fc1.weight_t"], ["h1"], name="/fc1/MatMul"),  # [2, 8, 8, 64]
        oh.make_node("Reshape", ["h1", "shape64"], ["h1_2d"], name="/h1/Reshape"),  # [128, 64]
        oh.make_node("Gemm", ["h1_2d", "fc2.weight"], ["h2"], name="/fc2/Gemm", transB=1),  # [128, 32]
        oh.make_node("Transpose", ["h2"], ["h2_t"], name="/mix/Transpose", perm=[1, 0]),
        oh.make_node("MatMul", ["h2", "h2_t"], ["gram"], name="/mix/MatMul"),  # [128, 128], no weights
        oh.make_node("Reshape", ["c3", "shape512"], ["flat"], name="/flat/Reshape"),  # [8, 512]
        oh.make_node("Gemm", ["flat", "head.weight"], ["y"], name="/head/Gemm", transB=1),  # [8, 10]
    ]
    f = TensorProto.FLOAT
    graph = oh.make_graph(nodes, "golden", [oh.make_tensor_value_info("x", f, [2, 3, 16, 16])],
                          [oh.make_tensor_value_info("y", f, [8, 10]),
                           oh.make_tensor_value_info("gram", f, [128, 128])],
                          initializer=inits)
    model = oh.make_model(graph, opset_imports=[oh.make_opsetid("", 17)], producer_name="golden")
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


# --- the cases ----------------------------------------------------------------------------------

def _example(file: str, *overrides: str) -> Callable[[Path], tuple[object, list[str]]]:
    return lambda scratch: (str(EXAMPLES / file), list(overrides))


def _dict(workload: dict) -> Callable[[Path], tuple[object, list[str]]]:
    return lambda scratch: (workload, [])


def _vq_trace(scratch: Path) -> tuple[dict, list[str]]:
    trace = write_vq_trace(scratch / "vq_trace", "vq", k=64, d=4, seed=11)
    return {"name": "vq-trace", "arch": _arch({"preset": "LPDDR4-3200"}), "layers": TRACED,
            "compression": {"scheme": "vq", "k": 64, "d": 4}, "traces": str(trace),
            "baseline": {"scheme": "int8"}}, []


def _ssvq_trace(scratch: Path) -> tuple[dict, list[str]]:
    trace = write_vq_trace(scratch / "ssvq_trace", "ssvq", k=16, d=8, seed=5, skew=True)
    arch = _arch({"preset": "LPDDR4-3200"}, codebook={"banks": 4})
    arch["decoder"] = {"lookups_per_cycle": 16, "pipeline_depth": 3}
    # the baseline is the same scheme without the trace: seeded uniform synthetic indices
    return {"name": "ssvq-trace-skewed", "arch": arch, "layers": TRACED,
            "compression": {"scheme": "ssvq", "k": 16, "d": 8}, "traces": str(trace),
            "baseline": {"scheme": "ssvq", "k": 16, "d": 8}}, []


def _onnx(scratch: Path) -> tuple[dict, list[str]]:
    path = write_onnx(scratch / "golden.onnx")
    return {"name": "onnx-import", "arch": _arch({"preset": "LPDDR4X-4266"}), "onnx": str(path), "batch": 2,
            "compression": {"scheme": "ssvq", "k": 32, "d": 4}, "baseline": {"scheme": "int8"}}, []


CASES: list[Case] = [
    # every bundled example, as shipped
    Case("example_deit_tiny_int8", "examples/deit_tiny_int8.yaml: zoo DeiT-Tiny, INT8, edge arch file",
         _example("deit_tiny_int8.yaml")),
    Case("example_deit_tiny_ssvq", "examples/deit_tiny_ssvq.yaml: SSVQ k16 d8 vs INT8, memory-bound edge",
         _example("deit_tiny_ssvq.yaml")),
    Case("example_deit_tiny_vq", "examples/deit_tiny_vq.yaml: VQ k64 d4 vs INT8, memory-bound edge",
         _example("deit_tiny_vq.yaml")),
    Case("example_deit_tiny_sweep_base", "examples/deit_tiny_sweep.yaml run as a plain workload "
         "(its base point; the sweep/zip keys are not expanded by simulate)",
         _example("deit_tiny_sweep.yaml")),
    Case("example_gemm_fc1", "examples/gemm_fc1.yaml: one GEMM, ideal DRAM (SCALE-Sim cycles)",
         _example("gemm_fc1.yaml")),
    Case("example_llama2_7b_decode_int8", "examples/llama2_7b_decode_int8.yaml: zoo LLaMA-2-7B decode, "
         "os dataflow, INT8", _example("llama2_7b_decode_int8.yaml")),
    Case("example_llama2_7b_decode_ssvq", "examples/llama2_7b_decode_ssvq.yaml: SSVQ k256 d8 vs INT8",
         _example("llama2_7b_decode_ssvq.yaml")),
    Case("example_deit_tiny_vq_overrides", "deit_tiny_vq.yaml through the overrides list: x16 DRAM "
         "channel, int8 codebooks, seed 3",
         _example("deit_tiny_vq.yaml", "arch.dram.channel_width_bits=16",
                  "compression.codebook_dtype=int8", "seed=3")),
    # hand-written workloads
    Case("dataflow_ws_lpddr4", "ws dataflow, every op kind, bank-level LPDDR4-3200; INT8 vs FP16 baseline",
         _dict({"name": "ws", "arch": _arch({"preset": "LPDDR4-3200"}, "ws"), "layers": MIXED,
                "compression": {"scheme": "int8"}, "baseline": {"scheme": "fp16"}})),
    Case("dataflow_os_simple", "os dataflow, every op kind, `simple` DRAM (bandwidth x efficiency + "
         "latency); synthetic SSVQ vs INT8",
         _dict({"name": "os", "arch": _arch({"preset": "simple", "bandwidth_GBps": 4.0,
                                             "efficiency": 0.8, "latency_ns": 120.0}, "os"),
                "layers": MIXED, "compression": {"scheme": "ssvq", "k": 16, "d": 8},
                "baseline": {"scheme": "int8"}})),
    Case("dataflow_is_hbm2", "is dataflow, every op kind, HBM2-2000; synthetic VQ, no baseline",
         _dict({"name": "is", "arch": _arch({"preset": "HBM2-2000", "channels": 2}, "is"),
                "layers": MIXED, "compression": {"scheme": "vq", "k": 256, "d": 8}, "baseline": None})),
    Case("vq_trace", "VQ k64 d4 with a real (seeded) trace on a conv + 2 linears; INT8 baseline",
         _vq_trace),
    Case("ssvq_trace_skewed", "SSVQ k16 d8 with a real skewed trace, 4 codebook banks (decoder "
         "conflicts); baseline: the same scheme with synthetic indices", _ssvq_trace),
    Case("vq_codebook_multipass", "VQ k1024 d8 (16 KiB codebook) with a 4 KiB codebook buffer: 4 passes",
         _dict({"name": "multipass", "arch": _arch({"preset": "LPDDR4-3200"}, codebook={"size_KiB": 4}),
                "layers": MIXED[3:], "compression": {"scheme": "vq", "k": 1024, "d": 8},
                "baseline": {"scheme": "int8"}})),
    Case("single_buffered_weight", "weight buffer double_buffer: false (small, so weights tile), "
         "3 layers; INT8 vs SSVQ baseline",
         _dict({"name": "single-buffer",
                "arch": _arch({"preset": "LPDDR4-3200"},
                              weight={"size_KiB": 16, "double_buffer": False}),
                "layers": MIXED[1:4], "compression": {"scheme": "int8"},
                "baseline": {"scheme": "ssvq", "k": 16, "d": 8}})),
    Case("dram_ddr4_mapping_timing", "bank-level DDR4-2400 with 2 ranks, a non-default address mapping, "
         "timing overrides and a short queue; FP16 vs INT8",
         _dict({"name": "ddr4", "arch": _arch({"preset": "DDR4-2400", "ranks": 2, "mapping": "RoChRaBaBgCo",
                                               "queue_depth": 8, "timing": {"tRCD": 20, "tFAW": 40}}),
                "layers": MIXED, "compression": {"scheme": "fp16"}, "baseline": {"scheme": "int8"}})),
    Case("onnx_import", "an ONNX file built with onnx.helper (Conv, depthwise Conv, MatMul, Gemm, "
         "activation MatMul) on LPDDR4X-4266; SSVQ k32 d4 vs INT8", _onnx),
]
CASE_NAMES = [c.name for c in CASES]
assert len(set(CASE_NAMES)) == len(CASE_NAMES), "duplicate case names"


# --- records ------------------------------------------------------------------------------------

def golden_path(name: str) -> Path:
    return GOLDEN_DIR / f"{name}.json"


def _plain(obj):
    """numpy scalars → Python, tuples → lists (what json.dumps writes is then exact: floats as repr)."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if type(obj) not in (bool, int, float, str) and hasattr(obj, "item"):
        return obj.item()
    return obj


def compute(case: Case, scratch: Path) -> dict:
    """Simulate ``case`` and return its golden record (after a JSON round trip)."""
    import accelsim
    from accelsim.report import rows_to_csv

    scratch.mkdir(parents=True, exist_ok=True)
    workload, overrides = case.build(scratch)
    res = accelsim.simulate(workload, overrides)
    summary = res.summary
    record = {
        "summary_totals": summary["totals"],
        "baseline_totals": summary.get("baseline"),
        "speedup": summary.get("speedup_vs_baseline"),
        "layers_csv": rows_to_csv(res.rows),
        "baseline_layers_csv": None if res.baseline_rows is None else rows_to_csv(res.baseline_rows),
    }
    return json.loads(dumps(record))


def dumps(record: dict) -> str:
    """The golden file text. Non-finite floats are written as NaN / Infinity (Python reads them back)."""
    return json.dumps(_plain(record), indent=1) + "\n"


# --- comparison ---------------------------------------------------------------------------------

def _token(value) -> str:
    """Exact identity of a JSON scalar: 1 != 1.0, NaN == NaN, every float digit counts."""
    return json.dumps(value)


def _flatten(obj, prefix: str = "") -> dict[str, str]:
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out or {prefix: "{}"}
    return {prefix: _token(obj)}


def _diff_values(what: str, old, new) -> str | None:
    a, b = _flatten(old), _flatten(new)
    for key in list(a) + [k for k in b if k not in a]:
        if a.get(key) != b.get(key):
            where = f"{what} [{key}]" if key else what
            return f"{where}: golden {a.get(key, '<missing>')} != new {b.get(key, '<missing>')}"
    return None


def _diff_csv(what: str, old: str | None, new: str | None) -> str | None:
    if old == new:
        return None
    if old is None or new is None:
        state = {True: "none", False: "present"}
        return f"{what}: golden {state[old is None]} != new {state[new is None]}"
    a, b = list(csv.reader(io.StringIO(old))), list(csv.reader(io.StringIO(new)))
    head_a, head_b = (a[0] if a else []), (b[0] if b else [])
    if head_a != head_b:
        for i, (x, y) in enumerate(zip(head_a, head_b, strict=False)):
            if x != y:
                return f"{what}: header column {i}: golden {x!r} != new {y!r}"
        gone, added = [c for c in head_a if c not in head_b], [c for c in head_b if c not in head_a]
        return f"{what}: header differs: columns only in golden {gone}, only in new {added}"
    cells = sum(x != y for ra, rb in zip(a[1:], b[1:], strict=False) for x, y in zip(ra, rb, strict=False))
    name_col = head_a.index("layer") if "layer" in head_a else 0
    for i, (ra, rb) in enumerate(zip(a[1:], b[1:], strict=False)):
        if ra != rb:
            layer = ra[name_col] if len(ra) > name_col else "?"
            for col, x, y in zip(head_a, ra, rb, strict=False):
                if x != y:
                    return (f"{what}: row {i} (layer {layer!r}), column {col!r}: golden {x!r} != new {y!r} "
                            f"({cells} differing cells in all)")
            return f"{what}: row {i} (layer {layer!r}): golden has {len(ra)} fields, new {len(rb)}"
    if len(a) != len(b):
        return f"{what}: golden has {len(a) - 1} layer rows, new {len(b) - 1}"
    return f"{what}: same cells but different text (quoting or line endings)"


def compare(name: str, golden: dict, new: dict) -> str | None:
    """None when ``new`` equals ``golden`` exactly, else one line per differing part (main CSV,
    baseline CSV, totals, baseline totals, speedup) naming its first difference."""
    if sorted(golden) != sorted(KEYS):
        return f"golden case {name!r}: golden file keys {sorted(golden)} != {sorted(KEYS)}"
    problems = [
        _diff_csv("layers_csv", golden["layers_csv"], new["layers_csv"]),
        _diff_csv("baseline_layers_csv", golden["baseline_layers_csv"], new["baseline_layers_csv"]),
        _diff_values("summary_totals", golden["summary_totals"], new["summary_totals"]),
        _diff_values("baseline_totals", golden["baseline_totals"], new["baseline_totals"]),
        _diff_values("speedup", golden["speedup"], new["speedup"]),
    ]
    problems = [p for p in problems if p]
    if not problems:
        return None
    return f"golden case {name!r} differs:\n  " + "\n  ".join(problems)
