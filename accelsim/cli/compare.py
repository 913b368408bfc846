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


def _print(console, totals, layers, top: int) -> None:
    from rich.table import Table

    tab = Table(title=f"runs compared with {totals['run'].iloc[0]}")
    for col in ("run", "scheme", "cycles", "speedup", "stall DRAM", "stall dec", "stall cb",
                "DRAM MiB", "energy µJ"):
        tab.add_column(col, justify="left" if col in ("run", "scheme") else "right")
    for _, r in totals.iterrows():
        tab.add_row(str(r["run"]), str(r["scheme"]), f"{r['cycles']:,.0f}",
                    f"{r['speedup_vs_first']:.2f}×", f"{r['stall_dram']:,.0f}",
                    f"{r['stall_decoder']:,.0f}", f"{r['stall_codebook']:,.0f}",
                    f"{r['dram_bytes'] / 2**20:,.2f}", f"{r['energy_total_pJ'] / 1e6:,.1f}")
    console.print(tab)
    for run in dict.fromkeys(layers["run"]):
        df = layers[layers["run"] == run]
        df = df.reindex(df["delta_cycles"].abs().sort_values(ascending=False).index)[:top]
        tab = Table(title=f"{run}: the {len(df)} layers whose cycles changed most")
        for col in ("layer", "op", "cycles ref", "cycles", "Δ cycles", "Δ stall DRAM",
                    "Δ DRAM KiB", "Δ energy µJ"):
            tab.add_column(col, justify="left" if col in ("layer", "op") else "right")
        for _, r in df.iterrows():
            tab.add_row(str(r["layer"]), str(r["op"]), f"{r['cycles_ref']:,.0f}",
                        f"{r['cycles']:,.0f}", f"{r['delta_cycles']:+,.0f}",
                        f"{r['delta_stall_dram']:+,.0f}", f"{r['delta_dram_bytes'] / 1024:+,.1f}",
                        f"{r['delta_energy_total_pJ'] / 1e6:+,.2f}")
        console.print(tab)
