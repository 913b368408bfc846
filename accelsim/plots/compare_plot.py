"""The figure of ``python -m accelsim compare``: total cycles per run, and where they moved."""

from __future__ import annotations

from accelsim.plots.breakdown import CYCLE_PARTS, MAX_BARS, layer_groups
from accelsim.plots.common import PALETTE, new_figure


def plot_compare(totals, layers):
    """Left: each run's cycles stacked as compute and stalls, with its speedup over the first
    run. Right: per-layer cycle change of every other run against the first (summed per block
    or op kind past 24 layers)."""
    from matplotlib.ticker import EngFormatter

    fig, axs = new_figure(12.0, 4.8, ncols=2, width_ratios=[1, 2])
    ax = axs[0][0]
    pos = list(range(len(totals)))
    base = [0.0] * len(totals)
    for col, name, color in CYCLE_PARTS:
        vals = totals[col].fillna(0).astype(float).tolist()
        ax.bar(pos, vals, bottom=base, color=color, edgecolor=color, label=name, width=0.7)
        base = [b + v for b, v in zip(base, vals, strict=True)]
    for i, (cycles, speedup) in enumerate(zip(totals["cycles"], totals["speedup_vs_first"],
                                              strict=True)):
        ax.text(i, cycles, f"{speedup:.2f}×", ha="center", va="bottom", fontsize=9)
    ax.set_xticks(pos, totals["run"].tolist(), rotation=20 if len(pos) > 2 else 0, ha="right"
                  if len(pos) > 2 else "center")
    ax.set_ylabel("cycles")
    ax.set_ylim(0, max(totals["cycles"]) * 1.15)
    ax.yaxis.set_major_formatter(EngFormatter())
    ax.set_title("total cycles (label: speedup over the first run)", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    _deltas(axs[0][1], layers, str(totals["run"].iloc[0]))
    axs[0][1].yaxis.set_major_formatter(EngFormatter())
    fig.suptitle("accelsim compare: " + " vs ".join(totals["run"].astype(str)))
    return fig


def _deltas(ax, layers, ref: str) -> None:
    runs = list(dict.fromkeys(layers["run"]))
    if not runs:
        ax.set_visible(False)
        return
    first = layers[layers["run"] == runs[0]]
    grouped = len(first) > MAX_BARS
    what, keys = layer_groups(first) if grouped else ("layer", first["layer"].astype(str).tolist())
    order = list(dict.fromkeys(keys))
    group_of = dict(zip(first["layer"], keys, strict=True))
    width = 0.8 / len(runs)
    for j, run in enumerate(runs):
        df = layers[layers["run"] == run]
        sums = df.assign(g=df["layer"].map(group_of)).groupby("g")["delta_cycles"].sum()
        vals = [float(sums.get(g, 0.0)) for g in order]
        ax.bar([i + (j - (len(runs) - 1) / 2) * width for i in range(len(order))], vals,
               width=width, color=PALETTE[(j + 1) % len(PALETTE)], label=f"{run} − {ref}")
    ax.axhline(0, color="0.2", linewidth=0.8)
    ax.set_xticks(range(len(order)), order, rotation=30 if len(order) > 6 else 0,
                  ha="right" if len(order) > 6 else "center", fontsize=8)
    ax.set_xlabel(what)
    ax.set_ylabel("cycle change (cycles; < 0 = faster)")
    ax.set_title(f"per-{what} cycle change against {ref}", fontsize=10)
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=8)
