"""Design-space sweeps: expand a workload's grid, run the points in parallel, resume by hash.

``run_sweep(W.yaml, DIR, jobs=2)`` mirrors ``python -m accelsim sweep W.yaml -o DIR --jobs 2``:
it writes ``DIR/sweep.csv`` (one row per point: the swept values, ``config_hash``, ``status``
ok | infeasible | error, ``message``, the totals) and keeps every finished point on disk as
it ends, so an interrupted sweep loses nothing and ``resume=True`` skips what is done.
Points with the same config hash are simulated once.
"""

from __future__ import annotations

import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from accelsim.errors import ConfigError
from accelsim.sweep.grid import Grid, Point, grid_from_mapping, load_grid
from accelsim.sweep.point import config_hash, invalid_hash, record, run_point
from accelsim.sweep.store import SweepStore

CSV_REWRITE_S = 1.0

__all__ = ["Grid", "Point", "SweepInterrupted", "SweepOutcome", "config_hash", "load_grid",
           "run_point", "run_sweep"]


@dataclass
class SweepOutcome:
    """What a sweep did: where its files are, how many points ended how, how long it took."""

    out_dir: Path
    points: int
    done: int
    counts: dict[str, int]
    simulated: int
    reused: int
    wall_s: float
    executor: str
    warnings: list[str] = field(default_factory=list)

    @property
    def csv_path(self) -> Path:
        return self.out_dir / "sweep.csv"

    @property
    def complete(self) -> bool:
        return self.done == self.points


class SweepInterrupted(KeyboardInterrupt):
    """The sweep stopped on a signal; ``outcome`` describes what is on disk."""

    def __init__(self, outcome: SweepOutcome):
        super().__init__(f"sweep interrupted after {outcome.done} of {outcome.points} points")
        self.outcome = outcome


class _NoProgress:
    def start(self, total: int, done: int, note: str) -> None:
        pass

    def advance(self, rec: dict, points: int) -> None:
        pass


def _grid(workload, overrides, axes) -> Grid:
    if isinstance(workload, dict):
        return grid_from_mapping(workload, Path.cwd(), "<workload>", overrides, axes)
    return load_grid(workload, overrides, axes)


def _resolve(grid: Grid) -> tuple[list[str], dict[str, object], dict[str, dict]]:
    """Per point its hash; the config of each valid hash; a record for each invalid one."""
    hashes, configs, invalid = [], {}, {}
    for point in grid.points:
        try:
            cfg = grid.build(point)
        except ConfigError as exc:
            h = invalid_hash(grid.base, [*grid.base_overrides, *point.overrides()])
            invalid[h] = record(h, "error", str(exc), values=point.values)
        else:
            h = config_hash(cfg)
            configs.setdefault(h, cfg)
        hashes.append(h)
    if not configs:
        first = next(iter(invalid.values()))["message"]
        raise ConfigError(f"{first}\n(every one of the {len(grid.points)} points of the sweep is "
                          "invalid; fix the workload or the swept values)")
    return hashes, configs, invalid


def run_sweep(workload, out_dir=None, *, overrides=(), axes=(), jobs: int | None = None,
              executor: str = "local", scheduler: str | None = None, resume: bool = False,
              overwrite: bool = False, retry_errors: bool = False,
              progress=None) -> SweepOutcome:
    """Run every point of a workload's sweep grid; see the module docstring.

    ``overrides`` apply to the base workload (like ``--set``), ``axes`` add sweep axes
    (``"path=[v1, v2]"``). ``progress`` gets ``start(total, done, note)`` and
    ``advance(record, points)``. Raises :class:`ConfigError` for bad input and
    :class:`SweepInterrupted` (after writing everything finished) on KeyboardInterrupt.
    """
    from accelsim.sweep.executors import default_jobs, make_executor

    t0 = time.perf_counter()
    grid = _grid(workload, overrides, axes)
    out_dir = Path(out_dir) if out_dir is not None else Path("results") / f"{grid.name}-sweep"
    hashes, configs, invalid = _resolve(grid)
    store = SweepStore(out_dir)
    done, reused, warnings = _earlier(store, out_dir, hashes, invalid, resume, overwrite,
                                      retry_errors)
    todo = [(h, cfg) for h, cfg in configs.items() if h not in done]
    by_hash = _positions(hashes)

    def rows():
        return [(i, grid.points[i].values, done[h]) for i, h in enumerate(hashes) if h in done]

    def outcome() -> SweepOutcome:
        finished = rows()
        counts = {s: sum(r[2]["status"] == s for r in finished) for s in ("ok", "infeasible",
                                                                           "error")}
        return SweepOutcome(out_dir, len(hashes), len(finished), counts, simulated, reused,
                            time.perf_counter() - t0, ex.description, warnings)

    jobs = jobs if jobs is not None else default_jobs()
    ex = make_executor(executor, max(1, min(jobs, len(todo))) if executor == "local" else jobs,
                       scheduler)
    progress = progress or _NoProgress()
    simulated = 0
    last_write = 0.0
    try:
        _start(progress, hashes, invalid, done, len(todo), ex.description)
        if todo:
            with ex, closing(ex.results(todo)) as results:
                for rec in results:
                    h = rec["config_hash"]
                    rec["values"] = grid.points[by_hash[h][0]].values
                    store.write(rec)
                    done[h] = rec
                    simulated += 1
                    progress.advance(rec, len(by_hash[h]))
                    if time.perf_counter() - last_write >= CSV_REWRITE_S:
                        store.write_tables(grid.axes, rows())
                        last_write = time.perf_counter()
    except KeyboardInterrupt:
        _finish(store, grid, rows(), outcome(), jobs, executor)
        raise SweepInterrupted(outcome()) from None
    result = outcome()
    _finish(store, grid, rows(), result, jobs, executor)
    return result


def _positions(hashes: list[str]) -> dict[str, list[int]]:
    """Grid positions of each distinct config (equal configs run once)."""
    by_hash: dict[str, list[int]] = {}
    for index, h in enumerate(hashes):
        by_hash.setdefault(h, []).append(index)
    return by_hash


def _start(progress, hashes: list[str], invalid: dict, done: dict, todo: int, where: str) -> None:
    n_invalid = sum(h in invalid for h in hashes)
    n_reused = sum(h in done and h not in invalid for h in hashes)
    progress.start(len(hashes), n_invalid + n_reused,
                   f"{len(hashes)} points ({n_invalid} invalid, {n_reused} done earlier): "
                   f"{todo} to simulate on {where}")


def _earlier(store: SweepStore, out_dir: Path, hashes: list[str], invalid: dict, resume: bool,
             overwrite: bool, retry_errors: bool) -> tuple[dict, int, list[str]]:
    """The records kept from an earlier run of this sweep (and this run's invalid points):
    (records by hash, how many were reused, warnings)."""
    from accelsim import __version__

    done = store.records()
    if done or store.csv_path.exists():
        if overwrite:
            store.clear()
            done = {}
        elif not resume:
            raise ConfigError(f"{out_dir}: holds the results of an earlier sweep ({len(done)} "
                              "points); pass --resume to continue it or --overwrite to start over")
    if retry_errors:
        done = {h: r for h, r in done.items() if r.get("status") != "error"}
    wanted = set(hashes)
    done = {h: r for h, r in done.items() if h in wanted}
    reused = len(done)
    warnings = sorted({f"reused results of accelsim {r.get('accelsim_version')} (this is "
                       f"{__version__})" for r in done.values()
                       if r.get("accelsim_version") != __version__})
    for h, rec in invalid.items():
        if h not in done:
            store.write(rec)
            done[h] = rec
    return done, reused, warnings


def _finish(store: SweepStore, grid: Grid, rows: list, outcome: SweepOutcome, jobs: int,
            executor: str) -> None:
    """Write sweep.csv, timings.csv and sweep_meta.json for what is done."""
    from accelsim import __version__

    store.write_tables(grid.axes, rows)
    store.write_meta({
        "workload": grid.label, "name": grid.name, "axes": grid.axes, "groups": grid.groups,
        "base_overrides": list(grid.base_overrides), "points": outcome.points,
        "done": outcome.done, "complete": outcome.complete, "counts": outcome.counts,
        "simulated": outcome.simulated, "reused": outcome.reused, "executor": executor,
        "jobs": jobs, "ran_on": outcome.executor, "wall_s": round(outcome.wall_s, 3),
        "accelsim_version": __version__,
    })
