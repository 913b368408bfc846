"""The Python API: :func:`simulate` mirrors ``python -m accelsim run``, :func:`load` mirrors
``python -m accelsim validate``, and a :class:`Result` saves and plots what ``run`` writes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path


@dataclass
class Result:
    """One simulated workload and its baseline, as ``python -m accelsim run`` reports them.

    Attributes:
        config: the validated :class:`~accelsim.spec.config.WorkloadConfig` that was simulated.
        rows: one dict per layer (the rows of ``layers.csv``).
        baseline_rows: the baseline scheme's rows, or None when the workload has no baseline.
        summary: what ``summary.json`` holds (``summary["totals"]["cycles"]`` ...; every key is
            listed in docs/outputs.md).
        elapsed_s: wall time of the simulation in seconds.

    ``layers`` and ``baseline_layers`` are the same rows as pandas DataFrames.
    """

    config: object
    rows: list[dict]
    baseline_rows: list[dict] | None
    summary: dict
    elapsed_s: float = 0.0

    @cached_property
    def layers(self):
        """Per-layer results (the columns of ``layers.csv``) as a pandas DataFrame."""
        from accelsim.report import to_frame

        return to_frame(self.rows)

    @cached_property
    def baseline_layers(self):
        """The baseline's per-layer results as a DataFrame, or None without a baseline."""
        from accelsim.report import to_frame

        return None if self.baseline_rows is None else to_frame(self.baseline_rows)

    @property
    def totals(self) -> dict:
        """Whole-model totals (``summary["totals"]``): cycles, time_ms, bytes, energy ..."""
        return self.summary["totals"]

    @property
    def speedup(self) -> float | None:
        """Baseline cycles / cycles, or None without a baseline."""
        return self.summary.get("speedup_vs_baseline")

    def save(self, directory) -> Path:
        """Write ``summary.json``, ``layers.csv`` (and ``baseline_layers.csv``) into
        ``directory``, exactly as ``python -m accelsim run -o DIR`` does; returns the folder.

        >>> res.save("results/deit")  # doctest: +SKIP
        PosixPath('results/deit')
        """
        from accelsim.report import write_outputs

        directory = Path(directory)
        write_outputs(self, directory)
        return directory

    def figures(self, kinds=None) -> dict:
        """The run's plots as matplotlib Figures keyed by kind, the same figures as
        ``python -m accelsim plot DIR``: ``breakdown``, ``roofline``, ``energy``, and
        ``breakdown_layers`` for models over 24 layers (or the ``kinds`` asked for).

        >>> figs = res.figures()                                 # doctest: +SKIP
        >>> figs["roofline"].savefig("roofline.svg")             # doctest: +SKIP
        """
        from accelsim.plots import run_figures, run_kinds
        from accelsim.plots.run_plots import RunData

        kinds = run_kinds(len(self.rows)) if kinds is None else kinds
        return run_figures(RunData(self.summary, self.layers, self.baseline_layers), kinds)


def load(workload, overrides=None):
    """Validate a workload without simulating it (``python -m accelsim validate``).

    Args:
        workload: a YAML file path, a mapping with the same keys as the YAML, or an already
            validated :class:`~accelsim.spec.config.WorkloadConfig`.
        overrides: changes applied before validation, either a mapping of dotted paths to
            values (``{"batch": 2, "arch.dram.preset": "LPDDR5-6400"}``) or ``--set``-style
            strings (``["batch=2"]``, values parsed as YAML).

    Returns:
        The validated :class:`~accelsim.spec.config.WorkloadConfig`.

    Raises:
        accelsim.errors.ConfigError: the message names the file, the YAML path and a hint.

    Paths inside a YAML file resolve against that file's folder; paths in a mapping workload and
    in ``overrides`` resolve against the current folder.
    """
    from accelsim.spec.config import WorkloadConfig
    from accelsim.spec.loader import build_workload, load_workload

    overrides = overrides or ()
    if isinstance(workload, WorkloadConfig):
        if not overrides:
            return workload
        workload = workload.model_dump(mode="json", exclude_none=True)
    if isinstance(workload, dict):
        return build_workload(workload, Path.cwd(), "<workload>", overrides)
    return load_workload(workload, overrides)


def simulate(workload, overrides=None, progress=None) -> Result:
    """Simulate a workload and its baseline on the same architecture (``accelsim run``).

    Args:
        workload: a YAML file path, a mapping with the YAML's keys, or a
            :class:`~accelsim.spec.config.WorkloadConfig`.
        overrides: a mapping of dotted paths to values, e.g.
            ``{"batch": 8, "arch.sram.codebook.size_KiB": 4}``, or ``--set``-style strings
            ``["batch=8"]``.
        progress: optional ``progress(label, layers_done, layers)`` callback, called as layers
            finish (label: the scheme, or ``baseline <scheme>``).

    Returns:
        A :class:`Result`: ``res.layers`` (DataFrame of ``layers.csv``), ``res.summary``
        (``summary.json``), ``res.speedup``, ``res.save(dir)``, ``res.figures()``.

    Raises:
        accelsim.errors.ConfigError: bad input (file, YAML path and a hint in the message).
        accelsim.errors.InfeasibleError: a layer that cannot be mapped onto the buffers.

    Example::

        import accelsim
        res = accelsim.simulate("workloads/examples/deit_tiny_ssvq.yaml", {"batch": 4})
        print(res.totals["cycles"], res.speedup)
        res.save("results/deit_b4")
    """
    from accelsim.flow import simulate_config

    t0 = time.perf_counter()
    cfg = load(workload, overrides)
    run = simulate_config(cfg, progress)
    return Result(cfg, run.rows, run.baseline_rows, run.summary, time.perf_counter() - t0)
