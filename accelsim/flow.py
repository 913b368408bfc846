"""The whole flow of a run as one visible list of stages (the CLI, the API and sweeps call it):

1. ``spec.layers.resolve_layers``   — the workload's layers (zoo, ``layers:`` list, ONNX)
2. ``plan.formats.load_trace``      — real indices from a trace, checksums verified
3. per compression scheme (the workload's, then the baseline's):
   a. ``plan.plan.build_plans``     — format, mapping, schedule, placement, decoder work;
      ``search.select.Chooser`` picks each mapping (constraints, near-ties simulated alone)
   b. ``memory.make_memory``        — a fresh memory model
   c. ``engine.Engine.run``         — the discrete-event simulation
   d. ``report.rows.layer_row``     — one ``layers.csv`` row per layer
4. ``report.totals.summary``        — totals, baseline and speedup (``summary.json``)
"""

from __future__ import annotations

from dataclasses import dataclass

from accelsim import __version__
from accelsim.engine import Engine
from accelsim.memory import make_memory
from accelsim.plan import formats
from accelsim.plan.plan import build_plans
from accelsim.report import energy
from accelsim.report.rows import layer_row
from accelsim.report.totals import summary
from accelsim.search.select import Chooser
from accelsim.spec.layers import resolve_layers


@dataclass
class SchemeRun:
    """One simulated compression scheme: per-layer rows and the memory's peak bandwidth."""

    rows: list[dict]
    peak_GBps: float
    clock_MHz: float


@dataclass
class RunResult:
    """A workload simulated under its compression and its baseline."""

    rows: list[dict]
    baseline_rows: list[dict] | None
    summary: dict


def run_scheme(cfg, layers, comp, trace=None, progress=None) -> SchemeRun:
    """Simulate ``layers`` under one compression config on the workload's architecture;
    ``progress(layers_done, layers)`` follows the simulation."""
    arch = cfg.arch
    memory = make_memory(arch.dram)
    plans = build_plans(cfg, layers, comp, trace, memory.peak_GBps, Chooser(cfg, layers))
    stats = Engine(arch, memory, plans).run(progress)
    tab = energy.table(arch.energy)
    rows = [layer_row(arch, p, s, tab, memory.peak_GBps) for p, s in zip(plans, stats, strict=True)]
    return SchemeRun(rows, memory.peak_GBps, arch.clock_MHz)


def simulate_config(cfg, progress=None) -> RunResult:
    """Simulate a validated config and its baseline on the same arch.

    ``progress(label, layers_done, layers)`` is called as layers finish (label: the scheme, or
    ``baseline <scheme>``).
    """
    layers = resolve_layers(cfg)
    trace = formats.load_trace(cfg.traces, layers, cfg.compression) if cfg.traces else None

    def follow(label):
        return None if progress is None else (lambda done, total: progress(label, done, total))

    main = run_scheme(cfg, layers, cfg.compression, trace, follow(cfg.compression.label))
    base = None
    if cfg.baseline is not None:
        if cfg.baseline == cfg.compression and trace is None:
            base = main
        else:
            base = run_scheme(cfg, layers, cfg.baseline,
                              progress=follow(f"baseline {cfg.baseline.label}"))
    return RunResult(main.rows, None if base is None else base.rows,
                     summary(cfg, __version__, main, base))
