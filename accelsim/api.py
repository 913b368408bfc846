"""The Python API: ``accelsim.simulate(...)`` mirrors ``python -m accelsim run``."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path


@dataclass
class Result:
    """One simulated workload: per-layer rows and the summary written to ``summary.json``.

    ``layers`` / ``baseline_layers`` are pandas DataFrames built on first access.
    """

    config: object
    rows: list[dict]
    baseline_rows: list[dict] | None
    summary: dict
    elapsed_s: float = 0.0

    @cached_property
    def layers(self):
        """Per-layer results (the columns of ``layers.csv``) as a DataFrame."""
        from accelsim.report import to_frame

        return to_frame(self.rows)

    @cached_property
    def baseline_layers(self):
        """The baseline's per-layer results, or None without a baseline."""
        from accelsim.report import to_frame

        return None if self.baseline_rows is None else to_frame(self.baseline_rows)

    @property
    def speedup(self) -> float | None:
        return self.summary.get("speedup_vs_baseline")


def load(workload, overrides=()):
    """A validated :class:`~accelsim.spec.config.WorkloadConfig` from a path, mapping or config."""
    from accelsim.spec.config import WorkloadConfig
    from accelsim.spec.loader import build_workload, load_workload

    if isinstance(workload, WorkloadConfig):
        if not overrides:
            return workload
        workload = workload.model_dump(mode="json", exclude_none=True)
    if isinstance(workload, dict):
        return build_workload(workload, Path.cwd(), "<workload>", overrides)
    return load_workload(workload, overrides)


def simulate(workload, overrides=(), progress=None) -> Result:
    """Simulate a workload (YAML path, mapping or config) and its baseline on the same arch.

    ``progress(label, layers_done, layers)`` is called as layers finish (label: the scheme, or
    ``baseline <scheme>``).
    """
    from accelsim.flow import simulate_config

    t0 = time.perf_counter()
    cfg = load(workload, overrides)
    run = simulate_config(cfg, progress)
    return Result(cfg, run.rows, run.baseline_rows, run.summary, time.perf_counter() - t0)
