"""The whole flow of a run as one visible list of stages (the CLI, the API and sweeps call it):

:func:`prepare` (every check; ``validate`` stops here):

1. ``spec.layers.resolve_layers``   — the workload's layers (zoo, ``layers:`` list, ONNX)
2. ``spec.limits.check_layers``     — documented size limits on the resolved layers
3. ``plan.formats.load_trace``      — real indices from a trace, checksums verified
4. per compression scheme (the workload's, then the baseline's):
   a. ``memory.make_memory``        — a fresh memory model
   b. ``plan.plan.build_plans``     — format, mapping, schedule, placement, decoder work;
      ``search.select.Chooser`` picks each mapping (constraints, near-ties simulated alone)

then per scheme:

5. ``engine.Engine.run``            — the discrete-event simulation
6. ``report.rows.layer_row``        — one ``layers.csv`` row per layer
7. ``report.totals.summary``        — totals, baseline and speedup (``summary.json``)
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from accelsim import __version__
from accelsim.engine import Engine
from accelsim.errors import AccelsimError
from accelsim.memory import make_memory
from accelsim.plan import formats
from accelsim.plan.plan import build_plans
from accelsim.report import energy
from accelsim.report.rows import layer_row
from accelsim.report.totals import summary
from accelsim.search.select import Chooser
from accelsim.spec import limits
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


@dataclass
class SchemePlan:
    """One compression scheme planned and ready to simulate (a fresh memory model included)."""

    comp: object
    memory: object
    plans: list


@dataclass
class Prepared:
    """Everything a run decides before simulating: every check ``validate`` makes."""

    layers: list
    main: SchemePlan
    baseline: SchemePlan | None
    """None without a baseline; ``main`` itself when the baseline would be identical."""


@contextlib.contextmanager
def labelled(cfg):
    """Prefix errors raised inside with the workload's file name (when they lack it)."""
    label = getattr(cfg, "source", "")
    try:
        yield
    except AccelsimError as exc:
        text = str(exc)
        if not label or text.startswith(label):
            raise
        raise type(exc)(f"{label}: {text}") from None


def plan_scheme(cfg, layers, comp, trace=None) -> SchemePlan:
    """Plan ``layers`` under one compression config on the workload's architecture."""
    memory = make_memory(cfg.arch.dram)
    plans = build_plans(cfg, layers, comp, trace, memory.peak_GBps, Chooser(cfg, layers))
    return SchemePlan(comp, memory, plans)


def prepare(cfg) -> Prepared:
    """Layers, size limits, trace, energy table and the plans of both schemes (no simulation)."""
    with labelled(cfg):
        layers = resolve_layers(cfg)
        limits.check_layers(layers, getattr(cfg, "source", "workload"))
        trace = None
        if cfg.traces:
            trace = formats.load_trace(cfg.traces, layers, cfg.compression, cfg.traces_missing)
        energy.table(cfg.arch.energy)
        main = plan_scheme(cfg, layers, cfg.compression, trace)
        base = None
        if cfg.baseline is not None:
            same = cfg.baseline == cfg.compression and trace is None
            base = main if same else plan_scheme(cfg, layers, cfg.baseline)
        for planned in {id(p): p for p in (main, base) if p is not None}.values():
            steps = sum(p.schedule.steps for p in planned.plans)
            if steps > limits.MAX_TOTAL_STEPS:
                raise limits.too_large(getattr(cfg, "source", "workload"),
                                       f"{planned.comp.label}: tile steps of all layers", steps,
                                       limits.MAX_TOTAL_STEPS)
    return Prepared(layers, main, base)


def run_scheme(cfg, planned: SchemePlan, progress=None) -> SchemeRun:
    """Simulate one planned scheme; ``progress(layers_done, layers)`` follows the simulation."""
    arch = cfg.arch
    memory, plans = planned.memory, planned.plans
    stats = Engine(arch, memory, plans).run(progress)
    tab = energy.table(arch.energy)
    rows = [layer_row(arch, p, s, tab, memory.peak_GBps) for p, s in zip(plans, stats, strict=True)]
    return SchemeRun(rows, memory.peak_GBps, arch.clock_MHz)


def simulate_config(cfg, progress=None) -> RunResult:
    """Simulate a validated config and its baseline on the same arch.

    ``progress(label, layers_done, layers)`` is called as layers finish (label: the scheme, or
    ``baseline <scheme>``).
    """
    prep = prepare(cfg)

    def follow(label):
        return None if progress is None else (lambda done, total: progress(label, done, total))

    with labelled(cfg):
        main = run_scheme(cfg, prep.main, follow(cfg.compression.label))
        base = None
        if prep.baseline is prep.main:
            base = main
        elif prep.baseline is not None:
            base = run_scheme(cfg, prep.baseline, follow(f"baseline {cfg.baseline.label}"))
    return RunResult(main.rows, None if base is None else base.rows,
                     summary(cfg, __version__, main, base))
