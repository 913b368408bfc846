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


def layer_plan(index: int, layer, fmt, mp: Mapping, arch, ops: Operands, w_base: int = 0) -> LayerPlan:
    """The plan of one weight or matmul layer under mapping ``mp``."""
    pe = arch.pe_array
    sched = build_schedule(layer, mp, mp.dataflow, pe.rows, pe.cols, fmt.streams, ops.in_bytes,
                           ops.out_bytes)
    decode = TileDecoder(layer, fmt, mp, arch) if fmt.compressed else None
    return LayerPlan(layer, fmt, mp, sched, place_layer(index, sched, w_base), decode)


def build_plans(cfg, layers, comp, trace, peak_GBps: float, choose=None) -> list[LayerPlan]:
    """Plan every layer of a workload under one compression config.

    ``choose(index, layer, fmt, ops, bytes_per_cycle)`` picks each layer's mapping (default:
    the mapper's best estimate, :func:`~accelsim.plan.mapping.map_layer`).
    """
    arch = cfg.arch
    act = formats.ACT_BYTES[arch.pe_array.mac]
    bytes_per_cycle = peak_GBps * MAPPER_BW_EFFICIENCY / (arch.clock_MHz / 1000.0)
    resident = residency(layers, arch, act)
    plans, w_base = [], 0
    for i, layer in enumerate(layers):
        fmt = formats.layer_format(layer, comp, act, cfg.seed, trace)
        in_res = i > 0 and resident[i - 1]
        out_b = 0 if resident[i] else act
        if layer.op == "embedding":
            sched = gather_schedule(layer, act, layer.out_elems * out_b)
            plan = LayerPlan(layer, fmt, None, sched, place_layer(i, sched, w_base))
        else:
            ops = Operands(fmt.w_bits, 0 if in_res else act, out_b)
            mp = (choose(i, layer, fmt, ops, bytes_per_cycle) if choose is not None
                  else map_layer(layer, arch, ops, bytes_per_cycle))
            plan = layer_plan(i, layer, fmt, mp, arch, ops, w_base)
        plans.append(plan)
        w_base = next_weight_base(w_base, plan.schedule, fmt)
    return plans
