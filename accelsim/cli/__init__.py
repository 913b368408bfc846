"""Command line: ``python -m accelsim run|validate|presets|dram-bench|sweep|plot``.

Exit codes: 0 success, 2 bad input (one message naming the file / YAML path and a hint),
1 internal error.
"""

from __future__ import annotations

import argparse
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
    run.add_argument("--reference", action="store_true",
                     help="run the cycle-stepped reference model instead of the event engine "
                          "(small workloads only)")
    with_overrides(sub.add_parser("validate", help="check a workload's config; simulate nothing"))
    sub.add_parser("presets", help="list architecture, DRAM and model presets")
    sub.add_parser("dram-bench", help="microbenchmark the DRAM model (see dram-bench --help)",
                   add_help=False)
    sub.add_parser("sweep", help="design-space sweep (see sweep --help)", add_help=False)
    sub.add_parser("plot", help="plots of a run or sweep directory (see plot --help)",
                   add_help=False)
    return p


def _delegate(command: str, argv: list[str]) -> int:
    import importlib

    module = {"dram-bench": "accelsim.cli.dram_bench", "sweep": "accelsim.cli.sweep",
              "plot": "accelsim.cli.plot"}[command]
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
