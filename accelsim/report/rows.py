"""One ``layers.csv`` row per layer, from its plan and what the engine measured."""

from __future__ import annotations

import numpy as np

from accelsim.plan.formats import ACT_BYTES
from accelsim.report import energy
from accelsim.report.columns import READ_STREAMS, WRITE_STREAMS, read_column, write_column


def buffer_counts(plan, arch, st) -> dict:
    """SRAM bytes moved per buffer: DMA fills plus array traffic (ws-style operand reuse); for a
    vector op, its input reads (and fills from DRAM), its output writes and its lane operations."""
    sch, layer, pe, fmt = plan.schedule, plan.layer, arch.pe_array, plan.fmt
    if plan.vector is not None:
        work = plan.vector
        return {"macs": 0, "weight_buf_B": 0, "input_buf_B": work.sram_read_B + sum(work.read_B),
                "output_buf_B": work.out_B, "codebook_buf_B": 0, "decoded_weights": 0.0,
                "dram_B": sum(st.bytes.values()), "vector_ops": work.lane_ops}
    fetched = sch.w_tile[sch.new_w]
    fills_w = sum(float(np.sum(b[fetched])) for b in sch.w_bytes.values())
    act = ACT_BYTES[pe.mac]
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


def weight_refetch(plan) -> float:
    """Weight elements fetched / weight elements of the layer (1: every weight fetched once)."""
    sch = plan.schedule
    unique = float(np.sum(sch.w_elems))
    return float(np.sum(sch.w_elems[sch.w_tile[sch.new_w]])) / unique if unique else 1.0


def _timing(plan, st, pe) -> dict:
    layer, mp = plan.layer, plan.mapping
    cycles = st.end - st.start
    return {
        "layer": layer.name, "op": layer.op, "unit": layer.unit, "M": layer.M, "K": layer.K, "N": layer.N,
        "groups": layer.groups, "weights": layer.weights, "macs": layer.macs,
        "scheme": plan.fmt.scheme,
        "tile": "" if mp is None else f"{mp.Gt}x{mp.Mt}x{mp.Kt}x{mp.Nt}",
        "loop_order": "" if mp is None else mp.order, "steps": plan.schedule.steps,
        "weight_refetch": weight_refetch(plan),
        "start_cycle": st.start, "end_cycle": st.end,
        "cycles": cycles, "est_cycles": float("nan") if mp is None else mp.est_cycles,
        "cycles_compute": st.compute,
        # float sums of waits can leave -1e-12 where a stall is really 0
        "stall_dram": max(0.0, st.stall_dram), "stall_decoder": max(0.0, st.stall_decoder),
        "stall_codebook": max(0.0, st.stall_codebook),
        "pe_util": layer.macs / (cycles * pe.rows * pe.cols) if cycles else 0.0,
        "decoder_busy": st.decoder_busy, "decoder_conflicts": st.decoder_conflicts,
        "codebook_passes": plan.decode.passes if plan.decode is not None else 0,
    }


def layer_row(arch, plan, st, tab, peak_GBps) -> dict:
    """The ``layers.csv`` row of one layer (columns: docs/outputs.md)."""
    ghz = arch.clock_MHz / 1000.0
    row = _timing(plan, st, arch.pe_array)
    cycles = row["cycles"]
    for stream in READ_STREAMS:
        row[read_column(stream)] = int(st.bytes.get(stream, 0))
    for key, stream in WRITE_STREAMS.items():
        row[write_column(key)] = int(st.bytes.get(stream, 0))
    total_b = sum(st.bytes.values())
    row["dram_bytes"] = int(total_b)
    row["bandwidth_GBps"] = total_b / (cycles / ghz) if cycles else 0.0
    hits, misses = st.mem.get("row_hits", 0.0), st.mem.get("row_misses", 0.0)
    row["row_hit_rate"] = hits / (hits + misses) if hits + misses else float("nan")
    fmt = plan.fmt
    row["bits_per_weight"] = (fmt.w_bits + 8 * fmt.codebook_bytes / fmt.elems) if fmt.elems else 0.0
    row.update(energy.layer_energy(tab, arch, buffer_counts(plan, arch, st),
                                   st.mem.get("energy_pJ", 0.0)))
    # the DRAM model's split of energy_dram_pJ (bank-level presets only)
    for part in ("act", "rdwr", "ref", "bg"):
        row[f"dram_{part}_pJ"] = st.mem.get(f"energy_{part}_pJ", 0.0)
    dram_cycles = total_b / (peak_GBps / ghz) if peak_GBps != float("inf") else 0.0
    busy = {"vector" if plan.vector else "compute": st.compute, "dram": dram_cycles,
            "decoder": st.decoder_busy,
            "codebook": st.stall_codebook}
    row["bound"] = max(busy, key=busy.get)
    return row
