"""Choose each layer's mapping by simulating the mapper's near-tied candidates.

The mapper's estimate (:mod:`accelsim.plan.mapping`) ranks every feasible tiling; where it cannot
separate the best few (estimates within ``NEAR`` of the best, at most ``TOP``), each is simulated
on its own — the layer alone, with a fresh memory model — and the fastest is kept (candidates
with many more steps than the estimate's pick are left out: they are slow to simulate). Choices are
cached per (layer shape, architecture, operand format, constraint), so identical blocks of a
model pay once (dense formats across runs of one process too; compressed ones within a run, as
their decoder timing depends on the run's indices).

How long a dense layer takes under one mapping does not depend on the weight, input and output
buffer sizes (they decide which tilings fit, not how a tiling runs), so simulated times are also
kept per (layer, format, mapping, the architecture without those sizes) within a process: the
points of a buffer-size sweep in one worker simulate each mapping once. A run stopped at its
limit is kept as a lower bound.
"""

from __future__ import annotations

from accelsim.engine import Engine
from accelsim.memory import make_memory
from accelsim.plan.mapping import candidates
from accelsim.plan.plan import layer_plan
from accelsim.search.constraints import constraints_for

NEAR = 0.2
"""Candidates whose estimate is within this fraction of the best one are simulated."""
TOP = 8
"""At most this many candidates are simulated per layer."""
STEPS_FACTOR = 2
"""A candidate with more than this many times the steps of the estimate's pick (and more than
``FEW_STEPS``) is not simulated: simulation time grows with steps, and where estimates tie, more
steps mean more per-request overhead."""
FEW_STEPS = 256
CACHE_SIZE = 4096
BUFFER_SIZES = ("weight", "input", "output")
"""SRAM buffers whose size only decides which tilings fit (not part of a timing's key)."""

_cache: dict = {}
_timed: dict = {}
"""(timing key, layer, format, mapping) → (when its simulation ended, its cycles): the cycles
are None when the run was stopped at its limit (then it ends no earlier)."""


class _Slower(Exception):
    """The simulation passed its time limit (a faster candidate is known)."""


def _deadline(env, limit: float):
    yield env.timeout(limit)
    raise _Slower


def timing_key(arch) -> str:
    """The architecture as far as a fixed mapping's simulated time depends on it."""
    return arch.model_dump_json(exclude={"sram": {n: {"size_KiB"} for n in BUFFER_SIZES}})


def simulate_alone(arch, layer, fmt, mp, ops, limit: float = float("inf"),
                   arch_key: str | None = None) -> float:
    """Simulated cycles of one layer under mapping ``mp``, alone on a fresh memory; ``inf`` once
    the simulation reaches ``limit`` cycles (it is stopped there). With ``arch_key``
    (:func:`timing_key` of ``arch``), dense layers' times are remembered within the process."""
    if arch_key is None or fmt.compressed:
        return _simulate(arch, layer, fmt, mp, ops, limit)[1]
    key = (arch_key, layer.op, layer.groups, layer.M, layer.K, layer.N, layer.in_elems,
           layer.weights, ops, fmt.scheme, tuple(fmt.streams.items()), fmt.codebook_bytes,
           mp.Gt, mp.Mt, mp.Kt, mp.Nt, mp.order, mp.dataflow)
    known = _timed.get(key)
    if known is not None:
        finished, cycles = known
        if limit <= finished:  # the run reaches the limit first (the deadline fires first on a tie)
            return float("inf")
        if cycles is not None:
            return cycles
    finished, cycles = _simulate(arch, layer, fmt, mp, ops, limit)
    if len(_timed) >= CACHE_SIZE:
        _timed.clear()
    _timed[key] = (finished, None if cycles == float("inf") else cycles)
    return cycles


def _simulate(arch, layer, fmt, mp, ops, limit: float) -> tuple[float, float]:
    """(when the simulation ended — ``limit`` if it was stopped there —, the layer's cycles)."""
    plan = layer_plan(0, layer, fmt, mp, arch, ops)
    engine = Engine(arch, make_memory(arch.dram), [plan], count_memory=False)
    if limit != float("inf"):
        engine.env.process(_deadline(engine.env, limit))
    try:
        st = engine.run()[0]
    except _Slower:
        return limit, float("inf")
    return engine.env.now, st.end - st.start


def fastest(arch, layer, fmt, ops, cands, arch_key: str | None = None) -> tuple:
    """(the candidate that simulates fastest — the earliest on ties —, its cycles)."""
    best, best_cycles = cands[0], float("inf")
    for mp in cands:
        cycles = simulate_alone(arch, layer, fmt, mp, ops, best_cycles, arch_key)
        if cycles < best_cycles:
            best, best_cycles = mp, cycles
    return best, best_cycles


def _steps(mp) -> int:
    tg, tm, tk, tn = mp.tiles
    return tg * tm * tk * tn


def near_ties(cands) -> list:
    """The candidates (best estimate first) that selection simulates."""
    best = cands[0]
    cap = max(FEW_STEPS, STEPS_FACTOR * _steps(best))
    return [c for c in cands if c.est_cycles <= best.est_cycles * (1 + NEAR) and _steps(c) <= cap]


def request_latency(arch) -> float:
    """Cycles a lone 64 B read takes on a fresh memory (the estimate's per-request latency)."""
    return make_memory(arch.dram).request(0.0, 0, 64, False) * arch.clock_MHz / 1000.0


class Chooser:
    """``build_plans``' ``choose`` hook for one workload: constraints + selection by simulation.

    ``simulate=False`` keeps the estimate's pick (the mapper alone).
    """

    def __init__(self, cfg, layers, simulate: bool = True) -> None:
        self.arch = cfg.arch
        self.arch_key = cfg.arch.model_dump_json()
        self.timing_key = timing_key(cfg.arch)
        self.constraints = constraints_for(cfg, layers)
        self.simulate = simulate
        self.latency = request_latency(cfg.arch)
        self._own: dict = {}

    def __call__(self, index, layer, fmt, ops, bytes_per_cycle):
        cons = self.constraints[index]
        key = (layer.op, layer.groups, layer.M, layer.K, layer.N, layer.in_elems, layer.weights,
               self.arch_key, ops, fmt.scheme, fmt.k, fmt.d, fmt.codebook_bytes,
               None if cons is None else (cons.loop_order, tuple(sorted((cons.tile or {}).items())),
                                          cons.dataflow),
               bytes_per_cycle, self.simulate)
        # dense layers are timed by their shape alone: shared across runs; compressed ones also
        # by their (seeded or traced) indices: shared within this run only, so that a run's
        # output never depends on what the process simulated before
        cache = self._own if fmt.compressed else _cache
        hit = cache.get(key)
        if hit is not None:
            return hit
        cands = candidates(layer, self.arch, ops, bytes_per_cycle, cons, TOP, self.latency)
        best = cands[0]
        near = near_ties(cands)
        if self.simulate and len(near) > 1:
            best, cycles = fastest(self.arch, layer, fmt, ops, near, self.timing_key)
            if cycles == float("inf"):  # every near tie stalls the engine: try the others
                best = fastest(self.arch, layer, fmt, ops, cands, self.timing_key)[0]
        if len(cache) >= CACHE_SIZE:
            cache.clear()
        cache[key] = best
        return best
