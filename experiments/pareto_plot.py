"""The accuracy–speedup figure of ``experiments/pareto.py``: one panel per design point."""

from __future__ import annotations

from pathlib import Path

import numpy as np

STYLE = {"int8": ("tab:gray", "s"), "vq": ("tab:blue", "o"), "ssvq": ("tab:red", "^")}
# label positions tried in turn, as (dx, dy) in points from the marker and the alignment
CANDIDATES = [((6, 0), "left", "center"), ((-6, 0), "right", "center"),
              ((6, 7), "left", "bottom"), ((-6, 7), "right", "bottom"),
              ((6, -7), "left", "top"), ((-6, -7), "right", "top"),
              ((0, 9), "center", "bottom"), ((0, -9), "center", "top")]
MARKER_PT = 5.5  # half the side of the box a marker (7 pt) and its margin occupy, in points


def overlap_px(a, b) -> float:
    """Area in pixels² shared by two display-space boxes ``(x0, y0, x1, y1)``."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(w, 0) * max(h, 0)


def place_label(ax, x: float, y: float, text: str, color: str, taken: list) -> None:
    """Put ``text`` next to the point ``(x, y)`` at the first of ``CANDIDATES`` that overlaps the
    boxes in ``taken`` (labels and markers, display space) least and stays inside the axes."""
    renderer = ax.figure.canvas.get_renderer()
    inside = ax.get_window_extent(renderer).extents
    best = None
    for (dx, dy), ha, va in CANDIDATES:
        t = ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", fontsize=7,
                        color=color, ha=ha, va=va, zorder=4)
        box = t.get_window_extent(renderer).extents
        cost = sum(overlap_px(box, o) for o in taken) + (box[2] - box[0]) * (box[3] - box[1]) \
            - overlap_px(box, inside)
        t.remove()
        if best is None or cost < best[0]:
            best = (cost, (dx, dy), ha, va, box)
        if cost == 0:
            break
    _, offset, ha, va, box = best
    ax.annotate(text, (x, y), xytext=offset, textcoords="offset points", fontsize=7, color=color,
                ha=ha, va=va, zorder=4,
                bbox={"boxstyle": "square,pad=0", "fc": "white", "ec": "none", "alpha": 0.75})
    taken.append(box)


def draw_panel(ax, rows: list[dict], name: str) -> None:
    """Speedup at design point ``name`` against mean cosine: markers, seed bars, the front."""
    xs = [r[f"speedup_{name}"] for r in rows]
    ys = [r["cos_mean"] for r in rows]
    front = sorted((x, y) for x, y, r in zip(xs, ys, rows, strict=True) if r[f"front_{name}"])
    ax.step(*zip(*front, strict=True), where="pre", color="k", lw=1, ls=":", zorder=1)
    for r, x, y in zip(rows, xs, ys, strict=True):
        color, marker = STYLE[r["scheme"]]
        cos = [r[key] for key in r if key.startswith("cos_s") and r[key] != ""]
        ax.errorbar(x, y, marker=marker, color=color, ms=7, zorder=3,
                    yerr=[[y - min(cos)], [max(cos) - y]],
                    mfc=color if r[f"front_{name}"] else "white", capsize=2, lw=0.8)
    ax.set_xlabel(f"simulated speedup over INT8 — {name}")
    ax.set_ylabel("cosine to fp32 after fine-tuning (mean; bars: seeds)")
    ax.margins(x=0.14, y=0.08)
    ax.grid(alpha=0.3)


def label_panel(ax, rows: list[dict], name: str) -> None:
    """Label every point with k, d and total bits where the label covers no marker, no other
    label and not the legend (front points first). Call after the layout is final."""
    ax.set_xlim(ax.get_xlim())  # freeze the limits: labels are placed in display space
    ax.set_ylim(ax.get_ylim())
    xs = [r[f"speedup_{name}"] for r in rows]
    ys = [r["cos_mean"] for r in rows]
    half = MARKER_PT * ax.figure.dpi / 72
    taken = [(px - half, py - half, px + half, py + half)
             for px, py in ax.transData.transform(np.column_stack([xs, ys]))]
    if ax.get_legend() is not None:
        taken.append(ax.get_legend().get_window_extent(ax.figure.canvas.get_renderer()).extents)
    for i in sorted(range(len(rows)), key=lambda j: not rows[j][f"front_{name}"]):
        r = rows[i]
        text = f"{r['setting'].replace('SSVQ ', '').replace('VQ ', '')}\n{r['total_bits_per_weight']:.2f} b"
        place_label(ax, xs[i], ys[i], text, STYLE[r["scheme"]][0], taken)


def plot(rows: list[dict], fp32_recall: float, design_points, base: Path) -> list[Path]:
    """``base``.png and .svg: one panel per design point, Pareto front of speedup vs cosine."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from accelsim.plots.common import save

    fig, axes = plt.subplots(1, len(design_points), figsize=(6.4 * len(design_points), 6.0))
    for ax, name in zip(np.atleast_1d(axes), design_points, strict=True):
        draw_panel(ax, rows, name)
    handles = [plt.Line2D([], [], color=c, marker=m, ls="", label=s.upper()) for s, (c, m) in STYLE.items()]
    np.atleast_1d(axes)[0].legend(handles=handles + [plt.Line2D([], [], color="k", ls=":",
                                  label="Pareto front (filled markers)")], fontsize=8,
                                  loc="lower left")
    fig.suptitle("MiniLM-L6 (real weights), 36 encoder Linears quantised, equal short "
                 f"fine-tune; labels: k, d, total bits/weight (fp32 paraphrase recall "
                 f"{fp32_recall:.2f})", fontsize=9)
    fig.tight_layout()
    for ax, name in zip(np.atleast_1d(axes), design_points, strict=True):
        label_panel(ax, rows, name)
    paths = save(fig, base.parent, base.stem)
    plt.close(fig)
    return paths
