"""Plots of a run directory (``summary.json`` + ``layers.csv``): per-layer cycle breakdown,
roofline and energy breakdown; the baseline (``baseline_layers.csv``) is drawn alongside when
its scheme differs from the run's.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from accelsim.errors import ConfigError
from accelsim.plots.common import new_figure

CYCLE_PARTS = (("cycles_compute", "compute", "#4c72b0"), ("stall_dram", "DRAM stall", "#dd8452"),
               ("stall_decoder", "decoder stall", "#55a868"),
               ("stall_codebook", "codebook stall", "#c44e52"))
BOUND_COLORS = {"compute": "#4c72b0", "dram": "#dd8452", "decoder": "#55a868",
                "codebook": "#c44e52"}
ENERGY_PARTS = (("energy_mac_pJ", "MACs"), ("energy_weight_buf_pJ", "weight buffer"),
                ("energy_input_buf_pJ", "input buffer"), ("energy_output_buf_pJ", "output buffer"),
                ("energy_codebook_buf_pJ", "codebook buffer"), ("energy_decoder_pJ", "decoder"),
                ("energy_dram_pJ", "DRAM"))


@dataclass
class RunData:
    """A loaded run: its summary and per-layer frames (``baseline`` may be None)."""

    summary: dict
    layers: object
    baseline: object | None

    @property
    def title(self) -> str:
        return f"{self.summary.get('workload', '?')} on {self.summary.get('arch', '?')}"

    def panels(self) -> list[tuple[str, object]]:
        """(scheme label, frame) for the run, then the baseline if it is a different scheme."""
        out = [(str(self.summary.get("scheme", "run")), self.layers)]
        base = self.summary.get("baseline") or {}
        if self.baseline is not None and base.get("scheme") != self.summary.get("scheme"):
            out.append((f"{base.get('scheme')} (baseline)", self.baseline))
        return out


def load_run(directory) -> RunData:
    """Read ``DIR/summary.json`` and ``DIR/layers.csv`` (+ ``baseline_layers.csv``)."""
    import pandas as pd

    directory = Path(directory)
    paths = [directory / "summary.json", directory / "layers.csv"]
    for path in paths:
        if not path.is_file():
            raise ConfigError(f"{path}: not found (write a run with "
                              f"`python -m accelsim run W.yaml -o {directory}`)")
    try:
        summary = json.loads(paths[0].read_text())
    except ValueError as exc:
        raise ConfigError(f"{paths[0]}: not valid JSON ({exc})") from None
    base = directory / "baseline_layers.csv"
    return RunData(summary, pd.read_csv(paths[1]), pd.read_csv(base) if base.is_file() else None)


def plot_breakdown(run: RunData):
    """Per-layer cycles stacked as compute / DRAM / decoder / codebook stall."""
    from matplotlib.ticker import EngFormatter

    panels = run.panels()
    n_layers = len(run.layers)
    width = min(max(7.0, 0.16 * n_layers + 2.5), 24.0)
    fig, axs = new_figure(width, 3.2 * len(panels) + 1.2, nrows=len(panels), sharey=True)
    fontsize = 8 if n_layers <= 30 else 6
    for ax, (label, df) in zip((row[0] for row in axs), panels, strict=True):
        bottom = [0.0] * len(df)
        pos = range(len(df))
        for col, name, color in CYCLE_PARTS:
            vals = df[col].fillna(0).tolist()
            ax.bar(pos, vals, bottom=bottom, label=name, color=color, width=0.8)
            bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
        other = [max(t - b, 0.0) for t, b in zip(df["cycles_total"], bottom, strict=True)]
        if sum(other) > 1e-3 * sum(df["cycles_total"]):
            ax.bar(pos, other, bottom=bottom, label="other", color="0.7", width=0.8)
        ax.set_xticks(list(pos), df["layer"].astype(str).tolist(), rotation=90, fontsize=fontsize)
        ax.set_xlim(-0.6, len(df) - 0.4)
        ax.set_ylabel("cycles")
        ax.yaxis.set_major_formatter(EngFormatter())
        ax.grid(True, axis="y", alpha=0.3)
        total = df["cycles_total"].sum()
        ax.set_title(f"{label}: {total:,.0f} cycles in total", fontsize=10)
        ax.legend(fontsize=8, loc="upper right", ncols=5)
    axs[-1][0].set_xlabel("layer")
    fig.suptitle(f"Per-layer cycle breakdown — {run.title}")
    return fig


def roofs(summary: dict) -> tuple[float, float | None, str]:
    """Compute roof (GMAC/s), bandwidth roof (GB/s, None if unbounded) and a description."""
    arch = (summary.get("config") or {}).get("arch") or {}
    pe = arch.get("pe_array") or {}
    try:
        rows, cols, clock = int(pe["rows"]), int(pe["cols"]), float(arch["clock_MHz"])
    except (KeyError, TypeError, ValueError):
        raise ConfigError("summary.json: config.arch lacks pe_array rows/cols or clock_MHz; "
                          "rerun `python -m accelsim run` to write a complete summary") from None
    peak = (summary.get("totals") or {}).get("peak_bandwidth_GBps")
    peak = float(peak) if peak is not None and math.isfinite(float(peak)) else None
    return rows * cols * clock / 1e3, peak, f"{rows}×{cols} MACs at {clock:g} MHz"


def plot_roofline(run: RunData):
    """Per-layer operational intensity (MAC/byte) vs achieved GMAC/s under the arch's roofs."""
    import numpy as np

    compute, peak, desc = roofs(run.summary)
    clock = float(run.summary["config"]["arch"]["clock_MHz"])
    fig, axs = new_figure(7.5, 5.0)
    ax = axs[0][0]
    markers = ("o", "s")
    xs_all, skipped = [], 0
    for i, (label, df) in enumerate(run.panels()):
        df = df[(df["macs"] > 0) & (df["cycles_total"] > 0)]
        on_chip = df["dram_bytes"] <= 0
        skipped += int(on_chip.sum()) if i == 0 else 0
        df = df[~on_chip]
        oi = df["macs"] / df["dram_bytes"]
        perf = df["macs"] * clock / df["cycles_total"] / 1e3
        xs_all.extend(oi.tolist())
        for bound, color in BOUND_COLORS.items():
            sel = df["bound"] == bound
            if sel.any():
                ax.scatter(oi[sel], perf[sel], marker=markers[i % 2], s=28 if i == 0 else 55,
                           zorder=3 + i, facecolors=color if i == 0 else "none",
                           edgecolors=color, linewidths=1.0 if i == 0 else 1.5,
                           label=f"{label}: {bound}-bound")
    if not xs_all:
        raise ConfigError("roofline: no layer with MACs and DRAM traffic to plot")
    lo, hi = min(xs_all) / 4, max(xs_all) * 4
    if peak:
        ridge = compute / peak
        lo, hi = min(lo, ridge / 4), max(hi, ridge * 4)
    x = np.geomspace(lo, hi, 200)
    roof = np.minimum(compute, peak * x) if peak else np.full_like(x, compute)
    ax.plot(x, roof, color="black", linewidth=2, zorder=2)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.text(hi / 1.1, compute * 1.12, f"compute roof {compute:,.0f} GMAC/s ({desc})",
            ha="right", va="bottom", fontsize=8)
    if peak:
        xt = max(lo * 8, ridge / 10)
        ax.text(xt, peak * xt * 1.4, f"DRAM roof {peak:g} GB/s", ha="right", va="bottom",
                fontsize=8)
    ax.set_ylim(top=compute * 2.5)
    ax.set_xlabel("operational intensity (MAC / DRAM byte)")
    ax.set_ylabel("achieved throughput (GMAC/s)")
    ax.grid(True, which="both", alpha=0.25)
    note = f"; {skipped} layers with no DRAM traffic not shown" if skipped else ""
    ax.set_title(f"Roofline — {run.title}{note}", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    return fig


def plot_energy(run: RunData):
    """Energy per component (µJ) of the run and of its baseline, as stacked horizontal bars."""
    from matplotlib import colormaps

    panels = run.panels()
    fig, axs = new_figure(8.0, 1.6 + 0.7 * len(panels))
    ax = axs[0][0]
    colors = colormaps["tab10"].colors
    left = [0.0] * len(panels)
    for j, (col, name) in enumerate(ENERGY_PARTS):
        vals = [float(df[col].sum()) / 1e6 if col in df else 0.0 for _, df in panels]
        ax.barh(range(len(panels)), vals, left=left, color=colors[j], label=name, height=0.6)
        left = [a + b for a, b in zip(left, vals, strict=True)]
    for i, total in enumerate(left):
        ax.text(total, i, f" {total:,.1f} µJ", va="center", fontsize=9)
    ax.set_yticks(range(len(panels)), [label for label, _ in panels])
    ax.invert_yaxis()
    ax.set_xlim(0, max(left) * 1.18 if max(left) > 0 else 1)
    ax.set_xlabel("energy (µJ)")
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_title(f"Energy breakdown — {run.title}", fontsize=10)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=4, fontsize=8)
    return fig
