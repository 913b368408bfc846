"""Speedup of SSVQ and VQ over INT8 vs codebook buffer size and DRAM type, at matching total bits.

    python experiments/speedup_sweeps.py [--out DIR] [--quick] [--jobs N] [--resume]

Pairs with matching total bits per weight (index + sign + codebook, within
``quant.accounting.MATCH_TOL`` on every model): SSVQ k=16 d=8 vs VQ k=64 d=4 (~1.5 bits) and
SSVQ k=64 d=4 vs VQ k=32 d=2 (~2.5 bits), for DeiT-Tiny, DeiT-Small and MiniLM-L6 on the memory-bound
edge NPU (``workloads/examples/arch/edge_membound.yaml``: 64×64 int8 at 1 GHz), sweeping the
codebook buffer (0.25–16 KiB) and the DRAM (LPDDR4-3200 x8 / x16, LPDDR4X-4266, LPDDR5-6400,
HBM2-2000 with its 8 channels). The INT8 baseline runs on the same arch in every point.

Indices: traces from ``python -m quant compress`` (through ``speedup_vs_int8.compress``) where
k-means takes well under 30 s (k <= ``REAL_TRACE_MAX_K``: every scheme here); DeiT weights are
seeded random (the zoo has shapes only), MiniLM's are real. A larger k would get **synthetic
indices** (``uniform_trace``: same layers and byte counts, uniform indices, random codebook),
a trace rather than no ``traces:`` so that the layer coverage stays equal.

Per model and bit budget, ``<model>/<1.5bit|2.5bit>/workload.yaml`` (a ``zip:`` over the two
schemes with their traces, a ``sweep:`` over DRAM × codebook size: 70 points) is run with
``accelsim.sweep.run_sweep`` into ``.../sweep/`` and plotted by ``python -m accelsim plot``'s entry
point (``--kind speedup --kind heatmap``, in ``.../sweep/plots/``). Then ``speedup_sweeps.md``
/ ``.json`` (tables) and ``speedup_sweeps.png`` / ``.svg`` (summary figure: speedup vs codebook
buffer, one panel per model and bit budget, colour = DRAM, solid = SSVQ, dashed = VQ) are
written to ``experiments/out/speedup_sweeps/``. ``--quick``: DeiT-Tiny, 3 buffer sizes, 2 DRAMs.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import functools
import io
import json
import math
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import yaml

from accelsim.plots.common import save

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from experiments.speedup_vs_int8 import EXAMPLES, compress  # noqa: E402

OUT = ROOT / "experiments" / "out" / "speedup_sweeps"
ARCH = EXAMPLES / "arch" / "edge_membound.yaml"
MODELS = ("deit_tiny", "deit_small", "minilm_l6")
SCHEMES = {  # label -> (scheme, k, d)
    "ssvq-k16-d8": ("ssvq", 16, 8),
    "vq-k64-d4": ("vq", 64, 4),
    "ssvq-k64-d4": ("ssvq", 64, 4),
    "vq-k32-d2": ("vq", 32, 2),
}
PAIRS = (("ssvq-k16-d8", "vq-k64-d4"), ("ssvq-k64-d4", "vq-k32-d2"))
"""Matching total bits per weight (index + sign + codebook): one sweep per model and pair, so
that the sweep's own line plot has 2 schemes × 5 DRAMs = 10 lines (``accelsim plot`` draws at most 12)."""
CODEBOOK_KIB = (0.25, 0.5, 1, 2, 4, 8, 16)
DRAMS = {  # label -> arch.dram; the value replaces the arch's whole dram mapping, so the rest
    # (channels, width) is the preset's: one x16 channel for LPDDR, 8 x128 channels for HBM2
    "LPDDR4-3200 x8": {"preset": "LPDDR4-3200", "channel_width_bits": 8},  # 3.2 GB/s peak
    "LPDDR4-3200 x16": {"preset": "LPDDR4-3200"},  # 6.4 GB/s
    "LPDDR4X-4266 x16": {"preset": "LPDDR4X-4266"},  # 8.5 GB/s
    "LPDDR5-6400 x16": {"preset": "LPDDR5-6400"},  # 12.8 GB/s
    "HBM2-2000 8ch": {"preset": "HBM2-2000"},  # 256 GB/s
}
QUICK = {"models": ("deit_tiny",), "codebook_KiB": (0.25, 1, 16),
         "drams": ("LPDDR4-3200 x8", "HBM2-2000 8ch")}
REAL_TRACE_MAX_K = 256
"""k-means (``quant compress``) for k <= 64 took 2.5–7 s per model on 2 shared cores; VQ k=1024
d=4 took 80 s for DeiT-Tiny (28 s with only 2 iterations), longer for the larger models."""
CB_AXIS, DRAM_AXIS = "arch.sram.codebook.size_KiB", "arch.dram"


@functools.cache
def total_bits(model: str, label: str) -> float:
    """Index + sign + codebook bits per weight of a scheme on a zoo model's compressed layers."""
    from quant.accounting import model_bits
    from quant.sources import zoo_layers

    return model_bits(zoo_layers(model), *SCHEMES[label])["bits_per_weight"]


def check_equal_bits(models=MODELS, pairs=PAIRS) -> dict[str, dict[str, float]]:
    """Total bits per weight of every scheme per model; raises if a pair differs by more than
    ``quant.accounting.MATCH_TOL``."""
    from quant.accounting import check_matching_bits, compressed_layers
    from quant.sources import zoo_layers

    for m in models:
        shapes = [lay.weight_shape for lay in compressed_layers(zoo_layers(m))]
        check_matching_bits(shapes, [[SCHEMES[lab] for lab in pair] for pair in pairs])
    return {m: {lab: round(total_bits(m, lab), 4) for lab in SCHEMES} for m in models}


def uniform_trace(model: str, scheme: str, k: int, d: int, out: Path, seed: int = 0) -> Path:
    """A trace with the layers ``quant compress`` would write, uniform indices, random codebook.

    Same layer set, shapes and packed byte counts as a real trace (the timing reads only the
    index stream and the byte counts); reused when it exists.
    """
    from quant.accounting import compressed_layers
    from quant.sources import zoo_layers
    from workloads.trace import write_trace

    if (out / "manifest.json").exists():
        return out
    rng = np.random.default_rng(seed)
    layers = []
    for lay in compressed_layers(zoo_layers(model)):
        n_out, n_in = lay.weight_shape
        codebook = (0.05 * rng.standard_normal((k, d))).astype(np.float16)
        entry = {"name": lay.weight_name, "op": lay.op, "weight_shape": (n_out, n_in),
                 "K": lay.K, "N": lay.N, "groups": lay.groups, "k": k, "d": d,
                 "codebook": np.abs(codebook) if scheme == "ssvq" else codebook,
                 "indices": rng.integers(0, k, n_out * math.ceil(n_in / d))}
        if scheme == "ssvq":
            entry["signs"] = rng.random(n_out * n_in) < 0.5
        layers.append(entry)
    return write_trace(out, model, scheme, layers, creator="experiments/speedup_sweeps.py",
                       extra={"synthetic_indices": "uniform", "seed": seed,
                              "weights_source": "none: uniform indices, random codebook"})


def trace_kind(k: int) -> str:
    """``trace`` (k-means indices from quant compress) or ``uniform`` (synthetic indices)."""
    return "trace" if k <= REAL_TRACE_MAX_K else "uniform"


def trace_dir(label: str) -> str:
    """A trace's directory name: the scheme label, ``-uniform`` for synthetic indices."""
    return label + ("-uniform" if trace_kind(SCHEMES[label][1]) == "uniform" else "")


def make_traces(models, out: Path, jobs: int) -> dict[tuple[str, str], dict]:
    """Every (model, scheme label) trace in ``out/<model>/traces/``, k-means ones ``jobs`` at a
    time; path, kind and timing of each."""
    def one(model: str, label: str) -> dict:
        scheme, k, d = SCHEMES[label]
        kind = trace_kind(k)
        path = out / model / "traces" / trace_dir(label)
        existed = (path / "manifest.json").exists()
        t0 = time.perf_counter()
        if kind == "trace":
            compress(model, scheme, k, d, path)
        else:
            uniform_trace(model, scheme, k, d, path)
        manifest = json.loads((path / "manifest.json").read_text())
        return {"path": path, "indices": kind, "reused": existed,
                "seconds": round(time.perf_counter() - t0, 2),
                "kmeans_seconds": manifest.get("kmeans_seconds"),
                "weights_source": manifest.get("weights_source")}

    todo = [(m, lab) for m in models for lab in SCHEMES]
    with ThreadPoolExecutor(max(1, jobs)) as pool:
        done = list(pool.map(lambda ml: one(*ml), todo))
    return dict(zip(todo, done, strict=True))


def pair_name(pair) -> str:
    """``1.5bit`` for a pair of schemes with ~1.5 total bits per weight (its directory)."""
    from quant.accounting import nominal_bits_per_weight

    return f"{nominal_bits_per_weight(*SCHEMES[pair[0]]):g}bit"


def workload(model: str, pair, traces: dict, wl_dir: Path, codebook_kib, drams) -> dict:
    """The sweep workload of one model and pair: zip over the two schemes (with their traces),
    DRAM × codebook buffer size. Trace paths are relative to ``wl_dir`` (the YAML's folder)."""
    labels = list(pair)
    rel = [os.path.relpath(traces[(model, lab)]["path"], wl_dir) for lab in labels]
    return {
        "name": f"{model}-{pair_name(pair)}",
        "arch": str(ARCH),
        "model": model, "batch": 1,
        "traces_missing": "int8",  # the quantizer keeps the patch embedding and head at 8 bits
        "compression": {"scheme": "int8"},  # replaced by every point (codebooks fp16)
        "baseline": {"scheme": "int8"},
        # one mapping per scheme (not compression.scheme/k/d) so that every zipped column is
        # one-to-one with the axis and `accelsim plot` labels it as one series
        "zip": {"compression": [dict(zip(("scheme", "k", "d"), SCHEMES[lab], strict=True))
                                for lab in labels],
                "traces": rel},
        "sweep": {DRAM_AXIS: [DRAMS[name] for name in drams], CB_AXIS: list(codebook_kib)},
    }


def dram_label(value) -> str:
    """The DRAMS label of an ``arch.dram`` value (a mapping, or its JSON from sweep.csv)."""
    value = json.loads(value) if isinstance(value, str) else value
    for name, spec in DRAMS.items():
        if spec == value:
            return name
    return json.dumps(value, sort_keys=True)


def read_points(csv_path: Path, model: str) -> list[dict]:
    """The rows of one sweep.csv as plain dicts with labelled scheme and DRAM."""
    rows = []
    with open(csv_path, newline="") as f:
        for r in csv.DictReader(f):
            comp = json.loads(r["compression"])
            label = f"{comp['scheme']}-k{comp['k']}-d{comp['d']}"
            ok = r["status"] == "ok"
            rows.append({
                "model": model, "scheme": label, "dram": dram_label(r[DRAM_AXIS]),
                "codebook_KiB": float(r[CB_AXIS]), "status": r["status"],
                "message": r["message"],
                "speedup": float(r["speedup_vs_baseline"]) if ok else None,
                "time_ms": float(r["time_ms"]) if ok else None,
                "int8_time_ms": float(r["baseline_time_ms"]) if ok else None,
                "bits_fetched": float(r["weight_bits_fetched_per_weight"]) if ok else None,
                "stall_codebook": float(r["stall_codebook"]) if ok else None,
                "peak_GBps": float(r["peak_bandwidth_GBps"]) if ok else None,
            })
    return rows


def lookup(points: list[dict]) -> dict[tuple, dict]:
    return {(p["model"], p["scheme"], p["dram"], p["codebook_KiB"]): p for p in points}


def _cell(p: dict | None) -> str:
    if p is None:
        return "–"
    return f"{p['speedup']:.2f}×" if p["status"] == "ok" else p["status"]


def _speedup_table(points, models, indices: dict, headers: list[str], keys) -> str:
    """A row per model × scheme, a column per header; ``keys(model, label)`` gives the cells'
    lookup keys in column order."""
    at = lookup(points)
    lines = ["| model | scheme | total bits/w | indices | " + " | ".join(headers) + " |",
             "|---|---|---:|---|" + "---:|" * len(headers)]
    for m in models:
        for lab in SCHEMES:
            cells = [_cell(at.get(key)) for key in keys(m, lab)]
            lines.append(f"| {m} | {lab} | {total_bits(m, lab):.3f} | {indices[(m, lab)]} | "
                         + " | ".join(cells) + " |")
    return "\n".join(lines)


def table_by_dram(points, models, drams, cb_kib: float, indices: dict) -> str:
    """Speedup at one codebook buffer size: a row per model × scheme, a column per DRAM."""
    return _speedup_table(points, models, indices, list(drams),
                          lambda m, lab: [(m, lab, dr, cb_kib) for dr in drams])


def table_by_codebook(points, models, dram: str, cb_kibs, indices: dict) -> str:
    """Speedup on one DRAM: a row per model × scheme, a column per codebook buffer size."""
    return _speedup_table(points, models, indices, [f"{c:g} KiB" for c in cb_kibs],
                          lambda m, lab: [(m, lab, dram, c) for c in cb_kibs])


def pair_ratios(points, models, drams, cb_kib: float) -> list[dict]:
    """SSVQ speedup / VQ speedup at matching total bits, per model, bit budget and DRAM."""
    at = lookup(points)
    out = []
    for m in models:
        for a, b in PAIRS:
            for dr in drams:
                pa, pb = at.get((m, a, dr, cb_kib)), at.get((m, b, dr, cb_kib))
                if pa and pb and pa["status"] == pb["status"] == "ok":
                    out.append({"model": m, "ssvq": a, "vq": b, "dram": dr,
                                "ssvq_over_vq": pa["speedup"] / pb["speedup"]})
    return out


def plot(points, models, drams, base: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    at = lookup(points)
    cbs = sorted({p["codebook_KiB"] for p in points})
    height = 3.2 * len(models) + 1.0
    fig, axes = plt.subplots(len(models), len(PAIRS), figsize=(12, height), sharex=True,
                             sharey=True, squeeze=False)
    colours = {dr: plt.cm.viridis(0.85 * i / max(1, len(drams) - 1)) for i, dr in enumerate(drams)}
    for row, m in enumerate(models):
        for col, pair in enumerate(PAIRS):
            ax = axes[row][col]
            for lab, ls in zip(pair, ("-", "--"), strict=True):
                for dr in drams:
                    ys = [at[(m, lab, dr, c)]["speedup"] if (m, lab, dr, c) in at
                          and at[(m, lab, dr, c)]["status"] == "ok" else np.nan for c in cbs]
                    ax.plot(cbs, ys, ls=ls, marker="o" if ls == "-" else "s", ms=3.5,
                            color=colours[dr], lw=1.5)
            ax.axhline(1.0, color="grey", lw=0.8)
            ax.set_xscale("log", base=2)
            ax.set_xticks(cbs, [f"{c:g}" for c in cbs])
            ax.minorticks_off()
            ax.grid(alpha=0.3)
            ax.set_title(f"{m}: {pair[0]} ({total_bits(m, pair[0]):.2f} b/w) vs {pair[1]} "
                         f"({total_bits(m, pair[1]):.2f})", fontsize=10)
            if row == len(models) - 1:
                ax.set_xlabel("codebook buffer size (KiB, log₂ scale)")
            if col == 0:
                ax.set_ylabel("speedup over INT8 (×)")
    handles = [plt.Line2D([], [], color=colours[dr], lw=2, label=dr) for dr in drams]
    handles += [plt.Line2D([], [], color="k", ls="-", marker="o", label="SSVQ"),
                plt.Line2D([], [], color="k", ls="--", marker="s", label="VQ (same total bits)")]
    fig.suptitle("Edge NPU (64×64 int8, 1 GHz), batch 1: speedup of SSVQ / VQ over INT8 "
                 "(same arch and DRAM)", y=1 - 0.1 / height, va="top", fontsize=11)
    fig.legend(handles=handles, loc="upper center", ncol=len(handles), fontsize=9, frameon=False,
               bbox_to_anchor=(0.5, 1 - 0.4 / height))
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.75 / height))
    paths = save(fig, base.parent, base.stem)
    plt.close(fig)
    return paths


def machinery_plots(sweep_dir: Path) -> list[str]:
    """``python -m accelsim plot DIR --kind speedup --kind heatmap --x CB --y DRAM``, run
    in-process through the CLI's entry point (saves a Python start per plot)."""
    from accelsim.cli.plot import main as plot_main

    with contextlib.redirect_stdout(io.StringIO()):
        plot_main([str(sweep_dir), "--kind", "speedup", "--kind", "heatmap", "--x", CB_AXIS,
                   "--y", DRAM_AXIS])
    return sorted(p.name for p in (sweep_dir / "plots").glob("*.png"))


def main(argv=None) -> int:
    from accelsim.sweep import run_sweep

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--quick", action="store_true", help="DeiT-Tiny, 3 buffer sizes, 2 DRAMs")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--resume", action="store_true",
                    help="keep finished sweep points (default: start the sweeps over)")
    args = ap.parse_args(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    models = QUICK["models"] if args.quick else MODELS
    cb_kib = QUICK["codebook_KiB"] if args.quick else CODEBOOK_KIB
    drams = QUICK["drams"] if args.quick else tuple(DRAMS)
    t0 = time.perf_counter()
    bits = check_equal_bits(models)
    print("total bits/weight (index + sign + codebook): " + "; ".join(
        f"{m}: " + ", ".join(f"{lab} {b:.3f}" for lab, b in per.items())
        for m, per in bits.items()), flush=True)
    traces = make_traces(models, out, args.jobs)
    for (m, lab), t in traces.items():
        took = "reused" if t["reused"] else f"{t['seconds']} s"
        print(f"  {m} {lab}: {t['indices']} indices ({took})", flush=True)
    t_traces = time.perf_counter() - t0
    points, sweeps = [], {}
    for m in models:
        for pair in PAIRS:
            wl_dir = out / m / pair_name(pair)
            wl_dir.mkdir(parents=True, exist_ok=True)
            wl_path = wl_dir / "workload.yaml"
            wl_path.write_text("# written by experiments/speedup_sweeps.py\n" + yaml.safe_dump(
                workload(m, pair, traces, wl_dir, cb_kib, drams), sort_keys=False, width=100))
            res = run_sweep(wl_path, wl_dir / "sweep", jobs=args.jobs, resume=args.resume,
                            overwrite=not args.resume)
            print(f"{m} {pair_name(pair)}: {res.points} points {res.counts} in "
                  f"{res.wall_s:.1f} s", flush=True)
            sweeps[f"{m}/{pair_name(pair)}"] = {
                "points": res.points, "counts": res.counts, "wall_s": round(res.wall_s, 2),
                "plots": machinery_plots(wl_dir / "sweep")}
            points += read_points(res.csv_path, m)
    indices = {key: t["indices"] for key, t in traces.items()}
    ref_cb = max(cb_kib)
    md = [
        "# Speedup of SSVQ / VQ over INT8 on the memory-bound edge NPU (batch 1)",
        "",
        f"Arch: `{ARCH.relative_to(ROOT)}` (64×64 int8 array at 1 GHz) with the DRAM and "
        "codebook buffer of each column. Indices: `trace` = k-means indices from "
        "`quant compress` (DeiT: seeded random weights; MiniLM: real weights); `uniform` = "
        "synthetic uniform indices in a trace with the same layers (k-means too slow).",
        "",
        f"## Speedup vs DRAM (codebook buffer {ref_cb:g} KiB)",
        "",
        table_by_dram(points, models, drams, ref_cb, indices),
        "",
        f"## Speedup vs codebook buffer ({drams[0]})",
        "",
        table_by_codebook(points, models, drams[0], cb_kib, indices),
        "",
    ]
    ratios = pair_ratios(points, models, drams, ref_cb)
    (out / "speedup_sweeps.md").write_text("\n".join(md))
    (out / "speedup_sweeps.json").write_text(json.dumps({
        "arch": str(ARCH.relative_to(ROOT)), "bits_per_weight": bits, "pairs": PAIRS,
        "drams": {d: DRAMS[d] for d in drams}, "codebook_KiB": cb_kib,
        "traces": {f"{m}/{lab}": {**t, "path": str(t["path"].relative_to(out))}
                   for (m, lab), t in traces.items()},
        "sweeps": sweeps, "ssvq_over_vq": ratios, "points": points,
        "seconds": {"traces": round(t_traces, 1), "total": round(time.perf_counter() - t0, 1)},
    }, indent=1) + "\n")
    figs = plot(points, models, drams, out / "speedup_sweeps")
    print("\n".join(md[6:]))
    print(f"wrote {out}/: speedup_sweeps.md, speedup_sweeps.json, "
          + ", ".join(p.name for p in figs) + "; per model <model>/<bits>/workload.yaml, "
          f"<model>/<bits>/sweep/ (sweep.csv, plots/) — {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
