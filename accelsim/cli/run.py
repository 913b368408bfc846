"""``python -m accelsim run W.yaml``: simulate a workload and its baseline; write the results."""

from __future__ import annotations

import contextlib
from pathlib import Path


def main(args) -> int:
    from rich.console import Console

    import accelsim
    from accelsim.memory import describe_dram
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
