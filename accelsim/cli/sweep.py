"""python -m accelsim sweep W.yaml: run a workload's design-space sweep (docs/sweep.md).

Exit codes: 0 when every point ran (even if some are infeasible or invalid: see the status
column), 2 for bad input, 130 / 143 when stopped by SIGINT / SIGTERM (finished points are
kept; rerun with --resume).
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

EPILOG = """examples:
  python -m accelsim sweep workloads/examples/deit_tiny_sweep.yaml -o results/sweep --jobs 2
  python -m accelsim sweep W.yaml -o results/sweep --resume     # continue after a stop
  python -m accelsim sweep W.yaml --axis arch.sram.weight.size_KiB=[32,64,128] --executor dask
"""


DESCRIPTION = ("Run a workload's design-space sweep: every point of its sweep: (grid) and zip: "
               "blocks, in parallel, into sweep.csv (one row per point), timings.csv and "
               "sweep_meta.json; plot it with python -m accelsim plot DIR.\n\n"
               "Exit codes: 0 when every point ran (even if some are infeasible: see the status "
               "column), 2 for bad input, 130 / 143 when stopped by SIGINT / SIGTERM (finished "
               "points are kept; rerun with --resume).")


def _parser() -> argparse.ArgumentParser:
    from workloads.cli_help import HelpFormatter

    p = argparse.ArgumentParser(prog="python -m accelsim sweep", description=DESCRIPTION,
                                epilog=EPILOG, formatter_class=HelpFormatter)
    p.add_argument("workload", type=Path, help="workload YAML with a sweep: and/or zip: block")
    p.add_argument("-o", "--out", type=Path, default=None,
                   help="output directory (default: results/<workload name>-sweep)")
    p.add_argument("-j", "--jobs", type=int, default=None,
                   help="worker processes (default: all cores); 1 runs in this process")
    p.add_argument("--executor", choices=("local", "dask"), default="local",
                   help="local process pool (default) or a Dask cluster")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="Dask scheduler to connect to (default: start a LocalCluster on 127.0.0.1)")
    p.add_argument("--resume", action="store_true",
                   help="keep the points already in the output directory and run the rest")
    p.add_argument("--retry-errors", action="store_true",
                   help="with --resume: run points whose status is error again")
    p.add_argument("--overwrite", action="store_true",
                   help="discard the results already in the output directory")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                   help="override a value of the base workload (repeatable)")
    p.add_argument("--axis", dest="axes", action="append", default=[], metavar="PATH=[V1,V2]",
                   help="add a sweep axis (innermost; repeatable)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


class RichProgress:
    """A rich progress bar with ETA and a running count of failed points (on stderr)."""

    def __init__(self, console):
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.console = console
        self.bar = Progress(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("[dim]{task.fields[failed]}"), TimeElapsedColumn(),
                            TextColumn("ETA"), TimeRemainingColumn(), console=console,
                            transient=False)
        self.task = None
        self.failed = {"infeasible": 0, "error": 0}

    def start(self, total: int, done: int, note: str) -> None:
        self.console.print(note)
        self.bar.start()
        self.task = self.bar.add_task("sweep", total=total, completed=done, failed="")

    def advance(self, rec: dict, points: int) -> None:
        if rec["status"] in self.failed:
            self.failed[rec["status"]] += points
        text = ", ".join(f"{n} {s}" for s, n in self.failed.items() if n)
        self.bar.update(self.task, advance=points, failed=text)

    def stop(self) -> None:
        self.bar.stop()


class _Signals:
    """SIGINT/SIGTERM raise KeyboardInterrupt once; later ones are ignored while cleaning up."""

    def __init__(self):
        self.received: int | None = None
        self.saved = {}

    def _handle(self, signum, _frame):
        if self.received is None:
            self.received = signum
            raise KeyboardInterrupt

    def __enter__(self):
        import threading

        if threading.current_thread() is not threading.main_thread():
            return self
        for sig in (signal.SIGINT, signal.SIGTERM):
            self.saved[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc):
        for sig, handler in self.saved.items():
            signal.signal(sig, handler)
        return False


def _report(console, outcome, interrupted: bool) -> None:
    c = outcome.counts
    console.print(f"{outcome.done}/{outcome.points} points: {c['ok']} ok, {c['infeasible']} "
                  f"infeasible, {c['error']} error ({outcome.simulated} simulated, "
                  f"{outcome.reused} reused) in {outcome.wall_s:.1f} s")
    for text in outcome.warnings:
        console.print(f"[yellow]warning:[/] {text}")
    console.print(f"wrote {outcome.csv_path}")
    if interrupted:
        console.print("[yellow]interrupted[/]: finished points are kept; continue with --resume")


def main(argv: list[str]) -> int:
    """Entry point of ``python -m accelsim sweep``."""
    from rich.console import Console

    from accelsim.sweep import SweepInterrupted, run_sweep

    args = _parser().parse_args(argv)
    console = Console(stderr=True)
    progress = None if args.quiet else RichProgress(console)
    with _Signals() as signals:
        try:
            outcome = run_sweep(args.workload, args.out, overrides=args.overrides, axes=args.axes,
                                jobs=args.jobs, executor=args.executor, scheduler=args.scheduler,
                                resume=args.resume, overwrite=args.overwrite,
                                retry_errors=args.retry_errors, progress=progress)
        except SweepInterrupted as exc:
            if progress is not None:
                progress.stop()
            _report(console, exc.outcome, interrupted=True)
            return 128 + (signals.received or signal.SIGINT)
        except KeyboardInterrupt:  # before any point ran
            console.print("[yellow]interrupted[/]")
            return 128 + (signals.received or signal.SIGINT)
        finally:
            if progress is not None:
                progress.stop()
    _report(console, outcome, interrupted=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
