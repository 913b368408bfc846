"""LLaMA-2-7B decode step: INT8 vs SSVQ (k=256, d=8) vs VQ at equal bits (k=256, d=4).

    python experiments/llama_decode.py [--out DIR] [--quick] [--jobs N]

One decode step (one new token per sequence, KV cache of 1024 positions) at batch 1 and 8 on
the edge NPU of ``workloads/examples/llama2_7b_decode_ssvq.yaml`` (its ``arch``, read from the
file: preset ``edge-32x32``, 32×32 int8 at 800 MHz, output-stationary as suits a GEMV, weight
buffer raised to 512 KiB) with its LPDDR4-3200 x16 channel (6.4 GB/s), and the
same NPU with LPDDR5-6400 x16 (12.8 GB/s) or HBM2-2000 (8 channels, 256 GB/s). SSVQ k=256 d=8
and VQ k=256 d=4 both store 2 bits per weight (Table 12 of the paper) plus a codebook per layer.
Indices are synthetic (seeded uniform): there are no LLaMA weights offline, and k-means on 6.7 B
weights is far out of budget. Decode streams every weight once per step, so the speedup is
bounded by the bytes ratio: ``8 / bits fetched per weight`` for the weights alone, less once
the KV-cache reads (uncompressed activations) and the array's own time are counted.

The grid (compression × DRAM × batch, INT8 included as a point of its own so that its DRAM
bytes are in the table) runs with ``accelsim.sweep.run_sweep``; ``timings.csv`` gives the
simulation wall time of each point (main run + its INT8 baseline). Writes ``llama_decode.md`` /
``.json`` and ``llama_decode.png`` / ``.svg`` (speedup with its bounds; time per token) to
``experiments/out/llama_decode/``. ``--quick``: batch 1 on LPDDR4-3200 only.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import yaml

from accelsim.plots.common import save_figure

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "experiments" / "out" / "llama_decode"
EXAMPLE = ROOT / "workloads" / "examples" / "llama2_7b_decode_ssvq.yaml"
SCHEMES = {"int8": {"scheme": "int8"},
           "ssvq-k256-d8": {"scheme": "ssvq", "k": 256, "d": 8},
           "vq-k256-d4": {"scheme": "vq", "k": 256, "d": 4}}
DRAMS = {"LPDDR4-3200 x16": {"preset": "LPDDR4-3200"},  # the edge-32x32 preset's own channel
         "LPDDR5-6400 x16": {"preset": "LPDDR5-6400"},
         "HBM2-2000 8ch": {"preset": "HBM2-2000"}}
BATCHES = (1, 8)
CONTEXT = 1024
QUICK = {"drams": ("LPDDR4-3200 x16",), "batches": (1,)}


def example_arch() -> dict:
    """The arch of the bundled LLaMA decode example (edge-32x32, ``os``, 512 KiB weights)."""
    return yaml.safe_load(EXAMPLE.read_text())["arch"]


def workload(drams, batches, arch: dict) -> dict:
    return {
        "name": "llama2_7b-decode",
        "arch": arch,
        "model": "llama2_7b",
        "model_args": {"phase": "decode", "context": CONTEXT},
        "batch": 1,
        "compression": {"scheme": "int8"},
        "baseline": {"scheme": "int8"},
        "zip": {"compression": list(SCHEMES.values())},
        "sweep": {"arch.dram": [DRAMS[d] for d in drams], "batch": list(batches)},
    }


def label_of(mapping_json: str, table: dict) -> str:
    value = json.loads(mapping_json)
    return next(lab for lab, v in table.items() if v == value)


def read_rows(sweep_dir: Path) -> list[dict]:
    """sweep.csv + timings.csv of the sweep as one dict per point."""
    with open(sweep_dir / "timings.csv", newline="") as f:
        timing = {r["point"]: r for r in csv.DictReader(f)}
    rows = []
    with open(sweep_dir / "sweep.csv", newline="") as f:
        for r in csv.DictReader(f):
            if r["status"] != "ok":
                raise RuntimeError(f"point {r['point']}: {r['status']}: {r['message']}")
            t = timing[r["point"]]
            rows.append({
                "scheme": label_of(r["compression"], SCHEMES),
                "dram": label_of(r["arch.dram"], DRAMS), "batch": int(r["batch"]),
                "time_ms": float(r["time_ms"]), "int8_time_ms": float(r["baseline_time_ms"]),
                "speedup": float(r["speedup_vs_baseline"]),
                "compute_ms": float(r["cycles_compute"]) / float(r["cycles"])
                * float(r["time_ms"]),
                "dominant": dominant(r),
                "dram_bytes": float(r["dram_bytes"]),
                "kv_bytes": float(r["dram_read_operand_B"]),
                "bits_fetched": float(r["weight_bits_fetched_per_weight"]),
                "peak_GBps": float(r["peak_bandwidth_GBps"]),
                "sim_wall_s": float(t["elapsed_s"]), "sim_cpu_s": float(t["cpu_s"]),
            })
    return rows


def dominant(r: dict) -> str:
    """A point's cycles split as ``compute / DRAM stall / decoder stall`` in percent."""
    parts = ("cycles_compute", "stall_dram", "stall_decoder")
    return " / ".join(f"{100 * float(r[c] or 0) / float(r['cycles']):.0f}" for c in parts)


def with_bounds(rows: list[dict]) -> list[dict]:
    """Add the bytes-ratio bounds, ms per token and how close the speedup gets.

    ``bound_weights`` = INT8 bits fetched per weight / this scheme's (≈ 8 / bits);
    ``bound_bytes`` = INT8 DRAM bytes / this scheme's DRAM bytes (KV cache included), the most
    a purely bandwidth-bound step could gain; ``of_bound`` = speedup / bound_bytes.
    """
    int8 = {(r["dram"], r["batch"]): r for r in rows if r["scheme"] == "int8"}
    out = []
    for r in rows:
        base = int8[(r["dram"], r["batch"])]
        bound_bytes = base["dram_bytes"] / r["dram_bytes"]
        out.append({**r, "ms_per_token": r["time_ms"] / r["batch"],
                    "bound_weights": base["bits_fetched"] / r["bits_fetched"],
                    "bound_bytes": bound_bytes, "of_bound": r["speedup"] / bound_bytes,
                    "kv_share": r["kv_bytes"] / r["dram_bytes"]})
    return out


def table_md(rows: list[dict]) -> str:
    lines = ["| DRAM | batch | scheme | bits fetched/weight | step (ms) | ms/token | speedup | "
             "bound 8/bits | bound all bytes | speedup / bound | KV share of bytes | "
             "compute (ms) | cycles % compute / DRAM / decoder | sim wall (s) |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
    for r in rows:
        lines.append(
            f"| {r['dram']} | {r['batch']} | {r['scheme']} | {r['bits_fetched']:.3f} | "
            f"{r['time_ms']:.1f} | {r['ms_per_token']:.1f} | {r['speedup']:.2f}× | "
            f"{r['bound_weights']:.2f}× | {r['bound_bytes']:.2f}× | {100 * r['of_bound']:.0f} % | "
            f"{100 * r['kv_share']:.0f} % | {r['compute_ms']:.1f} | {r['dominant']} | "
            f"{r['sim_wall_s']:.1f} |")
    return "\n".join(lines)


def plot(rows: list[dict], base: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    groups = list(dict.fromkeys((r["dram"], r["batch"]) for r in rows))
    at = {(r["dram"], r["batch"], r["scheme"]): r for r in rows}
    x = np.arange(len(groups))
    names = [f"{d}\nbatch {b}" for d, b in groups]
    colours = {"int8": "0.55", "ssvq-k256-d8": "tab:blue", "vq-k256-d4": "tab:orange"}
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(max(9, 2.4 * len(groups) + 3), 4.6))
    w = 0.36
    for i, lab in enumerate(("ssvq-k256-d8", "vq-k256-d4")):
        xs = x + (i - 0.5) * w
        ax1.bar(xs, [at[(*g, lab)]["speedup"] for g in groups], w, color=colours[lab], label=lab)
        ax1.scatter(xs, [at[(*g, lab)]["bound_bytes"] for g in groups], marker="_", s=400,
                    color="k", zorder=3, label="bound: INT8 bytes / bytes" if i == 0 else None)
        ax1.scatter(xs, [at[(*g, lab)]["bound_weights"] for g in groups], marker="_", s=400,
                    color="tab:red", zorder=3, label="bound: 8 / weight bits" if i == 0 else None)
    ax1.axhline(1.0, color="grey", lw=0.8)
    ax1.set_xticks(x, names, fontsize=8)
    ax1.set_ylabel("speedup over INT8 (×)")
    ax1.set_title("Decode-step speedup and its bytes-ratio bounds", fontsize=10)
    ax1.set_ylim(0, 1.3 * max(r["bound_weights"] for r in rows))
    ax1.legend(fontsize=8, ncol=2, loc="upper center")
    w3 = 0.27
    for i, lab in enumerate(SCHEMES):
        ax2.bar(x + (i - 1) * w3, [at[(*g, lab)]["ms_per_token"] for g in groups], w3,
                color=colours[lab], label=lab)
    ax2.set_yscale("log")
    ax2.set_xticks(x, names, fontsize=8)
    ax2.set_ylabel("time per token (ms, log scale)")
    ax2.set_title("Time per generated token (step time / batch)", fontsize=10)
    ax2.legend(fontsize=8)
    for ax in (ax1, ax2):
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(f"LLaMA-2-7B decode, context {CONTEXT}, edge NPU 32×32 os @ 800 MHz, 512 KiB "
                 "weight buffer (synthetic uniform indices)", fontsize=10)
    return save_figure(fig, base)


def main(argv=None) -> int:
    from accelsim.sweep import run_sweep

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--quick", action="store_true", help="batch 1 on LPDDR4-3200 only")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    drams = QUICK["drams"] if args.quick else tuple(DRAMS)
    batches = QUICK["batches"] if args.quick else BATCHES
    t0 = time.perf_counter()
    arch = example_arch()
    wl_path = out / "workload.yaml"
    wl_path.write_text("# written by experiments/llama_decode.py\n"
                       + yaml.safe_dump(workload(drams, batches, arch), sort_keys=False,
                                        width=100))
    res = run_sweep(wl_path, out / "sweep", jobs=args.jobs, overwrite=True)
    print(f"{res.points} points {res.counts} in {res.wall_s:.1f} s", flush=True)
    rows = with_bounds(read_rows(out / "sweep"))
    md = ["# LLaMA-2-7B decode step: INT8 vs SSVQ vs VQ at 2 bits/weight", "",
          f"Context {CONTEXT}; arch of `{EXAMPLE.relative_to(ROOT)}` (edge-32x32, os, 800 MHz, "
          "512 KiB weight buffer); synthetic "
          "(seeded uniform) indices. `bound 8/bits`: INT8 bits per weight fetched / this "
          "scheme's; `bound all bytes`: INT8 DRAM bytes / this scheme's (KV-cache reads are "
          "not compressed); `compute`: the array's busy time in the step; `sim wall`: "
          f"simulation time of the point (run + INT8 baseline, {args.jobs} jobs on shared "
          "cores).", "", table_md(rows), ""]
    (out / "llama_decode.md").write_text("\n".join(md))
    (out / "llama_decode.json").write_text(json.dumps({
        "arch": arch, "context": CONTEXT, "drams": {d: DRAMS[d] for d in drams},
        "schemes": SCHEMES, "rows": rows, "sweep_wall_s": round(res.wall_s, 2)}, indent=1) + "\n")
    figs = plot(rows, out / "llama_decode")
    print(table_md(rows))
    print(f"wrote {out}/: llama_decode.md, llama_decode.json, "
          + ", ".join(p.name for p in figs) + f", workload.yaml, sweep/ — "
          f"{time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
