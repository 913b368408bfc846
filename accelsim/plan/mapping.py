"""Per-layer tiling and loop order: the mapping (Timeloop's third spec, built in code).

A layer of ``groups`` GEMMs (``M × K × N`` each) is cut into tiles of ``Gt`` groups ×
``Mt × Kt × Nt`` and walked by a loop nest: groups outermost, then the three tile loops in one
of six orders. The search is exhaustive over a fixed candidate grid (vectorised in numpy):

* candidates do not depend on buffer sizes, and feasibility only grows with capacity, so a
  larger buffer can never pick a worse mapping (the mapper is monotone by construction);
* spatial dims are cut in whole multiples of the array size, so tile fold counts add up exactly
  to the untiled SCALE-Sim count when only spatial dims are cut;
* the objective is an estimated latency: ``fill + max(compute, traffic / bandwidth) + last
  write + partial-sum read-backs`` where the fill is the first fold of the first weight and input
  tiles (they stream in together, fold by fold); traffic, then fewer tiles break ties. The estimate
  is monotone in buffer size by construction; the simulated cycles follow it closely but not
  exactly (request-granularity effects of a few percent on small layers, see tests).

Buffer model: a double-buffered buffer gives a tile half its capacity. The output buffer holds
32-bit partial sums (``PSUM_BYTES``); finished outputs go to DRAM at activation width. Conv
input tiles are charged their real footprint (``in_elems / (groups·M·K)`` of the im2col tile).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from accelsim.errors import InfeasibleError
from accelsim.plan.pe_array import folds, spatial_temporal

PSUM_BYTES = 4
TRAFFIC_WEIGHT = 0.02
EST_TOLERANCE = 0.005
ORDERS = tuple("".join(p) for p in itertools.permutations("mkn"))  # outermost first


@dataclass(frozen=True)
class Operands:
    """Byte widths of the three operands of a layer (weights may be fractional: compressed)."""

    w_bits: float
    in_bytes: float
    out_bytes: float


@dataclass(frozen=True)
class Mapping:
    """Chosen tiling of one layer and the mapper's latency estimate for it."""

    Gt: int
    Mt: int
    Kt: int
    Nt: int
    order: str
    tiles: tuple[int, int, int, int]
    """Trip counts (tg, tm, tk, tn)."""
    est_cycles: float
    dataflow: str = "ws"
    """The array's dataflow for this layer (the arch's, unless a constraint names another)."""


@dataclass(frozen=True)
class MappingConstraint:
    """User restrictions on one layer's mapping (the workload's ``mapping:`` entries)."""

    loop_order: tuple[str, ...] | None = None
    """Allowed loop orders, outermost first (``"mkn"`` …); None: all six."""
    tile: dict | None = None
    """Fixed tile sizes by dimension (``G``, ``M``, ``K``, ``N``); the others are searched."""
    dataflow: str | None = None
    """Dataflow of the array for this layer; None: the arch's."""
    source: str = ""
    """Where the constraint comes from (named in error messages)."""


def _splits(total: int, unit: int) -> np.ndarray:
    """Balanced tile-size candidates: ``total`` cut into p nearly equal parts, each a multiple
    of ``unit`` (p = 1 … 8, then geometric), so tiles have no runt remainder."""
    units = -(-total // unit)
    parts = set(range(1, 9))
    p = 8
    while p < units:
        p = int(p * 1.5) + 1
        parts.add(p)
    parts.add(units)
    sizes = {min(total, -(-units // p) * unit) for p in parts if p <= units}
    return np.array(sorted(sizes), dtype=np.int64)


def _cut_units(dataflow: str, rows: int, cols: int) -> tuple[int, int, int]:
    """Multiple each of M, K, N must be cut in (1 on the temporal dimension)."""
    sr, sc, _ = spatial_temporal(dataflow, "M", "K", "N")
    unit = {"M": 1, "K": 1, "N": 1}
    unit[sr] = rows
    unit[sc] = cols
    return unit["M"], unit["K"], unit["N"]


def _tiled_compute(dataflow, rows, cols, M, K, N, Mt, Kt, Nt):
    """Total SCALE-Sim cycles over all tiles of one group (full tiles + remainder tiles)."""
    from accelsim.plan.pe_array import compute_cycles

    total = 0
    for m, cm in ((Mt, M // Mt), (M % Mt, 1)):
        for k, ck in ((Kt, K // Kt), (K % Kt, 1)):
            for n, cn in ((Nt, N // Nt), (N % Nt, 1)):
                count = cm * ck * cn * (m > 0) * (k > 0) * (n > 0)
                safe = [np.maximum(x, 1) for x in (m, k, n)]
                total = total + count * compute_cycles(dataflow, rows, cols, *safe)
    return total


def _reload(order: str, dims: str, trips: dict) -> np.ndarray:
    """How often an operand indexed by ``dims`` is fetched: loops outside its innermost index."""
    innermost = max(order.index(d) for d in dims)
    factor = np.ones_like(trips["m"])
    for d in order[:innermost]:
        if d not in dims:
            factor = factor * trips[d]
    return factor


def capacities(arch) -> dict[str, float]:
    """Bytes available to one tile in each buffer."""
    out = {}
    for name in ("weight", "input", "output"):
        buf = getattr(arch.sram, name)
        out[name] = buf.size_KiB * 1024 / (2 if buf.double_buffer else 1)
    return out


def map_layer(layer, arch, ops: Operands, bytes_per_cycle: float, constraint=None) -> Mapping:
    """Best feasible mapping of ``layer`` on ``arch``; :class:`InfeasibleError` if none fits.

    ``bytes_per_cycle`` is the DRAM bandwidth the estimate assumes (``inf`` for ideal memory).
    """
    return candidates(layer, arch, ops, bytes_per_cycle, constraint, top=1)[0]


def candidates(layer, arch, ops: Operands, bytes_per_cycle: float, constraint=None,
               top: int = 8, latency: float = 0.0) -> list[Mapping]:
    """Up to ``top`` feasible mappings, best estimate first (:func:`map_layer`'s pick first).

    ``constraint`` (optional) restricts the search: ``loop_order`` (allowed orders), ``tile``
    (fixed sizes per dimension ``G``/``M``/``K``/``N``) and ``dataflow`` (the array's dataflow
    for this layer); see :class:`MappingConstraint`. ``latency``: a DRAM request's latency in
    cycles (0: ignored).
    """
    constraint = constraint or MappingConstraint()
    dataflow = constraint.dataflow or arch.pe_array.dataflow
    table, tiles, orders = _feasible(layer, arch, ops, bytes_per_cycle, constraint, dataflow,
                                     latency)
    est, traffic, nsteps = table[0], table[1], table[2]
    # estimates within EST_TOLERANCE of the best are ties: then less traffic, then fewer steps
    near = np.flatnonzero(est <= est.min() * (1 + EST_TOLERANCE))
    pick = near[np.lexsort((nsteps[near], traffic[near]))[0]]
    out, seen = [], set()
    for r in [pick, *np.lexsort((nsteps, traffic, est))]:
        mp = _mapping(tiles, orders, len(tiles[0]), int(r), float(est[r]), dataflow)
        # orders that differ only in loops of one trip are the same loop nest
        nest = (mp.Gt, mp.Mt, mp.Kt, mp.Nt, "".join(d for d in mp.order if mp.tiles[1 + "mkn".index(d)] > 1))
        if nest not in seen:
            seen.add(nest)
            out.append(mp)
            if len(out) == top:
                break
    return out


def _mapping(tiles, orders, width: int, r: int, est: float, dataflow: str) -> Mapping:
    Gt, Mt, Kt, Nt, tg, tm, tk, tn = tiles
    j = r % width
    return Mapping(
        Gt=int(Gt[j]), Mt=int(Mt[j]), Kt=int(Kt[j]), Nt=int(Nt[j]), order=orders[r // width],
        tiles=(int(tg[j]), int(tm[j]), int(tk[j]), int(tn[j])), est_cycles=est, dataflow=dataflow,
    )


def _feasible(layer, arch, ops, bytes_per_cycle, constraint, dataflow, latency):
    """(estimate table, feasible tile arrays + trip counts, loop orders) under a constraint."""
    pe = arch.pe_array
    units = dict(zip("MKN", _cut_units(dataflow, pe.rows, pe.cols), strict=True), G=1)
    G, M, K, N = layer.groups, layer.M, layer.K, layer.N
    footprint = min(1.0, layer.in_elems / (G * M * K))
    fixed = constraint.tile or {}
    axes = [np.array([min(fixed[d], total)]) if d in fixed else _splits(total, units[d])
            for d, total in zip("GMKN", (G, M, K, N), strict=True)]
    Gt, Mt, Kt, Nt = (g.ravel() for g in np.meshgrid(*axes, indexing="ij"))
    cap = capacities(arch)
    need_w = Gt * Kt * Nt * ops.w_bits / 8
    need_i = Gt * Mt * Kt * footprint * ops.in_bytes
    need_o = Gt * Mt * Nt * PSUM_BYTES
    ok = (need_w <= cap["weight"]) & (need_i <= cap["input"]) & (need_o <= cap["output"])
    if not ok.any():
        _raise_infeasible(layer, need_w.min(), need_i.min(), need_o.min(), cap, constraint)
    Gt, Mt, Kt, Nt = Gt[ok], Mt[ok], Kt[ok], Nt[ok]
    tg, tm, tk, tn = -(-G // Gt), -(-M // Mt), -(-K // Kt), -(-N // Nt)
    trips = {"m": tm, "k": tk, "n": tn}
    orders = tuple(constraint.loop_order or ORDERS)
    table = _estimates(layer, arch, ops, bytes_per_cycle, (Gt, Mt, Kt, Nt), trips,
                       (need_w[ok], need_i[ok]), orders, dataflow, latency)
    return table, (Gt, Mt, Kt, Nt, tg, tm, tk, tn), orders


def _estimates(layer, arch, ops: Operands, bytes_per_cycle: float, tiles, trips, needs,
               orders=ORDERS, dataflow=None, latency: float = 0.0):
    """(estimated cycles, traffic, steps) × (loop orders · feasible tiles); ``latency``: cycles
    from a DRAM request's issue to its first byte."""
    pe = arch.pe_array
    dataflow = dataflow or pe.dataflow
    G, M, K, N = layer.groups, layer.M, layer.K, layer.N
    Gt, Mt, Kt, Nt = tiles
    need_w, need_i = needs
    tm, tk, tn = trips["m"], trips["k"], trips["n"]
    tg = -(-G // Gt)
    w_total = G * K * N * ops.w_bits / 8
    i_total = layer.in_elems * ops.in_bytes
    o_total = G * M * N * ops.out_bytes
    compute = _tiled_compute(dataflow, pe.rows, pe.cols, M, K, N, Mt, Kt, Nt) * G
    # the first weight and input tiles stream in together, fold by fold
    first_folds = Gt * folds(dataflow, pe.rows, pe.cols, Mt, Kt, Nt)
    fill = latency + (need_w + need_i) / first_folds / bytes_per_cycle
    w_tile_bytes = np.maximum(need_w, 1e-9)
    i_tile_bytes = np.maximum(need_i, 1e-9)
    # the last output tile's write is never hidden; with one output slot, none are
    out_tiles = tg * tm * tn
    o_tile = o_total / out_tiles
    exposed = o_total if not arch.sram.output.double_buffer else o_tile
    exposed_out = latency + exposed / bytes_per_cycle
    slots = {b: 2 if getattr(arch.sram, b).double_buffer else 1 for b in ("weight", "input")}
    rows = []  # per loop order: (est, traffic, steps) over the feasible tiles
    steps = tg * tm * tk * tn
    for order in orders:
        w = w_total * _reload(order, "kn", trips)
        i = i_total * _reload(order, "mk", trips)
        k_outer = order.index("k") < max(order.index("m"), order.index("n"))
        spill = _reload(order, "mn", trips) if k_outer else np.ones_like(tm)
        psum_reads = (spill - 1) * G * M * N * PSUM_BYTES
        o = o_total + 2 * psum_reads
        traffic = w + i + o
        # compute-bound: fill, then compute. Bus-bound: an operand's last tile arrives once the
        # bus has moved everything but the other operands' later tiles; the steps that reuse it
        # follow (they cannot overlap its own load). Partial sums are read back by the PE array
        # itself: never hidden. A small charge for traffic makes fewer bytes win where compute
        # hides the bus. The exposed output write comes after everything else on the bus.
        per_step = compute / steps
        moved = traffic - exposed
        est = np.maximum(fill + compute, moved / bytes_per_cycle + per_step / first_folds)
        for loaded, tile_bytes, buf in ((w, w_tile_bytes, "weight"), (i, i_tile_bytes, "input")):
            loads = loaded / tile_bytes
            run = np.clip(steps / np.maximum(loads, 1), 1, steps)
            before = moved - (moved - loaded) * (run - 1) / steps
            est = np.maximum(est, before / bytes_per_cycle + run * per_step)
            # request latency: a slot is refilled once the array moves on from its tile, so
            # `slots` refills overlap one load's latency + transfer + the steps that use it
            serial = loads * (latency + tile_bytes / bytes_per_cycle + run * per_step) / slots[buf]
            est = np.maximum(est, serial)
        # each partial-sum read-back waits its request latency, unhidden
        psum_wait = (spill - 1) * out_tiles * latency
        est = est + exposed_out + psum_wait + (psum_reads + TRAFFIC_WEIGHT * traffic) / bytes_per_cycle
        rows.append(np.stack(np.broadcast_arrays(est, traffic, steps)))
    return np.concatenate(rows, axis=1)


def _raise_infeasible(layer, need_w, need_i, need_o, cap, constraint) -> None:
    by = f" under {constraint.source}" if constraint.source else ""
    for buf, need in (("weight", need_w), ("input", need_i), ("output", need_o)):
        if need > cap[buf]:
            raise InfeasibleError(
                f"layer {layer.name!r}{by}: the smallest tile needs {need / 1024:.2f} KiB in the "
                f"{buf} buffer but only {cap[buf] / 1024:.2f} KiB is available per tile "
                f"(arch.sram.{buf}.size_KiB; halved when double_buffer is true)"
            )
    raise InfeasibleError(f"layer {layer.name!r}{by}: no tiling fits the buffers")
