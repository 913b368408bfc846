"""Command line: ``python -m accelsim run|validate|presets|dram-bench|sweep|plot``.

Exit codes: 0 success, 2 bad input (one message naming the file / YAML path and a hint),
1 internal error.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from accelsim.errors import AccelsimError

EPILOG = """examples:
  python -m accelsim run workloads/examples/deit_tiny_int8.yaml -o results/deit
  python -m accelsim run W.yaml --set arch.dram.preset=LPDDR5-6400 --set batch=8
  python -m accelsim validate W.yaml
  python -m accelsim presets
  python -m accelsim dram-bench --preset DDR4-3200 --pattern seq
"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m accelsim", description=__doc__.splitlines()[0],
                                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def with_overrides(sp):
        sp.add_argument("workload", type=Path, help="workload YAML file")
        sp.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="PATH=VALUE",
                        help="override a config value by dotted path (repeatable), "
                             "e.g. --set arch.sram.weight.size_KiB=256")
        return sp

    run = with_overrides(sub.add_parser("run", help="simulate a workload and its baseline"))
    run.add_argument("-o", "--out", type=Path, default=None,
                     help="output directory (default: results/<workload name>)")
    run.add_argument("--quiet", action="store_true", help="no table, only the output paths")
    with_overrides(sub.add_parser("validate", help="check a workload's config; simulate nothing"))
    sub.add_parser("presets", help="list architecture, DRAM and model presets")
    sub.add_parser("dram-bench", help="microbenchmark the DRAM model (see dram-bench --help)",
                   add_help=False)
    sub.add_parser("sweep", help="design-space sweep (see sweep --help)", add_help=False)
    sub.add_parser("plot", help="plots of a run or sweep directory (see plot --help)",
                   add_help=False)
    return p


def cmd_run(args) -> int:
    from rich.console import Console

    import accelsim
    from accelsim.report import print_table, write_outputs

    console = Console()
    if not console.is_terminal:
        console = Console(width=160)
    with _layer_progress(console) as progress:
        result = accelsim.simulate(args.workload, args.overrides, progress)
    out = args.out or Path("results") / result.summary["workload"]
    write_outputs(result, out)
    if not args.quiet:
        print_table(result, console)
    console.print(f"wrote {out}/summary.json and {out}/layers.csv "
                  f"(simulated in {result.elapsed_s:.2f} s)")
    return 0


@contextlib.contextmanager
def _layer_progress(console):
    """A progress bar per simulated scheme (layers done / layers), gone when the run ends."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bars = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("layers"), TimeElapsedColumn(), console=console, transient=True)
    tasks = {}

    def update(label: str, done: int, total: int) -> None:
        if label not in tasks:
            tasks[label] = bars.add_task(f"simulating {label}", total=total)
        bars.update(tasks[label], completed=done)

    with bars:
        yield update


def cmd_validate(args) -> int:
    import accelsim
    from accelsim.pipeline import resolve_layers

    cfg = accelsim.load(args.workload, args.overrides)
    layers = resolve_layers(cfg)
    print(f"{args.workload}: ok — {cfg.name}: {len(layers)} layers on {cfg.arch.name} "
          f"({cfg.arch.pe_array.rows}x{cfg.arch.pe_array.cols} {cfg.arch.pe_array.dataflow}, "
          f"{cfg.arch.dram.preset}), compression {cfg.compression.label}")
    return 0


def cmd_presets(_args) -> int:
    from rich.console import Console
    from rich.table import Table

    from accelsim import dram
    from accelsim.loader import arch_presets
    from workloads import zoo

    console = Console()
    t = Table(title="architecture presets (arch: NAME)")
    for col in ("name", "array", "clock", "weight/input/output/codebook KiB", "DRAM"):
        t.add_column(col)
    for name, a in arch_presets().items():
        s = a["sram"]
        t.add_row(name, f"{a['pe_array']['rows']}x{a['pe_array']['cols']} {a['pe_array']['dataflow']}",
                  f"{a['clock_MHz']} MHz",
                  "/".join(str(s[b]["size_KiB"]) for b in ("weight", "input", "output", "codebook")),
                  f"{a['dram']['preset']} x{a['dram'].get('channels', 1)}")
    console.print(t)
    console.print("DRAM presets (arch.dram.preset): ideal, simple, " + ", ".join(dram.PRESET_NAMES))
    t = Table(title="models (model: NAME, model_args: {...})")
    t.add_column("name")
    t.add_column("params")
    for name in zoo.MODELS:
        t.add_row(name, ", ".join(f"{k}={v}" for k, v in zoo.params(name).items()))
    console.print(t)
    return 0


def _delegate(command: str, argv: list[str]) -> int:
    import importlib

    module = {"dram-bench": "accelsim.dram_bench", "sweep": "accelsim.sweep_cli",
              "plot": "accelsim.plots"}[command]
    return importlib.import_module(module).main(argv)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    if argv and argv[0] in ("dram-bench", "sweep", "plot"):
        runner = lambda: _delegate(argv[0], argv[1:])  # noqa: E731
    else:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        handler = {"run": cmd_run, "validate": cmd_validate, "presets": cmd_presets}[args.command]
        runner = lambda: handler(args)  # noqa: E731
    try:
        return runner()
    except AccelsimError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
