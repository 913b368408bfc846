"""python -m accelsim report DIR: one self-contained report.html of a run or sweep folder.

The page holds the run's (or sweep's) configuration and totals, every figure of
``accelsim plot`` inline as SVG, and the per-layer (per-point) table, sortable by clicking a
column header. It needs no server and loads nothing from the network: open it from disk.
"""

from __future__ import annotations

import argparse
from pathlib import Path

EPILOG = """examples:
  python -m accelsim report results/deit              # writes results/deit/report.html
  python -m accelsim report results/deit_sweep -o deit_sweep.html
  python -m accelsim run W.yaml -o results/w && python -m accelsim report results/w
"""


def _parser() -> argparse.ArgumentParser:
    from workloads.cli_help import HelpFormatter

    p = argparse.ArgumentParser(prog="python -m accelsim report",
                                description=__doc__.replace("``", ""), epilog=EPILOG,
                                formatter_class=HelpFormatter)
    p.add_argument("directory", type=Path, metavar="DIR",
                   help="a run folder (-o of accelsim run) or a sweep folder (-o of accelsim sweep)")
    p.add_argument("-o", "--out", type=Path, default=None, metavar="FILE",
                   help="the HTML file to write (default: DIR/report.html)")
    return p


def main(argv: list[str]) -> int:
    """Entry point of ``python -m accelsim report``."""
    from accelsim.errors import ConfigError
    from accelsim.plots.html import report_html
    from accelsim.report import atomic_write

    args = _parser().parse_args(argv)
    if not args.directory.is_dir():
        raise ConfigError(f"{args.directory}: no such directory (give the -o folder of "
                          "`accelsim run` or `accelsim sweep`)")
    out = args.out or args.directory / "report.html"
    atomic_write(out, report_html(args.directory))
    print(f"wrote {out}")
    return 0
