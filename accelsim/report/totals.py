"""Whole-model totals from per-layer rows, and the run's summary (``summary.json``)."""

from __future__ import annotations

from accelsim.memory import effective_dram
from accelsim.report.columns import READ_STREAMS, WEIGHT_STREAMS, WRITE_STREAMS, read_column, write_column


def totals(rows: list[dict], clock_MHz: float, peak_GBps: float) -> dict:
    """Whole-model totals from per-layer rows. ``cycles`` is the end of the timeline (the PE
    array and the vector unit overlap where the graph allows, so it can be less than the sum of
    the rows); ``cycles_pe`` / ``cycles_vector`` sum the rows of each unit."""
    cycles = max((r["end_cycle"] for r in rows), default=0.0)
    time_ms = cycles / (clock_MHz * 1e3)
    read = {s: sum(r[read_column(s)] for r in rows) for s in READ_STREAMS}
    write = {k: sum(r[write_column(k)] for r in rows) for k in WRITE_STREAMS}
    dram = sum(read.values()) + sum(write.values())
    energy = {k: sum(r[k] for r in rows) for k in rows[0] if k.startswith("energy_")} if rows else {}
    weight_elems = sum(r["K"] * r["N"] * r["groups"] for r in rows if r["weights"])
    weight_B = sum(read[s] for s in WEIGHT_STREAMS)
    macs = sum(r["macs"] for r in rows)
    return {
        "cycles": cycles,
        "time_ms": time_ms,
        "cycles_compute": sum(r["cycles_compute"] for r in rows if r["unit"] != "vector"),
        "cycles_pe": sum(r["cycles"] for r in rows if r["unit"] != "vector"),
        "cycles_vector": sum(r["cycles"] for r in rows if r["unit"] == "vector"),
        "cycles_vector_compute": sum(r["cycles_compute"] for r in rows if r["unit"] == "vector"),
        "stall_dram": sum(r["stall_dram"] for r in rows),
        "stall_decoder": sum(r["stall_decoder"] for r in rows),
        "stall_codebook": sum(r["stall_codebook"] for r in rows),
        "macs": macs,
        "dram_read_B": read,
        "dram_write_B": write,
        "dram_bytes": dram,
        "bandwidth_GBps": dram / (time_ms * 1e6) if time_ms else 0.0,
        "peak_bandwidth_GBps": peak_GBps,
        "weight_bits_fetched_per_weight": 8 * weight_B / weight_elems if weight_elems else 0.0,
        **energy,
        "layers": len(rows),
    }


def summary(cfg, version: str, main, base=None) -> dict:
    """The ``summary.json`` of one run: workload, totals, and the baseline with the speedup.

    ``main`` and ``base`` are :class:`accelsim.flow.SchemeRun` (``rows``, ``clock_MHz``,
    ``peak_GBps``); ``base`` is None without a baseline.
    """
    out = {
        "workload": cfg.name,
        "arch": cfg.arch.name,
        "accelsim_version": version,
        "seed": cfg.seed,
        "scheme": cfg.compression.label,
        "dram": effective_dram(cfg.arch.dram),
        "totals": totals(main.rows, main.clock_MHz, main.peak_GBps),
    }
    if base is not None:
        bt = totals(base.rows, base.clock_MHz, base.peak_GBps)
        out["baseline"] = {"scheme": cfg.baseline.label, **bt}
        out["speedup_vs_baseline"] = bt["cycles"] / out["totals"]["cycles"]
    out["config"] = cfg.model_dump(mode="json")
    return out
