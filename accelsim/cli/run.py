"""``python -m accelsim run W.yaml``: simulate a workload and its baseline; write the results."""

from __future__ import annotations

import contextlib
import os
import re
import sys
from pathlib import Path


def main(args) -> int:
    import accelsim
    from accelsim.memory import describe_dram
    from accelsim.report import print_table, write_outputs
    from accelsim.report.files import check_out_dir

    as_json = getattr(args, "json", False)
    console = _console(as_json, plain=args.quiet or as_json)
    cfg = accelsim.load(args.workload, args.overrides)
    out = args.out or Path("results") / (re.sub(r"[^A-Za-z0-9._-]", "_", cfg.name).lstrip(".")
                                         or "workload")
    check_out_dir(out)  # before simulating: a bad -o costs no simulation time
    if getattr(args, "reference", False):
        from accelsim.reference import simulate as reference
        from accelsim.search.select import Chooser

        result = reference(cfg, str(args.workload), Chooser)  # the engine's mappings
    else:
        with _layer_progress(console) as progress:
            result = accelsim.simulate(cfg, (), progress)
    write_outputs(result, out)
    if as_json:
        from accelsim.report.files import summary_json

        print(summary_json(result.summary), end="")
    elif not args.quiet:
        print_table(result, console)
    console.print(f"DRAM: {describe_dram(result.summary['dram'])}")
    console.print(f"wrote {out}/summary.json and {out}/layers.csv "
                  f"(simulated in {result.elapsed_s:.2f} s)")
    return 0


class _PlainConsole:
    """Lines to a stream that is not a terminal, without loading rich (``--quiet``, ``--json``)."""

    is_terminal = False

    def __init__(self, stream) -> None:
        self.stream = stream

    def print(self, text: str) -> None:
        print(text, file=self.stream)


def _console(to_stderr: bool, plain: bool):
    """A rich console (with --json on stderr: stdout carries the summary alone); a plain one
    when nothing but lines is printed to a stream that is not a terminal."""
    stream = sys.stderr if to_stderr else sys.stdout
    if plain and not stream.isatty() and not os.environ.get("FORCE_COLOR"):
        return _PlainConsole(stream)
    from rich.console import Console

    console = Console(stderr=to_stderr)
    return console if console.is_terminal else Console(width=160, stderr=to_stderr)


@contextlib.contextmanager
def _layer_progress(console):
    """A progress bar per simulated scheme (layers done / layers), gone when the run ends (none
    when the console is not a terminal: a transient bar would print nothing there)."""
    if not console.is_terminal:
        yield None
        return
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
