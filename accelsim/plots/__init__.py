"""Figures of a sweep or run directory (PNG + SVG); the CLI is ``python -m accelsim plot``.

Kinds for a sweep directory (``sweep.csv``): ``speedup`` (a metric vs one swept axis, one
line per value of the other axes), ``heatmap`` (a metric over two swept axes), ``energy``
(total energy vs a swept axis). For a run directory (``summary.json`` + ``layers.csv``):
``breakdown`` (stacked cycles per layer; per block or op kind past 24 layers),
``breakdown_layers`` (every layer, for long models), ``roofline``, ``energy`` (per component).
``auto`` (the default) draws every kind that fits the directory.
"""

from __future__ import annotations

from pathlib import Path

from accelsim.errors import ConfigError

SWEEP_KINDS = ("speedup", "heatmap", "energy")
RUN_KINDS = ("breakdown", "breakdown_layers", "roofline", "energy")
KINDS = ("auto", "speedup", "heatmap", "breakdown", "breakdown_layers", "roofline", "energy")

def dir_type(directory: Path) -> str:
    """``sweep`` or ``run``, from the files present; ConfigError otherwise."""
    if (directory / "sweep.csv").is_file():
        return "sweep"
    if (directory / "summary.json").is_file() and (directory / "layers.csv").is_file():
        return "run"
    raise ConfigError(f"{directory}: neither a sweep directory (sweep.csv) nor a run directory "
                      "(summary.json + layers.csv); give the -o directory of `accelsim sweep` "
                      "or `accelsim run`")


def run_kinds(n_layers: int) -> list[str]:
    """The figures of a run of ``n_layers`` layers (``breakdown_layers`` only past 24)."""
    from accelsim.plots.breakdown import MAX_BARS

    return [k for k in RUN_KINDS if n_layers > MAX_BARS or k != "breakdown_layers"]


def auto_kinds(directory: Path) -> list[str]:
    """The kinds that fit a directory."""
    if dir_type(directory) == "run":
        from accelsim.plots.run_plots import load_run

        return run_kinds(len(load_run(directory).layers))
    from accelsim.plots.sweep_plots import load_sweep

    data = load_sweep(directory)
    varying = data.varying()
    kinds = ["speedup"] if varying else []
    if len(varying) >= 2:
        kinds.append("heatmap")
    if varying and data.df.get("energy_total_pJ") is not None:
        kinds.append("energy")
    return kinds


def make_figure(directory, kind: str, x: str | None = None, y: str | None = None,
                metric: str | None = None):
    """The matplotlib Figure of one plot kind for a directory."""
    directory = Path(directory)
    what = dir_type(directory)
    allowed = SWEEP_KINDS if what == "sweep" else RUN_KINDS
    if kind not in allowed:
        raise ConfigError(f"--kind {kind}: does not apply to a {what} directory ({directory}); "
                          f"choose one of: {', '.join(allowed)}")
    if what == "sweep":
        from accelsim.plots import sweep_plots as sp

        data = sp.load_sweep(directory)
        if kind == "heatmap":
            return sp.plot_heatmap(data, x, y, metric)
        return sp.plot_lines(data, x, metric or ("energy_total_pJ" if kind == "energy" else None))
    from accelsim.plots.run_plots import load_run

    return run_figures(load_run(directory), [kind])[kind]


def run_figures(run, kinds=RUN_KINDS) -> dict:
    """Figures of a loaded run (:class:`~accelsim.plots.run_plots.RunData`) keyed by kind."""
    from accelsim.plots import run_plots as rp

    draw = {"breakdown": rp.plot_breakdown, "breakdown_layers": rp.plot_breakdown_layers,
            "roofline": rp.plot_roofline, "energy": rp.plot_energy}
    bad = [k for k in kinds if k not in draw]
    if bad:
        raise ConfigError(f"plot kind {bad[0]!r}: a run has {', '.join(draw)}")
    return {kind: draw[kind](run) for kind in kinds}


def plot_dir(directory, kinds=("auto",), out_dir=None, x=None, y=None, metric=None,
             formats=("png", "svg")) -> list[Path]:
    """Draw ``kinds`` for a directory into ``out_dir`` (default ``DIR/plots``); the paths."""
    from accelsim.plots.common import save

    directory = Path(directory)
    if not directory.is_dir():
        raise ConfigError(f"{directory}: no such directory")
    wanted = []
    for kind in kinds:
        wanted.extend(auto_kinds(directory) if kind == "auto" else [kind])
    if not wanted:
        raise ConfigError(f"{directory}: nothing to plot (the sweep has no axis with more than "
                          "one value)")
    out = Path(out_dir) if out_dir is not None else directory / "plots"
    paths = []
    prefix = dir_type(directory)
    for kind in dict.fromkeys(wanted):
        fig = make_figure(directory, kind, x, y, metric)
        stem = f"{prefix}_{kind}" + (f"_{metric}" if metric and kind != "energy" else "")
        paths.extend(save(fig, out, stem, formats))
    return paths
