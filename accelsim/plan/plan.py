"""One typed :class:`LayerPlan` per layer: layer → format → mapping → schedule → placement →
decoder work. Everything the engine needs, decided before any simulation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.plan import formats
from accelsim.plan.decode import TileDecoder
from accelsim.plan.mapping import Mapping, Operands, map_layer
from accelsim.plan.placement import Placement, next_weight_base, place_layer
from accelsim.plan.residency import residency
from accelsim.plan.schedule import Schedule, build_schedule
from accelsim.plan.vector import VectorWork, vector_work

MAPPER_BW_EFFICIENCY = 0.9
"""Share of the memory's peak bandwidth the mapper's latency estimate assumes."""


@dataclass
class LayerPlan:
    """Everything the engine needs about one layer."""

    layer: object
    fmt: formats.LayerFormat
    mapping: Mapping | None
    """None for layers without a GEMM (embedding lookups)."""
    schedule: Schedule
    place: Placement
    decode: TileDecoder | None = None
    """Decoder work of a compressed layer, or None."""
    vector: VectorWork | None = None
    """Vector-unit work of a vector op (then the PE array and its DMA skip the layer), or None."""
    deps: tuple[int, ...] = ()
    """Indices of the layers whose output tensors this layer reads."""

    @property
    def codebook_bytes(self) -> int:
        return self.fmt.codebook_bytes


def gather_schedule(layer, act_bytes: int, out_bytes: int) -> Schedule:
    """An embedding lookup: fetch the looked-up rows, write them out; no MACs."""
    one = np.ones(1, dtype=bool)
    return Schedule(
        compute=np.zeros(1), folds=np.ones(1), new_w=one, w_tile=np.zeros(1, np.int64),
        w_elems=np.array([layer.M * layer.N]),
        w_bytes={"embedding": np.array([layer.M * layer.N * act_bytes])},
        new_i=~one, i_bytes=np.zeros(1, np.int64), out_start=one,
        psum_read=np.zeros(1, np.int64), out_end=one, o_bytes=np.array([out_bytes]), o_final=one,
    )


def no_steps() -> Schedule:
    """The empty schedule of a layer the PE array does not run (a vector op)."""
    z = np.zeros(0)
    b = np.zeros(0, dtype=bool)
    return Schedule(compute=z, folds=z, new_w=b, w_tile=z.astype(np.int64), w_elems=z, w_bytes={},
                    new_i=b, i_bytes=z, out_start=b, psum_read=z, out_end=b, o_bytes=z, o_final=b)


def _vector_plan(i, layer, arch, resident, sizes, deps) -> LayerPlan:
    """A vector op: its inputs not on chip are read from DRAM once each (a broadcast input
    once, not once per repeat)."""
    from workloads.graph import read_elems
    from workloads.layer import EXTERNAL

    act = formats.ACT_BYTES[arch.pe_array.mac]
    read_B = [0 if name != EXTERNAL and resident[name] else min(elems, sizes.get(name, elems)) * act
              for name, elems in zip(layer.inputs, read_elems(layer), strict=True)]
    write_B = 0 if resident[layer.output] else layer.out_elems * act
    lanes = arch.vector_unit.lanes or arch.pe_array.cols
    work = vector_work(layer, arch.vector_unit, lanes, read_B, write_B, act)
    fmt = formats.LayerFormat("none", 0, {})
    return LayerPlan(layer, fmt, None, no_steps(), place_layer(i, no_steps(), 0), vector=work,
                     deps=deps)


SCHEDULE_CACHE_SIZE = 64
_schedules: dict = {}


def schedule(layer, mp: Mapping, pe, fmt, ops: Operands) -> Schedule:
    """:func:`~accelsim.plan.schedule.build_schedule` of a layer, shared by every layer of the
    same shape, tiling, array and operand bytes (a transformer's blocks, a mapping simulated
    during selection and then planned)."""
    key = (layer.groups, layer.M, layer.K, layer.N, layer.in_elems, mp.Gt, mp.Mt, mp.Kt, mp.Nt,
           mp.order, mp.dataflow, pe.rows, pe.cols, tuple(fmt.streams.items()), ops.in_bytes,
           ops.out_bytes)
    sched = _schedules.get(key)
    if sched is None:
        sched = build_schedule(layer, mp, mp.dataflow, pe.rows, pe.cols, fmt.streams,
                               ops.in_bytes, ops.out_bytes)
        if len(_schedules) >= SCHEDULE_CACHE_SIZE:
            _schedules.pop(next(iter(_schedules)))
        _schedules[key] = sched
    return sched


def layer_plan(index: int, layer, fmt, mp: Mapping, arch, ops: Operands, w_base: int = 0,
               deps: tuple[int, ...] = ()) -> LayerPlan:
    """The plan of one weight or matmul layer under mapping ``mp`` (``deps``: the layers whose
    outputs it reads)."""
    sched = schedule(layer, mp, arch.pe_array, fmt, ops)
    decode = TileDecoder(layer, fmt, mp, arch) if fmt.compressed else None
    return LayerPlan(layer, fmt, mp, sched, place_layer(index, sched, w_base), decode, deps=deps)


def build_plans(cfg, layers, comp, trace, peak_GBps: float, choose=None) -> list[LayerPlan]:
    """Plan every layer of a workload under one compression config.

    ``choose(index, layer, fmt, ops, bytes_per_cycle)`` picks each layer's mapping (default:
    the mapper's best estimate, :func:`~accelsim.plan.mapping.map_layer`).
    """
    from workloads.graph import connect, producers
    from workloads.layer import EXTERNAL

    layers = connect(layers, strict=False)
    arch = cfg.arch
    act = formats.ACT_BYTES[arch.pe_array.mac]
    bytes_per_cycle = peak_GBps * MAPPER_BW_EFFICIENCY / (arch.clock_MHz / 1000.0)
    resident = residency(layers, arch, act)
    deps = producers(layers)
    sizes = {la.output: la.out_elems for la in layers}
    plans, w_base = [], 0
    for i, layer in enumerate(layers):
        if layer.unit == "vector":
            plans.append(_vector_plan(i, layer, arch, resident, sizes, deps[i]))
            continue
        fmt = formats.layer_format(layer, comp, act, cfg.seed, trace)
        if not layer.weights and len(layer.inputs) > 1 and layer.inputs[1] != EXTERNAL \
                and resident[layer.inputs[1]]:
            fmt = formats.LayerFormat("act", fmt.elems, {"operand": 0})  # operand read from SRAM
        first = layer.inputs[0] if layer.inputs else EXTERNAL
        in_res = first != EXTERNAL and resident[first]
        out_b = 0 if resident[layer.output] else act
        if layer.op == "embedding":
            sched = gather_schedule(layer, act, layer.out_elems * out_b)
            plan = LayerPlan(layer, fmt, None, sched, place_layer(i, sched, w_base), deps=deps[i])
        else:
            ops = Operands(fmt.w_bits, 0 if in_res else act, out_b)
            mp = (choose(i, layer, fmt, ops, bytes_per_cycle) if choose is not None
                  else map_layer(layer, arch, ops, bytes_per_cycle))
            plan = layer_plan(i, layer, fmt, mp, arch, ops, w_base, deps[i])
        plans.append(plan)
        w_base = next_weight_base(w_base, plan.schedule, fmt)
    return plans
