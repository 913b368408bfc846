"""Plots of a sweep directory (``sweep.csv``): a metric vs one swept axis, and heatmaps.

The swept axes are the ``sweep.csv`` columns between ``point`` and ``config_hash``; axes with
a single value are ignored. Points whose status is not ``ok`` are drawn as ``×`` on the x axis.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from accelsim.errors import ConfigError
from accelsim.plots.common import (
    DIVERGING_CMAP,
    PALETTE,
    SCHEME_STYLES,
    metric_label,
    new_figure,
    path_label,
    path_unit,
    value_text,
)

LINESTYLES = ("-", "--", ":", "-.", (0, (8, 2)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 3)),
              (0, (5, 2, 1, 2)))
MARKERS = ("o", "s", "^", "D", "v", "P")
MAX_SERIES = 12
MAX_FACETS = 6


@dataclass
class SweepData:
    """A loaded sweep: its rows, swept axes and workload name."""

    df: object
    axes: list[str]
    name: str
    groups: list[list[str]] | None = None
    """Axes that vary together (``sweep_meta.json`` ``groups``: one per ``zip:`` block)."""

    def varying(self) -> list[str]:
        """The swept axes that take more than one value."""
        return [a for a in self.axes if self.df[a].nunique(dropna=False) > 1]

    def numeric(self, axis: str) -> bool:
        import pandas as pd

        return pd.api.types.is_numeric_dtype(self.df[axis])


def load_sweep(directory) -> SweepData:
    """Read ``DIR/sweep.csv`` (and the workload name from ``sweep_meta.json``)."""
    import pandas as pd

    directory = Path(directory)
    path = directory / "sweep.csv"
    if not path.is_file():
        raise ConfigError(f"{path}: not found (write it with "
                          f"`python -m accelsim sweep W.yaml -o {directory}`)")
    df = pd.read_csv(path, keep_default_na=True)
    cols = list(df.columns)
    if "point" not in cols or "config_hash" not in cols:
        raise ConfigError(f"{path}: not a sweep.csv (no point / config_hash columns)")
    axes = cols[cols.index("point") + 1:cols.index("config_hash")]
    name, groups = directory.name, None
    meta = directory / "sweep_meta.json"
    if meta.is_file():
        try:
            info = json.loads(meta.read_text())
        except ValueError:
            info = {}
        name, groups = info.get("name", name), info.get("groups")
    return SweepData(df, axes, name, groups)


def default_metric(data: SweepData) -> str:
    """``speedup_vs_baseline`` when the sweep has a baseline, else ``time_ms``."""
    col = data.df.get("speedup_vs_baseline")
    return "speedup_vs_baseline" if col is not None and col.notna().any() else "time_ms"


def _check_metric(data: SweepData, metric: str) -> None:
    if metric not in data.df.columns:
        numeric = [c for c in data.df.columns[data.df.columns.get_loc("status") + 1:]
                   if c not in ("message", "scheme", "baseline_scheme")]
        raise ConfigError(f"--metric {metric!r}: not a sweep.csv column; "
                          f"try one of: {', '.join(numeric[:12])}")


def pick_x(data: SweepData, x: str | None) -> str:
    """The x axis: ``x`` if given, else a buffer-size axis, else the first varying axis."""
    varying = data.varying()
    if x is not None:
        if x not in data.axes:
            raise ConfigError(f"--x {x!r}: not a swept axis; the sweep has {', '.join(data.axes)}")
        return x
    if not varying:
        raise ConfigError("the sweep has no axis with more than one value to plot against")
    sizes = [a for a in varying if a.endswith("size_KiB") and data.numeric(a)]
    numeric = [a for a in varying if data.numeric(a)]
    return (sizes or numeric or varying)[0]


def _x_positions(data: SweepData, x: str, ax):
    """Map x values to plot positions; log2 scale for wide positive numeric ranges."""
    values = sorted(data.df[x].dropna().unique(), key=lambda v: (isinstance(v, str), v))
    if data.numeric(x):
        lo, hi = float(min(values)), float(max(values))
        if lo > 0 and hi / lo >= 8:
            ax.set_xscale("log", base=2)
        ax.set_xticks([float(v) for v in values], [value_text(v) for v in values])
        ax.minorticks_off()
        return lambda v: float(v)
    index = {v: i for i, v in enumerate(values)}
    ax.set_xticks(range(len(values)), [value_text(v) for v in values])
    return lambda v: index[v]


def dimensions(data: SweepData, axes: list[str]) -> list[list[str]]:
    """Group axes that vary together (the paths of one ``zip:`` block) into dimensions: from
    ``sweep_meta.json`` when it records them, else guessed from the values."""
    if data.groups:
        dims = [[a for a in g if a in axes] for g in data.groups]
        dims = [d for d in dims if d] + [[a] for a in axes if not any(a in g for g in data.groups)]
    else:
        dims = _guess_dimensions(data, axes)
    return sorted(dims, key=lambda d: not any(a.startswith("compression") for a in d))


def _guess_dimensions(data: SweepData, axes: list[str]) -> list[list[str]]:
    df = data.df[axes].astype(object).fillna("").astype(str)
    dims: list[list[str]] = []
    for a in axes:
        for dim in dims:
            n = len(df[dim].drop_duplicates())
            if len(df[[*dim, a]].drop_duplicates()) == n == df[a].nunique():
                dim.append(a)
                break
        else:
            dims.append([a])
    return dims


def dim_label(dim: list[str], row) -> str:
    """Legend text of one row's values along one dimension."""
    if len(dim) == 1:
        if dim[0].endswith("compression.scheme"):
            return value_text(row[dim[0]])
        unit = path_unit(dim[0])
        text = f"{path_label(dim[0], with_unit=False)} {value_text(row[dim[0]])}"
        return f"{text} {unit}" if unit else text
    parts = []
    for a in dim:
        v = row[a]
        if v is None or v != v:
            continue
        last = a.rsplit(".", 1)[-1]
        parts.append(value_text(v) if last in ("scheme", "preset") else f"{last}={value_text(v)}")
    return " ".join(parts)


def _series(data: SweepData, dims: list[list[str]]) -> dict[tuple, object]:
    """Rows grouped by their labels along ``dims``, in order of first appearance."""
    keys = [tuple(dim_label(d, row) for d in dims) for _, row in data.df.iterrows()]
    groups: dict[tuple, list[int]] = {}
    for i, key in enumerate(keys):
        groups.setdefault(key, []).append(i)
    return {k: data.df.iloc[idx] for k, idx in groups.items()}


def _scheme_of(group) -> str | None:
    """The compression scheme of a series (None when the sweep does not vary it)."""
    cols = [c for c in group.columns if c.endswith("compression.scheme")]
    if not cols or group[cols[0]].nunique() != 1:
        return None
    return str(group[cols[0]].iloc[0])


def _styles(series: dict) -> dict:
    """Per series key: colour and marker from its scheme (or its first dimension), line style
    from the other dimensions, so series differ in colour, marker and dash at once."""
    keys = list(series)
    schemes = {k: _scheme_of(g) for k, g in series.items()}
    by_scheme = all(schemes[k] in SCHEME_STYLES for k in keys)
    rest = [k[1:] for k in keys]
    dashes = list(dict.fromkeys(rest))
    firsts = list(dict.fromkeys(k[0] for k in keys if k))
    out = {}
    for key, other in zip(keys, rest, strict=True):
        if by_scheme:
            st = dict(SCHEME_STYLES[schemes[key]])
        else:
            i = firsts.index(key[0]) if key else 0
            st = {"color": PALETTE[i % len(PALETTE)], "marker": MARKERS[i % len(MARKERS)]}
        if len(dashes) > 1 or not by_scheme:
            st["linestyle"] = LINESTYLES[dashes.index(other) % len(LINESTYLES)]
        out[key] = st
    return out


def _other_dims(data: SweepData, used: list[str]) -> list[list[str]]:
    """Dimensions of the varying axes, without those that contain an axis in ``used``."""
    return [d for d in dimensions(data, data.varying()) if not set(d) & set(used)]


def _is_baseline(g, metric: str) -> bool:
    """A series that is the baseline itself: speedup exactly 1 at every finished point."""
    ok = g[(g["status"] == "ok") & g[metric].notna()][metric]
    return metric == "speedup_vs_baseline" and len(ok) > 0 and bool((ok == 1.0).all())


def _draw_series(ax, series: dict, styles: dict, x: str, metric: str, pos, scale: float) -> int:
    """The lines, infeasible points as × on the x axis; returns how many series are the
    baseline (drawn once by the caller instead)."""
    from matplotlib.transforms import blended_transform_factory

    under = blended_transform_factory(ax.transData, ax.transAxes)
    failed, merged = False, 0
    for key, g in series.items():
        st = styles[key]
        bad = g[g["status"] != "ok"]
        if len(bad):
            ax.plot([pos(v) for v in bad[x]], [0.0] * len(bad), "x", color=st["color"],
                    transform=under, clip_on=False, markersize=8, markeredgewidth=2,
                    label="_failed")
            failed = True
        if _is_baseline(g, metric):
            merged += 1
            continue
        ok = g[(g["status"] == "ok") & g[metric].notna()]
        ok = ok.assign(_x=[pos(v) for v in ok[x]]).sort_values("_x")
        ax.plot(ok["_x"], ok[metric] * scale, label=", ".join(key) or None, markersize=6,
                zorder=3, **st)
    if failed:
        ax.plot([], [], "x", color="0.3", markersize=8, markeredgewidth=2,
                label="infeasible / error (on the x axis)")
    return merged


def plot_lines(data: SweepData, x: str | None = None, metric: str | None = None):
    """A metric (default: speedup) vs one swept axis, one line per combination of the others.

    Colour and marker follow the scheme, line style the other axes; series equal to the
    baseline (speedup 1 everywhere) are drawn once as the baseline line; the y axis starts at 0.
    """
    metric = metric or default_metric(data)
    _check_metric(data, metric)
    x = pick_x(data, x)
    dims = _other_dims(data, [x])
    series = _series(data, dims)
    if len(series) > MAX_SERIES:
        raise ConfigError(f"{len(series)} lines (one per combination of "
                          f"{', '.join(a for d in dims for a in d)}) would not be readable; plot "
                          "a sweep with fewer axes or use --kind heatmap")
    label, scale = metric_label(metric)
    fig, axs = new_figure(10.5, 5.6)
    ax = axs[0][0]
    pos = _x_positions(data, x, ax)
    merged = _draw_series(ax, series, _styles(series), x, metric, pos, scale)
    if metric == "speedup_vs_baseline":
        base = data.df["baseline_scheme"].dropna()
        name = f"baseline ({base.iloc[0]})" if len(base) else "baseline"
        same = f": {merged} series equal to it lie on this line" if merged else ""
        style = SCHEME_STYLES.get(str(base.iloc[0]).split("-")[0], {}) if len(base) else {}
        ax.axhline(1.0, color=style.get("color", "0.3"), linewidth=1.5, linestyle=(0, (4, 3)),
                   zorder=2, label=name + same)
    values = data.df.loc[data.df["status"] == "ok", metric].dropna()
    if len(values) and float(values.min()) >= 0:
        ax.set_ylim(bottom=0, top=float(values.max()) * scale * 1.08 or None)
    ax.set_xlabel(path_label(x))
    ax.set_ylabel(label)
    ax.grid(True, alpha=0.3)
    ax.set_title(f"{label.split(' (')[0]} vs {path_label(x, with_unit=False)} — {data.name}",
                 fontsize=11)
    if ax.get_legend_handles_labels()[0]:
        # below the axes: lines of near-equal value would hide under a legend placed inside
        fig.legend(*ax.get_legend_handles_labels(), fontsize=8, loc="outside lower center",
                   ncols=3)
    return fig


def _facets(data: SweepData, axes_used: list[str]):
    dims = _other_dims(data, axes_used)
    series = _series(data, dims)
    if len(series) > MAX_FACETS:
        raise ConfigError(f"a heatmap of {' × '.join(axes_used)} needs {len(series)} panels "
                          f"(one per {', '.join(a for d in dims for a in d)}); choose the axes "
                          "with --x / --y")
    return [(", ".join(key), g) for key, g in series.items()]


def _sorted_levels(series) -> list:
    """Numbers in increasing order, then names in the order the sweep lists them."""
    levels = list(series.dropna().unique())  # order of first appearance = sweep order
    numbers = sorted(v for v in levels if not isinstance(v, str))
    return numbers + [v for v in levels if isinstance(v, str)]


def plot_heatmap(data: SweepData, x: str | None = None, y: str | None = None,
                 metric: str | None = None):
    """A metric over two swept axes (one panel per value of any further axis)."""
    import numpy as np
    from matplotlib.colors import TwoSlopeNorm

    metric = metric or default_metric(data)
    _check_metric(data, metric)
    varying = data.varying()
    if len(varying) < 2 and (x is None or y is None):
        raise ConfigError(f"a heatmap needs two swept axes with several values; this sweep "
                          f"varies {', '.join(varying) or 'nothing'} (use --kind speedup)")
    x = pick_x(data, x)
    if y is None:
        y = next(a for a in varying if a != x)
    elif y not in data.axes:
        raise ConfigError(f"--y {y!r}: not a swept axis; the sweep has {', '.join(data.axes)}")
    label, scale = metric_label(metric)
    facets = _facets(data, [x, y])
    xs, ys = _sorted_levels(data.df[x]), _sorted_levels(data.df[y])
    ok = data.df[data.df["status"] == "ok"][metric] * scale
    lo, hi = (float(ok.min()), float(ok.max())) if len(ok) else (0.0, 1.0)
    norm = None
    if metric == "speedup_vs_baseline" and lo < 1.0 < hi:
        norm = TwoSlopeNorm(vcenter=1.0, vmin=lo, vmax=hi)
    cmap = DIVERGING_CMAP if norm is not None else "viridis"
    fmt = "{:.2f}" if metric == "speedup_vs_baseline" else "{:.3g}"
    n = len(facets)
    ncols, nrows = min(n, 3), -(-n // 3)
    panel_w = min(max(1.5 + 0.65 * len(xs), 3.5), 8.0)
    panel_h = min(max(1.2 + 0.45 * len(ys), 3.0), 7.0)
    fig, axs = new_figure(panel_w * ncols + 1.3, panel_h * nrows + 0.7, ncols=ncols, nrows=nrows)
    image = None
    for i, (title, g) in enumerate(facets):
        ax = axs[i // 3][i % 3]
        grid = np.full((len(ys), len(xs)), np.nan)
        for _, row in g.iterrows():
            if row["status"] == "ok" and row[metric] == row[metric]:
                grid[ys.index(row[y]), xs.index(row[x])] = row[metric] * scale
        ax.set_facecolor("0.85")
        image = ax.imshow(grid, cmap=cmap, norm=norm, vmin=None if norm else lo,
                          vmax=None if norm else hi, aspect="auto", origin="lower")
        for (r, c), v in np.ndenumerate(grid):
            text = "×" if v != v else fmt.format(v)
            shade = image.cmap(image.norm(v)) if v == v else (0.85, 0.85, 0.85, 1)
            dark = 0.299 * shade[0] + 0.587 * shade[1] + 0.114 * shade[2] < 0.5
            ax.text(c, r, text, ha="center", va="center", fontsize=8,
                    color="white" if dark else "black")
        ax.set_xticks(range(len(xs)), [value_text(v) for v in xs])
        ax.set_yticks(range(len(ys)), [value_text(v) for v in ys])
        ax.set_xlabel(path_label(x))
        ax.set_ylabel(path_label(y))
        ax.set_title(title or data.name, fontsize=10)
    for j in range(n, len(axs) * len(axs[0])):
        axs[j // 3][j % 3].set_visible(False)
    fig.colorbar(image, ax=[a for row in axs for a in row if a.get_visible()], label=label)
    fig.suptitle(f"{label.split(' (')[0]} — {data.name}  (× = infeasible or error)")
    return fig
