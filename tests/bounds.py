"""Speedup bounds from bytes and compute: what any correct simulation of two runs must satisfy.

A run takes at least the busy cycles of each of its units (the PE array's compute, the vector
unit's, which may overlap each other) and at least its DRAM bytes at peak bandwidth (its
*roofline*, ``max(pe compute, vector compute, bytes / peak)``). So a speedup ``T_base / T_comp`` lies between
``roofline_base / T_comp`` and ``T_base / roofline_comp``.
"""

from __future__ import annotations


def roofline_cycles(totals: dict, clock_MHz: float) -> float:
    """max(PE compute, vector compute, DRAM bytes at the peak bandwidth) of one run's totals."""
    bytes_per_cycle = totals["peak_bandwidth_GBps"] / (clock_MHz / 1000.0)
    return max(totals["cycles_compute"], totals["cycles_vector_compute"],
               totals["dram_bytes"] / bytes_per_cycle)


def speedup_bounds(summary: dict) -> tuple[float, float]:
    """(lower, upper) bound on ``speedup_vs_baseline`` from the two runs' bytes and compute."""
    clock = summary["config"]["arch"]["clock_MHz"]
    comp, base = summary["totals"], summary["baseline"]
    return (roofline_cycles(base, clock) / comp["cycles"],
            base["cycles"] / roofline_cycles(comp, clock))


def roofline_ratio(summary: dict) -> float:
    """Baseline roofline / compressed roofline: the speedup an ideal overlap would give."""
    clock = summary["config"]["arch"]["clock_MHz"]
    return roofline_cycles(summary["baseline"], clock) / roofline_cycles(summary["totals"], clock)
