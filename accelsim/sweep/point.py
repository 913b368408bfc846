"""One design point: its config hash, and simulating it into a record that never raises.

A record is a plain JSON-able dict: ``config_hash``, ``status`` (``ok`` | ``infeasible`` |
``error``), ``message``, ``metrics`` (the flat totals that become ``sweep.csv`` columns),
``elapsed_s`` (wall) and ``cpu_s`` (this process's CPU time), ``worker`` and
``accelsim_version``.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time

from accelsim._version import __version__
from accelsim.report.columns import STREAM_COLUMNS, read_column, write_column

HASH_CHARS = 16

#: sweep.csv metric columns, in order (energy components follow, sorted).
METRICS = (
    "scheme", "cycles", "time_ms", "speedup_vs_baseline", "baseline_scheme", "baseline_cycles",
    "baseline_time_ms", "cycles_compute", "stall_dram", "stall_decoder", "stall_codebook",
    "dram_bytes", *STREAM_COLUMNS,
    "bandwidth_GBps", "peak_bandwidth_GBps", "dram_peak_GBps", "weight_bits_fetched_per_weight",
    "energy_total_pJ", "baseline_energy_total_pJ",
)

def _canonical(data) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode()


def config_hash(cfg) -> str:
    """A short, stable hash of a resolved workload config (its sweep blocks excluded)."""
    data = cfg.model_dump(mode="json", exclude={"sweep", "zip"})
    return hashlib.sha256(_canonical(data)).hexdigest()[:HASH_CHARS]


def invalid_hash(base: dict, overrides: list[str]) -> str:
    """The hash of a point whose config does not validate (from its raw inputs)."""
    blob = _canonical({"invalid": True, "base": base, "overrides": list(overrides)})
    return hashlib.sha256(blob).hexdigest()[:HASH_CHARS]


def metrics(summary: dict) -> dict:
    """The flat ``sweep.csv`` metrics of one simulated workload's summary."""
    t = summary["totals"]
    out = {"scheme": summary.get("scheme"), "cycles": t["cycles"], "time_ms": t["time_ms"],
           "speedup_vs_baseline": summary.get("speedup_vs_baseline")}
    base = summary.get("baseline") or {}
    out.update({"baseline_scheme": base.get("scheme"), "baseline_cycles": base.get("cycles"),
                "baseline_time_ms": base.get("time_ms"),
                "baseline_energy_total_pJ": base.get("energy_total_pJ")})
    for key in ("cycles_compute", "stall_dram", "stall_decoder", "stall_codebook", "dram_bytes",
                "bandwidth_GBps", "peak_bandwidth_GBps", "weight_bits_fetched_per_weight"):
        out[key] = t.get(key)
    out["dram_peak_GBps"] = (summary.get("dram") or {}).get("peak_GBps")
    for stream, nbytes in t.get("dram_read_B", {}).items():
        out[read_column(stream)] = nbytes
    for key, nbytes in t.get("dram_write_B", {}).items():
        out[write_column(key)] = nbytes
    out.update({k: v for k, v in t.items() if k.startswith("energy_")})
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in out.items()}


def _one_line(text: str) -> str:
    return " | ".join(line.strip() for line in str(text).strip().splitlines() if line.strip())


def record(cfg_hash: str, status: str, message: str = "", values: dict | None = None,
           metrics_: dict | None = None, elapsed_s: float = 0.0, cpu_s: float = 0.0) -> dict:
    """A point record (see the module docstring)."""
    return {"config_hash": cfg_hash, "status": status, "message": _one_line(message),
            "values": values or {}, "metrics": metrics_ or {}, "elapsed_s": elapsed_s,
            "cpu_s": cpu_s, "worker": f"{socket.gethostname()}:{os.getpid()}",
            "accelsim_version": __version__}


def run_point(cfg, cfg_hash: str) -> dict:
    """Simulate one validated config; every failure becomes a record, nothing is raised."""
    from accelsim.errors import AccelsimError, InfeasibleError
    from accelsim.flow import simulate_config

    t0, c0 = time.perf_counter(), time.process_time()

    def timed(**kw) -> dict:
        return {"elapsed_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0, **kw}

    try:
        summary = simulate_config(cfg).summary
    except InfeasibleError as exc:
        return record(cfg_hash, "infeasible", str(exc), **timed())
    except AccelsimError as exc:
        return record(cfg_hash, "error", str(exc), **timed())
    except Exception as exc:  # noqa: BLE001 — one bad point must not stop the sweep
        return record(cfg_hash, "error", f"internal error: {type(exc).__name__}: {exc}",
                      **timed())
    return record(cfg_hash, "ok", "", **timed(metrics_=metrics(summary)))
