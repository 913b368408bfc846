"""Command line: python -m accelsim run|validate|presets|dram-bench|sweep|plot|compare|report.

Exit codes: 0 success, 2 bad input (one message naming the file / YAML path and a hint),
1 internal error.
"""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path

from accelsim.errors import AccelsimError

EPILOG = """examples:
  python -m accelsim run workloads/examples/deit_tiny_ssvq.yaml -o results/ssvq
  python -m accelsim sweep workloads/examples/deit_tiny_sweep.yaml -o results/sweep --jobs 2
  python -m accelsim report results/ssvq
"""

EXAMPLES = {
    "run": """examples:
  python -m accelsim run workloads/examples/deit_tiny_ssvq.yaml -o results/ssvq
  python -m accelsim run W.yaml --set arch.dram.preset=LPDDR5-6400 --set batch=8
  python -m accelsim run W.yaml --json > summary.json
""",
    "validate": """examples:
  python -m accelsim validate workloads/examples/deit_tiny_ssvq.yaml
  python -m accelsim validate W.yaml --set arch.sram.codebook.size_KiB=4
""",
    "presets": """examples:
  python -m accelsim presets
  python -m accelsim presets | less -S
""",
}

PATHS_NOTE = ("Paths written in a YAML resolve against that YAML's folder; paths typed on the "
              "command line (--set traces=DIR) against the current folder.")

#: Commands with their own parser: command → module in accelsim.cli.
DELEGATED = {"dram-bench": "dram_bench", "sweep": "sweep", "plot": "plot", "compare": "compare",
             "report": "report"}


@functools.cache
def _parser() -> argparse.ArgumentParser:
    """The top-level parser (built once per process: parsing leaves it unchanged)."""
    from workloads.cli_help import HelpFormatter

    p = argparse.ArgumentParser(
        prog="python -m accelsim", epilog=EPILOG, formatter_class=HelpFormatter,
        description="Cycle-level simulator of a DNN accelerator for weight-compressed models. "
                    "Exit codes: 0 success, 2 bad input (one message naming the file, the YAML "
                    "path and a hint), 1 internal error.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_text: str, description: str):
        return sub.add_parser(name, help=help_text, description=description,
                              epilog=EXAMPLES[name], formatter_class=HelpFormatter)

    def with_overrides(sp):
        sp.add_argument("workload", type=Path, metavar="WORKLOAD", help="workload YAML file")
        sp.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="PATH=VALUE",
                        help="override a config value by dotted path (repeatable), "
                             "e.g. --set arch.sram.weight.size_KiB=256")
        return sp

    run = with_overrides(command(
        "run", "simulate a workload and its baseline",
        "Simulate a workload and its baseline on the same architecture; write summary.json and "
        "layers.csv (+ baseline_layers.csv) and print the costliest layers.\n\n" + PATHS_NOTE))
    run.add_argument("-o", "--out", type=Path, default=None, metavar="DIR",
                     help="output directory (default: results/<workload name>)")
    run.add_argument("--quiet", action="store_true", help="no table, only the output paths")
    run.add_argument("--reference", action="store_true",
                     help="run the cycle-stepped reference model instead of the event engine "
                          "(small workloads only)")
    run.add_argument("--json", action="store_true",
                     help="print summary.json to stdout (for scripts; messages go to stderr)")
    with_overrides(command("validate", "check a workload's config; simulate nothing",
                           "Load and validate a workload (arch, DRAM, compression, layers) "
                           "without simulating it.\n\n" + PATHS_NOTE))
    command("presets", "list architecture, DRAM and model presets",
            "List the architecture presets (arch: NAME), the DRAM presets "
            "(arch.dram.preset) and the model zoo (model: NAME).")
    for name, text in (("dram-bench", "microbenchmark the DRAM model"),
                       ("sweep", "design-space sweep of a workload"),
                       ("plot", "figures of a run or sweep folder"),
                       ("compare", "totals and per-layer deltas of runs"),
                       ("report", "one self-contained report.html of a run or sweep")):
        sub.add_parser(name, help=f"{text} (see {name} --help)", add_help=False)
    return p


def _delegate(command: str, argv: list[str]) -> int:
    import importlib

    module = f"accelsim.cli.{DELEGATED[command]}"
    return importlib.import_module(module).main(argv)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    if argv and argv[0] in DELEGATED:
        runner = lambda: _delegate(argv[0], argv[1:])  # noqa: E731
    else:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        import importlib

        handler = importlib.import_module(f"accelsim.cli.{args.command}")
        runner = lambda: handler.main(args)  # noqa: E731
    try:
        return runner()
    except AccelsimError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
