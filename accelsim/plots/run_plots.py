"""Plots of a run directory (``summary.json`` + ``layers.csv``): roofline and energy breakdown
(the cycle breakdown is in :mod:`accelsim.plots.breakdown`); the baseline
(``baseline_layers.csv``) is drawn alongside when its scheme differs from the run's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from accelsim.errors import ConfigError
from accelsim.plots.breakdown import plot_breakdown, plot_breakdown_layers  # noqa: F401
from accelsim.plots.common import BLUE, GREEN, ORANGE, PALETTE, VERMILLION, new_figure

BOUND_COLORS = {"compute": BLUE, "dram": ORANGE, "decoder": GREEN, "codebook": VERMILLION}
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
    from accelsim.report.compare import read_run

    run = read_run(directory)
    return RunData(run.summary, run.layers, run.baseline)


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


def roofline_points(df, clock_MHz: float, tol_decades: float = 0.05):
    """Layers merged into roofline points: ``oi`` (MAC/byte), ``perf`` (GMAC/s), ``bound`` and
    ``layers`` (how many layers sit there: same bound, within ``tol_decades`` on both axes;
    the point is at their geometric mean)."""
    import numpy as np
    import pandas as pd

    lx = np.log10((df["macs"] / df["dram_bytes"]).astype(float)).tolist()
    ly = np.log10((df["macs"] * clock_MHz / df["cycles"] / 1e3).astype(float)).tolist()
    clusters: list[dict] = []
    for x, y, bound in sorted(zip(lx, ly, df["bound"].astype(str), strict=True)):
        for c in clusters:
            if c["bound"] == bound and abs(c["x0"] - x) <= tol_decades and abs(c["y0"] - y) <= tol_decades:
                c["xs"].append(x)
                c["ys"].append(y)
                break
        else:
            clusters.append({"bound": bound, "x0": x, "y0": y, "xs": [x], "ys": [y]})
    return pd.DataFrame({"oi": [10 ** np.mean(c["xs"]) for c in clusters],
                         "perf": [10 ** np.mean(c["ys"]) for c in clusters],
                         "bound": [c["bound"] for c in clusters],
                         "layers": [len(c["xs"]) for c in clusters]})


def plot_roofline(run: RunData):
    """Per-layer operational intensity (MAC/byte) vs achieved GMAC/s under the arch's roofs."""
    import numpy as np

    compute, peak, desc = roofs(run.summary)
    clock = float(run.summary["config"]["arch"]["clock_MHz"])
    fig, axs = new_figure(7.5, 5.0)
    ax = axs[0][0]
    markers = ("o", "s")
    xs_all, skipped, stacked = [], 0, False
    for i, (label, df) in enumerate(run.panels()):
        df = df[(df["macs"] > 0) & (df["cycles"] > 0)]
        on_chip = df["dram_bytes"] <= 0
        skipped += int(on_chip.sum()) if i == 0 else 0
        points = roofline_points(df[~on_chip], clock)
        xs_all.extend(points["oi"].tolist())
        for bound, color in BOUND_COLORS.items():
            sel = points[points["bound"] == bound]
            if len(sel):
                ax.scatter(sel["oi"], sel["perf"], marker=markers[i % 2],
                           s=(28 if i == 0 else 55) * sel["layers"] ** 0.5, zorder=3 + i,
                           facecolors=color if i == 0 else "none", edgecolors=color,
                           linewidths=1.0 if i == 0 else 1.5, label=f"{label}: {bound}-bound")
        for _, pt in points[points["layers"] > 1].iterrows():
            stacked = True
            ax.annotate(f"×{pt['layers']}", (pt["oi"], pt["perf"]), xytext=(8, -4) if i else (-8, 4),
                        textcoords="offset points", fontsize=8, color="0.1",
                        ha="left" if i else "right", va="top" if i else "bottom")
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
    if stacked:
        note += "\n×n beside a marker: n layers at that point (marker area grows with n)"
    ax.set_title(f"Roofline — {run.title}{note}", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    return fig


def plot_energy(run: RunData):
    """Energy per component (µJ) of the run and of its baseline, as stacked horizontal bars."""
    panels = run.panels()
    fig, axs = new_figure(8.0, 1.6 + 0.7 * len(panels))
    ax = axs[0][0]
    colors = PALETTE
    left = [0.0] * len(panels)
    for j, (col, name) in enumerate(ENERGY_PARTS):
        vals = [float(df[col].sum()) / 1e6 if col in df else 0.0 for _, df in panels]
        ax.barh(range(len(panels)), vals, left=left, color=colors[j], label=name, height=0.6,
                edgecolor=colors[j], linewidth=[0.8 if v > 0 else 0.0 for v in vals])
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
