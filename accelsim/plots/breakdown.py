"""Cycle breakdown of a run: compute and each stall, per layer or per group of layers.

Up to :data:`MAX_BARS` layers the ``breakdown`` figure has one bar per layer. Past that it has
one bar per block (the layer-name prefix up to its first number, ``blocks.3``) or, when the
names have no such structure, per op kind (``op``, with the ``unit`` column when layers.csv has
one); ``breakdown_layers`` then shows every layer as a horizontal bar with its full name.
Every nonzero segment gets an outline in its colour, so a stall of a few cycles still shows,
and the legend gives each part's share of all cycles.
"""

from __future__ import annotations

import re

from accelsim.plots.common import BLUE, GREEN, ORANGE, VERMILLION, new_figure

CYCLE_PARTS = (("cycles_compute", "compute", BLUE), ("stall_dram", "DRAM stall", ORANGE),
               ("stall_decoder", "decoder stall", GREEN),
               ("stall_codebook", "codebook stall", VERMILLION))
OTHER_COLOR = "0.6"
MAX_BARS = 24


def _block_of(name: str) -> str:
    match = re.match(r"^(.*?\d+)(?:\.|$)", name)
    return match.group(1) if match else name.split(".")[0]


def layer_groups(df) -> tuple[str, list[str]]:
    """(what the groups are, one group name per row): ``block`` when the layer names give
    between 2 and :data:`MAX_BARS` blocks, else ``op kind``."""
    blocks = [_block_of(str(n)) for n in df["layer"]]
    if 1 < len(set(blocks)) <= MAX_BARS:
        return "block", blocks
    kinds = [str(op) for op in df["op"]]
    if "unit" in df.columns:
        kinds = [f"{op} ({unit})" for op, unit in zip(kinds, df["unit"].astype(str), strict=True)]
    return "op kind", kinds


def aggregate(df):
    """Rows summed per group (:func:`layer_groups`), in order of first appearance; the
    ``layer`` column holds the group name and ``layers`` how many layers it sums."""
    what, keys = layer_groups(df)
    cols = ["cycles", *(c for c, _, _ in CYCLE_PARTS if c in df.columns)]
    frame = df[cols].fillna(0).assign(layer=keys, layers=1)
    out = frame.groupby("layer", sort=False).sum().reset_index()
    return what, out


def _parts(df) -> list[tuple[str, str, list[float]]]:
    """(label, colour, values) of each stacked part, ``other`` when the parts miss cycles."""
    parts = [(name, color, df[col].fillna(0).astype(float).tolist())
             for col, name, color in CYCLE_PARTS if col in df.columns]
    summed = [sum(vals) for vals in zip(*(p[2] for p in parts), strict=True)]
    other = [max(t - s, 0.0) for t, s in zip(df["cycles"].astype(float), summed, strict=True)]
    if sum(other) > 1e-3 * float(df["cycles"].sum()):
        parts.append(("other", OTHER_COLOR, other))
    return parts


def _stack(ax, df, horizontal: bool) -> None:
    """Stacked bars of one frame; the legend entries carry each part's share of all cycles."""
    pos = list(range(len(df)))
    base = [0.0] * len(df)
    total = float(df["cycles"].sum()) or 1.0
    for name, color, vals in _parts(df):
        share = 100 * sum(vals) / total
        label = f"{name} ({share:.1f} %)" if share >= 0.1 or not sum(vals) else f"{name} (<0.1 %)"
        edges = [0.8 if v > 0 else 0.0 for v in vals]
        draw = ax.barh if horizontal else ax.bar
        kw = {"left": base, "height": 0.8} if horizontal else {"bottom": base, "width": 0.8}
        draw(pos, vals, color=color, edgecolor=color, linewidth=edges, label=label, **kw)
        base = [b + v for b, v in zip(base, vals, strict=True)]


def plot_breakdown(run):
    """Cycles stacked as compute / DRAM / decoder / codebook stall, per layer (≤ 24 layers)
    or per block / op kind (more), for the run and its baseline."""
    from matplotlib.ticker import EngFormatter

    panels = run.panels()
    grouped = len(run.layers) > MAX_BARS
    frames = [(label, *(aggregate(df) if grouped else ("layer", df))) for label, df in panels]
    n_bars = max(len(df) for _, _, df in frames)
    width = min(max(7.0, 0.3 * n_bars + 3.0), 16.0)
    fig, axs = new_figure(width + 2.2, 3.2 * len(panels) + 1.4, nrows=len(panels))
    top = 1.05 * max(float(df["cycles"].max()) for _, _, df in frames)
    for ax, (label, what, df) in zip((row[0] for row in axs), frames, strict=True):
        _stack(ax, df, horizontal=False)
        names = df["layer"].astype(str).tolist()
        if grouped:
            names = [f"{n} ({k})" if k > 1 else n for n, k in zip(names, df["layers"], strict=True)]
        ax.set_xticks(range(len(df)), names, rotation=30 if n_bars > 6 else 0,
                      ha="right" if n_bars > 6 else "center", fontsize=8)
        ax.set_xlim(-0.6, len(df) - 0.4)
        ax.set_ylim(0, top)
        ax.set_ylabel("cycles")
        ax.yaxis.set_major_formatter(EngFormatter())
        ax.grid(True, axis="y", alpha=0.3)
        per = f" per {what} (layers summed in brackets)" if grouped else ""
        ax.set_title(f"{label}: {df['cycles'].sum():,.0f} cycles in total{per}", fontsize=10)
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    axs[-1][0].set_xlabel(frames[-1][1])
    fig.suptitle(f"Cycle breakdown — {run.title}")
    return fig


def plot_breakdown_layers(run):
    """Every layer as a horizontal stacked bar (full names, top to bottom in model order)."""
    from matplotlib.ticker import EngFormatter

    panels = run.panels()
    n_layers = len(run.layers)
    fig, axs = new_figure(6.0 * len(panels) + 2.5, 0.16 * n_layers + 1.8, ncols=len(panels),
                          sharex=True, sharey=True)
    for ax, (label, df) in zip(axs[0], panels, strict=True):
        _stack(ax, df, horizontal=True)
        ax.set_yticks(range(len(df)), df["layer"].astype(str).tolist(), fontsize=7)
        ax.set_ylim(len(df) - 0.4, -0.6)
        ax.xaxis.set_major_formatter(EngFormatter())
        ax.grid(True, axis="x", alpha=0.3)
        ax.set_xlabel(f"{label}: cycles ({df['cycles'].sum():,.0f} in total)")
        ax.legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.02), ncols=2)
    fig.suptitle(f"Per-layer cycle breakdown — {run.title}")
    return fig
