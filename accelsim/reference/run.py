"""Run a workload through the reference model: the same plans, rows and summary as a normal run."""

from __future__ import annotations

from dataclasses import dataclass

from accelsim.errors import ConfigError

MAX_COMPUTE_CYCLES = 1_000_000
"""Largest workload the reference runs: the PE array's compute cycles summed over all layers of
one scheme (the reference steps every cycle in Python, ~0.2 s per 10⁵ cycles)."""


@dataclass
class SchemeCycles:
    """One scheme through the reference (what ``report.totals.summary`` reads)."""

    rows: list[dict]
    peak_GBps: float
    clock_MHz: float


@dataclass
class ReferenceRun:
    """A workload and its baseline through the reference model (the fields of ``api.Result``)."""

    rows: list[dict]
    baseline_rows: list[dict] | None
    summary: dict
    elapsed_s: float


def run_scheme(cfg, layers, comp, trace=None, source: str = "", choose=None) -> SchemeCycles:
    """Plan ``layers`` under ``comp`` (``choose``: the mapping hook of
    :func:`~accelsim.plan.plan.build_plans`, so both models run the same mappings) and step them
    through the reference model; a workload over :data:`MAX_COMPUTE_CYCLES` is a ConfigError
    naming ``source`` (its file)."""
    from accelsim.memory import make_memory
    from accelsim.plan.plan import build_plans
    from accelsim.reference.machine import run_cycles
    from accelsim.report import energy
    from accelsim.report.rows import layer_row

    arch = cfg.arch
    memory = make_memory(arch.dram)
    plans = build_plans(cfg, layers, comp, trace, memory.peak_GBps, choose)
    compute = int(sum(float(p.schedule.compute.sum()) for p in plans))
    if compute > MAX_COMPUTE_CYCLES:
        raise ConfigError(
            f"{source or cfg.name}: --reference runs workloads of at most {MAX_COMPUTE_CYCLES:,} compute "
            f"cycles; this one has {compute:,} ({comp.label}); hint: fewer or smaller layers, "
            f"a smaller batch, or run without --reference")
    vector = [p.layer.name for p in plans if p.vector is not None]
    if vector:
        more = f" and {len(vector) - 3} more" if len(vector) > 3 else ""
        raise ConfigError(
            f"{source or cfg.name}: --reference times the PE array's layers only; this workload has "
            f"{len(vector)} vector op(s) ({', '.join(repr(n) for n in vector[:3])}{more}); hint: "
            f"run without --reference, or keep only the GEMM layers (linear, conv, matmul)")
    guard = 50 * compute + 10_000_000
    tallies = run_cycles(arch, memory, plans, guard)
    tab = energy.table(arch.energy)
    rows = [layer_row(arch, p, t, tab, memory.peak_GBps) for p, t in zip(plans, tallies, strict=True)]
    return SchemeCycles(rows, memory.peak_GBps, arch.clock_MHz)


def simulate(cfg, source: str = "", choose_for=None) -> ReferenceRun:
    """A validated workload config and its baseline through the reference model (``source``:
    the workload's file, for messages; ``choose_for(cfg, layers)``: a mapping hook per scheme,
    e.g. the event engine's selection, default the mapper's estimate)."""
    import time

    from accelsim import __version__
    from accelsim.plan import formats
    from accelsim.report.totals import summary
    from accelsim.spec.layers import resolve_layers

    t0 = time.perf_counter()
    layers = resolve_layers(cfg)
    trace = (formats.load_trace(cfg.traces, layers, cfg.compression, cfg.traces_missing)
             if cfg.traces else None)
    def hook():
        return None if choose_for is None else choose_for(cfg, layers)

    main = run_scheme(cfg, layers, cfg.compression, trace, source, hook())
    base = None
    if cfg.baseline is not None:
        same = cfg.baseline == cfg.compression and trace is None
        base = main if same else run_scheme(cfg, layers, cfg.baseline, source=source,
                                            choose=hook())
    out = summary(cfg, __version__, main, base)
    out["timing_model"] = "reference"
    return ReferenceRun(main.rows, None if base is None else base.rows, out,
                        time.perf_counter() - t0)
