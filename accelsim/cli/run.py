"""``python -m accelsim run W.yaml``: simulate a workload and its baseline; write the results."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path


def main(args) -> int:
    from rich.console import Console

    import accelsim
    from accelsim.memory import describe_dram
    from accelsim.report import print_table, write_outputs
    from accelsim.report.files import check_out_dir

    as_json = getattr(args, "json", False)
    console = Console(stderr=as_json)  # with --json, stdout carries the summary alone
    if not console.is_terminal:
        console = Console(width=160, stderr=as_json)
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
