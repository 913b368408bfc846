"""Results: per-layer frame, summary totals, atomic files, and the terminal table."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

STREAMS = ("weights", "scales", "index", "sign", "codebook", "operand", "embedding", "input",
           "psum_read")
"""DRAM read streams, each a ``dram_read_<stream>_B`` column of ``layers.csv``."""
WEIGHT_STREAMS = STREAMS[:5]
"""The streams that carry a layer's weights (for bits fetched per weight)."""


def totals(rows: list[dict], clock_MHz: float, peak_GBps: float) -> dict:
    """Whole-model totals from per-layer rows."""
    cycles = sum(r["cycles_total"] for r in rows)
    time_ms = cycles / (clock_MHz * 1e3)
    read = {s: sum(r[f"dram_read_{s}_B"] for r in rows) for s in STREAMS}
    write = {"output": sum(r["dram_write_output_B"] for r in rows),
             "psum": sum(r["dram_write_psum_B"] for r in rows)}
    dram = sum(read.values()) + sum(write.values())
    energy = {k: sum(r[k] for r in rows) for k in rows[0] if k.startswith("energy_")} if rows else {}
    weight_elems = sum(r["K"] * r["N"] * r["groups"] for r in rows if r["weights"])
    weight_B = sum(read[s] for s in WEIGHT_STREAMS)
    macs = sum(r["macs"] for r in rows)
    return {
        "cycles": cycles,
        "time_ms": time_ms,
        "cycles_compute": sum(r["cycles_compute"] for r in rows),
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


def to_frame(rows: list[dict]):
    """Per-layer rows as a pandas DataFrame (the columns of ``layers.csv``)."""
    import pandas as pd

    return pd.DataFrame(rows)


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write a file so that readers see the old or the new content, never a partial one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode) as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _json_default(obj):
    if hasattr(obj, "item"):
        return obj.item()
    return str(obj)


def _clean(obj):
    """NaN/inf → None so the JSON is standard."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj


def rows_to_csv(rows: list[dict]) -> str:
    """CSV text of per-layer rows (same columns and order as the DataFrame)."""
    import csv
    import io

    buf = io.StringIO()
    if rows:
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()})
    return buf.getvalue()


def write_outputs(result, out_dir: Path) -> None:
    """``summary.json`` and ``layers.csv`` (+ ``baseline_layers.csv``) into ``out_dir``."""
    out_dir = Path(out_dir)
    atomic_write(out_dir / "summary.json",
                 json.dumps(_clean(result.summary), indent=2, default=_json_default) + "\n")
    atomic_write(out_dir / "layers.csv", rows_to_csv(result.rows))
    if result.baseline_rows is not None:
        atomic_write(out_dir / "baseline_layers.csv", rows_to_csv(result.baseline_rows))


def print_table(result, console=None, max_rows: int = 20) -> None:
    """A rich summary: the costliest layers, then the totals and the speedup."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    rows = result.rows
    tab = Table(title=f"{result.summary['workload']} on {result.summary['arch']}")
    for col in ("layer", "op", "M×K×N", "cycles", "compute", "stall DRAM", "stall dec",
                "stall cb", "util", "DRAM KiB", "bound"):
        tab.add_column(col, justify="left" if col in ("layer", "op", "bound") else "right",
                       no_wrap=True)
    top = sorted(rows, key=lambda r: -r["cycles_total"])[:max_rows]
    for r in sorted(top, key=rows.index):
        shape = f"{r['M']}×{r['K']}×{r['N']}" + (f" ×{r['groups']}" if r["groups"] > 1 else "")
        tab.add_row(str(r["layer"]), r["op"], shape, f"{r['cycles_total']:,.0f}",
                    f"{r['cycles_compute']:,.0f}", f"{r['stall_dram']:,.0f}",
                    f"{r['stall_decoder']:,.0f}", f"{r['stall_codebook']:,.0f}",
                    f"{r['pe_util']:.0%}", f"{r['dram_bytes'] / 1024:,.1f}", r["bound"])
    if len(rows) > max_rows:
        tab.caption = f"the {max_rows} costliest of {len(rows)} layers; all of them in layers.csv"
    console.print(tab)
    t = result.summary["totals"]
    console.print(f"[bold]{result.summary['scheme']}[/]: {t['cycles']:,.0f} cycles = "
                  f"{t['time_ms']:.3f} ms, DRAM {t['dram_bytes'] / 2**20:,.2f} MiB at "
                  f"{t['bandwidth_GBps']:.2f} GB/s, energy {t.get('energy_total_pJ', 0) / 1e6:,.2f} µJ")
    base = result.summary.get("baseline")
    if base:
        speedup = result.summary["speedup_vs_baseline"]
        console.print(f"baseline [bold]{base['scheme']}[/]: {base['cycles']:,.0f} cycles = "
                      f"{base['time_ms']:.3f} ms → speedup [bold]{speedup:.2f}×[/]")
