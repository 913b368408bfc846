"""python -m accelsim plot DIR: figures of a sweep or run directory (PNG + SVG).

Kinds for a sweep directory (``sweep.csv``): ``speedup`` (a metric vs one swept axis, one
line per value of the other axes), ``heatmap`` (a metric over two swept axes), ``energy``
(total energy vs a swept axis). For a run directory (``summary.json`` + ``layers.csv``):
``breakdown`` (per-layer stacked cycles), ``roofline``, ``energy`` (per component).
``auto`` (the default) draws every kind that fits the directory.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from accelsim.errors import ConfigError
from accelsim.plots import KINDS, plot_dir

EPILOG = """examples:
  python -m accelsim plot results/sweep                    # every figure that fits
  python -m accelsim plot results/sweep --kind heatmap --y arch.dram.preset --metric time_ms
  python -m accelsim plot results/deit --kind roofline -o figs/ --format svg
"""



def _parser() -> argparse.ArgumentParser:
    from workloads.cli_help import HelpFormatter

    p = argparse.ArgumentParser(prog="python -m accelsim plot", epilog=EPILOG,
                                formatter_class=HelpFormatter,
                                description="Figures of a sweep or run folder as PNG and SVG. "
                                "Sweep: speedup (a metric vs one swept axis), heatmap (a metric "
                                "over two swept axes), energy. Run: breakdown (cycles per layer, "
                                "or per block / op kind past 24 layers), breakdown_layers (every "
                                "layer), roofline, energy. Without --kind every figure that "
                                "fits the folder is drawn.")
    p.add_argument("directory", type=Path, metavar="DIR",
                   help="a sweep (-o of sweep) or run (-o of run) directory")
    p.add_argument("--kind", action="append", choices=KINDS, default=None, metavar="KIND",
                   help="figure kind (repeatable; default: auto): " + ", ".join(KINDS))
    p.add_argument("-o", "--out", type=Path, default=None,
                   help="output directory (default: DIR/plots)")
    p.add_argument("--x", default=None, metavar="PATH", help="swept axis for the x axis")
    p.add_argument("--y", default=None, metavar="PATH", help="second swept axis (heatmap)")
    p.add_argument("--metric", default=None,
                   help="sweep.csv column to plot (default: speedup_vs_baseline, or time_ms "
                        "without a baseline)")
    p.add_argument("--format", dest="formats", default="png,svg", metavar="FORMATS",
                   help="comma-separated output formats (default: png,svg)")
    return p


def main(argv: list[str]) -> int:
    """Entry point of ``python -m accelsim plot``."""
    args = _parser().parse_args(argv)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    bad = [f for f in formats if f not in ("png", "svg", "pdf")]
    if bad or not formats:
        raise ConfigError(f"--format {args.formats}: expected png, svg and/or pdf")
    paths = plot_dir(args.directory, args.kind or ["auto"], args.out, args.x, args.y,
                     args.metric, formats)
    for path in paths:
        print(f"wrote {path}")
    return 0
