"""From a validated workload to per-layer results: layers → formats → mappings → engine.

Activation residency: a layer's output stays on chip when the whole tensor fits both the output
buffer and the input buffer (full capacities); the next layer then reads it without DRAM
traffic. Otherwise it is written to DRAM and read back. The stationary operand of an
activation × activation matmul (attention K/V, the KV cache in decode) always comes from DRAM.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim import compression, energy
from accelsim.engine import TILE_ALIGN, Engine, LayerPlan
from accelsim.mapping import Operands, map_layer
from accelsim.memory import make_memory
from accelsim.report import STREAMS as READ_STREAMS
from accelsim.schedule import Schedule, build_schedule


@dataclass
class RunOutput:
    """One simulated configuration: per-layer rows plus the memory model used."""

    rows: list[dict]
    peak_GBps: float
    clock_MHz: float


def resolve_layers(cfg) -> list:
    """The workload's layers (zoo model, explicit list, or imported ONNX file)."""
    from accelsim.errors import ConfigError
    from workloads.layer import Layer

    if cfg.layers is not None:
        return [Layer(**spec.model_dump()) for spec in cfg.layers]
    if cfg.onnx is not None:
        from workloads import importers

        bad = set(cfg.model_args) - {"input_shape", "decode_context"}
        if bad:
            raise ConfigError(f"model_args.{sorted(bad)[0]}: not an ONNX import option "
                              "(accepted: input_shape, decode_context)")
        try:
            return importers.load_onnx(cfg.onnx, batch=cfg.batch, **cfg.model_args).layers
        except ValueError as exc:
            raise ConfigError(f"onnx: {exc}") from None
    from workloads import zoo

    try:
        return zoo.build(cfg.model, batch=cfg.batch, **cfg.model_args)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"model: {exc}") from None


def _residency(layers, arch, act_bytes: int) -> list[bool]:
    """Whether each layer's output stays on chip for the next layer."""
    out_cap = arch.sram.output.size_KiB * 1024
    in_cap = arch.sram.input.size_KiB * 1024
    res = []
    for i, layer in enumerate(layers):
        size = layer.out_elems * act_bytes
        res.append(i + 1 < len(layers) and size <= out_cap and size <= in_cap)
    return res


def _gather_schedule(layer, act_bytes: int, out_bytes: int) -> Schedule:
    """An embedding lookup: fetch the looked-up rows, write them out; no MACs."""
    one = np.ones(1, dtype=bool)
    return Schedule(
        compute=np.zeros(1), folds=np.ones(1), new_w=one, w_tile=np.zeros(1, np.int64),
        w_elems=np.array([layer.M * layer.N]),
        w_bytes={"embedding": np.array([layer.M * layer.N * act_bytes])},
        new_i=~one, i_bytes=np.zeros(1, np.int64), out_start=one,
        psum_read=np.zeros(1, np.int64), out_end=one, o_bytes=np.array([out_bytes]), o_final=one,
    )


def plan(cfg, layers, comp, trace=None):
    """Map and schedule every layer; returns (plans, formats, mappings, memory)."""
    arch = cfg.arch
    memory = make_memory(arch.dram)
    act = compression.ACT_BYTES[arch.pe_array.mac]
    bytes_per_cycle = memory.peak_GBps * 0.9 / (arch.clock_MHz / 1000.0)
    resident = _residency(layers, arch, act)
    plans, formats, mappings = [], [], []
    w_base = 0
    pe = arch.pe_array
    for i, layer in enumerate(layers):
        fmt = compression.layer_format(layer, comp, act, cfg.seed, trace)
        in_res = i > 0 and resident[i - 1]
        out_b = 0 if resident[i] else act
        if layer.op == "embedding":
            sched, mp = _gather_schedule(layer, act, layer.out_elems * out_b), None
        else:
            ops = Operands(fmt.w_bits, 0 if in_res else act, out_b)
            mp = map_layer(layer, arch, ops, bytes_per_cycle)
            sched = build_schedule(layer, mp, pe.dataflow, pe.rows, pe.cols, fmt.streams,
                                   ops.in_bytes, out_b)
        plans.append(LayerPlan(layer, sched, w_base, fmt.codebook_bytes))
        formats.append(fmt)
        mappings.append(mp)
        w_base += (sched.steps + 1) * TILE_ALIGN + sum(fmt.streams.values())
    return plans, formats, mappings, memory


def run(cfg, layers, comp, trace=None, progress=None) -> RunOutput:
    """Simulate ``layers`` under one compression config on the workload's architecture;
    ``progress(layers_done, layers)`` follows the simulation."""
    from accelsim import decoder as decoder_mod

    arch = cfg.arch
    plans, formats, mappings, memory = plan(cfg, layers, comp, trace)
    unit = decoder_mod.attach(arch, plans, formats, mappings)
    stats = Engine(arch, memory, plans, unit).run(progress)
    tab = energy.table(arch.energy)
    rows = [_row(arch, p, f, m, s, tab, memory.peak_GBps)
            for p, f, m, s in zip(plans, formats, mappings, stats, strict=True)]
    return RunOutput(rows, memory.peak_GBps, arch.clock_MHz)


def _buffer_counts(plan: LayerPlan, fmt, arch, st) -> dict:
    """SRAM bytes moved per buffer: DMA fills plus array traffic (ws-style operand reuse)."""
    sch, layer, pe = plan.schedule, plan.layer, arch.pe_array
    fetched = sch.w_tile[sch.new_w]
    fills_w = sum(float(np.sum(b[fetched])) for b in sch.w_bytes.values())
    act = compression.ACT_BYTES[pe.mac]
    k_folds = -(-layer.K // pe.rows)
    n_folds = -(-layer.N // pe.cols)
    return {
        "macs": layer.macs,
        "weight_buf_B": 2 * fills_w,
        "input_buf_B": st.bytes.get("input", 0) + layer.groups * layer.M * layer.K * n_folds * act,
        "output_buf_B": layer.out_elems * k_folds * 2 * 4,
        "codebook_buf_B": st.codebook_reads + st.bytes.get("codebook", 0),
        "decoded_weights": float(np.sum(sch.w_elems[fetched])) if fmt.compressed else 0.0,
        "dram_B": sum(st.bytes.values()),
    }


def _row(arch, plan: LayerPlan, fmt, mp, st, tab, peak_GBps) -> dict:
    layer = plan.layer
    ghz = arch.clock_MHz / 1000.0
    cycles = st.end - st.start
    pe = arch.pe_array
    row = {
        "layer": layer.name, "op": layer.op, "M": layer.M, "K": layer.K, "N": layer.N,
        "groups": layer.groups, "weights": layer.weights, "macs": layer.macs, "scheme": fmt.scheme,
        "tile": "" if mp is None else f"{mp.Gt}x{mp.Mt}x{mp.Kt}x{mp.Nt}",
        "loop_order": "" if mp is None else mp.order, "steps": plan.schedule.steps,
        "cycles_total": cycles, "cycles_compute": st.compute,
        # float sums of waits can leave -1e-12 where a stall is really 0
        "stall_dram": max(0.0, st.stall_dram), "stall_decoder": max(0.0, st.stall_decoder),
        "stall_codebook": max(0.0, st.stall_codebook),
        "pe_util": layer.macs / (cycles * pe.rows * pe.cols) if cycles else 0.0,
        "decoder_busy": st.decoder_busy, "decoder_conflicts": st.decoder_conflicts,
        "codebook_passes": plan.decode.passes if plan.decode is not None else 0,
    }
    for stream in READ_STREAMS:
        row[f"dram_read_{stream}_B"] = int(st.bytes.get(stream, 0))
    row["dram_write_output_B"] = int(st.bytes.get("output", 0))
    row["dram_write_psum_B"] = int(st.bytes.get("psum_write", 0))
    total_b = sum(st.bytes.values())
    row["dram_bytes"] = int(total_b)
    row["bandwidth_GBps"] = total_b / (cycles / ghz) if cycles else 0.0
    hits, misses = st.mem.get("row_hits", 0.0), st.mem.get("row_misses", 0.0)
    row["row_hit_rate"] = hits / (hits + misses) if hits + misses else float("nan")
    row["bits_per_weight"] = fmt.w_bits + (8 * fmt.codebook_bytes / fmt.elems)
    row.update(energy.layer_energy(tab, arch, _buffer_counts(plan, fmt, arch, st),
                                   st.mem.get("energy_pJ", 0.0)))
    # the DRAM model's split of energy_dram_pJ (bank-level presets only)
    for part in ("act", "rdwr", "ref", "bg"):
        row[f"dram_{part}_pJ"] = st.mem.get(f"energy_{part}_pJ", 0.0)
    dram_cycles = total_b / (peak_GBps / ghz) if peak_GBps != float("inf") else 0.0
    busy = {"compute": st.compute, "dram": dram_cycles, "decoder": st.decoder_busy,
            "codebook": st.stall_codebook}
    row["bound"] = max(busy, key=busy.get)
    return row
