"""python -m accelsim compare RUN_A RUN_B [...]: totals and per-layer deltas of runs.

RUN_A is the reference. Writes ``compare_totals.csv`` (one row per run), ``compare_layers.csv``
(one row per layer of every other run: reference value, value and delta of cycles, stalls,
DRAM bytes and energy) and ``compare.png`` / ``compare.svg``; prints the totals and the layers
that changed most.
"""

from __future__ import annotations

import argparse
from pathlib import Path

EPILOG = """examples:
  python -m accelsim compare results/int8 results/ssvq
  python -m accelsim compare results/ssvq-k16 results/ssvq-k64 results/vq-k64 -o results/cmp
  python -m accelsim compare results/a results/b --top 20 --format svg
"""


def _parser() -> argparse.ArgumentParser:
    from workloads.cli_help import HelpFormatter

    p = argparse.ArgumentParser(prog="python -m accelsim compare",
                                description=__doc__.replace("``", ""), epilog=EPILOG,
                                formatter_class=HelpFormatter)
    p.add_argument("runs", type=Path, nargs="+", metavar="RUN",
                   help="run folders (the -o of accelsim run); the first is the reference")
    p.add_argument("-o", "--out", type=Path, default=Path("results/compare"),
                   help="output folder for the CSV files and the figure (default: results/compare)")
    p.add_argument("--top", type=int, default=10, metavar="N",
                   help="layers with the largest cycle change to print per run (default: 10)")
    p.add_argument("--format", dest="formats", default="png,svg",
                   help="comma-separated figure formats: png, svg, pdf (default: png,svg)")
    return p


def main(argv: list[str]) -> int:
    """Entry point of ``python -m accelsim compare``."""
    from accelsim.cli.console import make_console
    from accelsim.errors import ConfigError
    from accelsim.plots.common import save
    from accelsim.plots.compare_plot import plot_compare
    from accelsim.report import atomic_write
    from accelsim.report.compare import layers_frame, read_run, totals_frame, unique_names

    args = _parser().parse_args(argv)
    if len(args.runs) < 2:
        raise ConfigError("compare: give at least two run folders (the first is the reference), "
                          "e.g. python -m accelsim compare results/int8 results/ssvq")
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    if not formats or any(f not in ("png", "svg", "pdf") for f in formats):
        raise ConfigError(f"--format {args.formats}: expected png, svg and/or pdf")
    runs = [read_run(d, n) for d, n in zip(args.runs, unique_names(args.runs), strict=True)]
    totals, layers = totals_frame(runs), layers_frame(runs)
    console = make_console()
    _print(console, totals, layers, args.top)
    atomic_write(args.out / "compare_totals.csv", totals.to_csv(index=False))
    atomic_write(args.out / "compare_layers.csv", layers.to_csv(index=False))
    paths = save(plot_compare(totals, layers), args.out, "compare", formats)
    console.print(f"wrote {args.out}/compare_totals.csv, compare_layers.csv, "
                  + ", ".join(p.name for p in paths))
    return 0


def _table(title: str, columns: tuple[str, ...], left: int, rows) -> object:
    """A rich table; the first ``left`` columns are left-aligned, the numbers right-aligned."""
    from rich.table import Table

    tab = Table(title=title)
    for i, col in enumerate(columns):
        tab.add_column(col, justify="left" if i < left else "right")
    for row in rows:
        tab.add_row(*row)
    return tab


def _print(console, totals, layers, top: int) -> None:
    console.print(_table(
        f"runs compared with {totals['run'].iloc[0]}",
        ("run", "scheme", "cycles", "speedup", "stall DRAM", "stall dec", "stall cb", "DRAM MiB",
         "energy µJ"), 2,
        ([str(r["run"]), str(r["scheme"]), f"{r['cycles']:,.0f}", f"{r['speedup_vs_first']:.2f}×",
          f"{r['stall_dram']:,.0f}", f"{r['stall_decoder']:,.0f}", f"{r['stall_codebook']:,.0f}",
          f"{r['dram_bytes'] / 2**20:,.2f}", f"{r['energy_total_pJ'] / 1e6:,.1f}"]
         for _, r in totals.iterrows())))
    for run in dict.fromkeys(layers["run"]):
        df = layers[layers["run"] == run]
        df = df.reindex(df["delta_cycles"].abs().sort_values(ascending=False).index)[:top]
        console.print(_table(
            f"{run}: the {len(df)} layers whose cycles changed most",
            ("layer", "op", "cycles ref", "cycles", "Δ cycles", "Δ stall DRAM", "Δ DRAM KiB",
             "Δ energy µJ"), 2,
            ([str(r["layer"]), str(r["op"]), f"{r['cycles_ref']:,.0f}", f"{r['cycles']:,.0f}",
              f"{r['delta_cycles']:+,.0f}", f"{r['delta_stall_dram']:+,.0f}",
              f"{r['delta_dram_bytes'] / 1024:+,.1f}", f"{r['delta_energy_total_pJ'] / 1e6:+,.2f}"]
             for _, r in df.iterrows())))
