"""Shared plot plumbing: Agg figures, PNG + SVG output, readable labels for paths and metrics."""

from __future__ import annotations

import io
import json
from pathlib import Path

FORMATS = ("png", "svg")
DPI = 150
#: The Okabe–Ito palette: distinguishable under the common colour-vision deficiencies.
BLUE, ORANGE, GREEN, VERMILLION = "#0072B2", "#E69F00", "#009E73", "#D55E00"
PURPLE, SKY, YELLOW, BLACK = "#CC79A7", "#56B4E9", "#F0E442", "#000000"
PALETTE = (BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, YELLOW, BLACK)
#: Per scheme: colour, marker and line style, so series stay apart in grey scale too.
SCHEME_STYLES = {"int8": {"color": BLUE, "marker": "s", "linestyle": "--"},
                 "fp16": {"color": PURPLE, "marker": "D", "linestyle": ":"},
                 "vq": {"color": ORANGE, "marker": "^", "linestyle": "-."},
                 "ssvq": {"color": GREEN, "marker": "o", "linestyle": "-"}}
SCHEME_COLORS = {k: v["color"] for k, v in SCHEME_STYLES.items()}
DIVERGING_CMAP = "RdBu"  # red below 1, blue above: colour-blind safe, unlike red-green

#: Friendly names of config keys (the last key of a dotted path), units come from the suffix.
KEY_NAMES = {"preset": "preset", "size_KiB": "size", "clock_MHz": "clock",
             "lookups_per_cycle": "lookups/cycle", "channels": "channels", "k": "codewords k",
             "d": "vector length d", "scheme": "scheme", "batch": "batch", "rows": "rows",
             "cols": "cols", "bandwidth_GBps": "bandwidth"}
PARENT_NAMES = {"weight": "weight buffer", "input": "input buffer", "output": "output buffer",
                "codebook": "codebook buffer", "dram": "DRAM", "pe_array": "PE array",
                "decoder": "decoder", "compression": "compression", "baseline": "baseline"}
UNITS = {"KiB": "KiB", "MiB": "MiB", "MHz": "MHz", "GHz": "GHz", "GBps": "GB/s", "ns": "ns",
         "bits": "bits", "pJ": "pJ", "ms": "ms", "B": "bytes"}

#: Metric column → (label, scale factor applied to the values).
METRICS = {
    "speedup_vs_baseline": ("speedup over baseline (×)", 1.0),
    "time_ms": ("latency (ms)", 1.0),
    "cycles": ("cycles (millions)", 1e-6),
    "dram_bytes": ("DRAM traffic (MiB)", 1 / 2**20),
    "energy_total_pJ": ("energy (µJ)", 1e-6),
    "bandwidth_GBps": ("achieved DRAM bandwidth (GB/s)", 1.0),
    "stall_dram": ("DRAM stall (Mcycles)", 1e-6),
    "weight_bits_fetched_per_weight": ("weight bits fetched per weight (bits)", 1.0),
}


def new_figure(width_in: float, height_in: float, ncols: int = 1, nrows: int = 1, **kw):
    """A matplotlib Figure on the Agg canvas (no pyplot, no display) and its axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


def save(fig, out_dir: Path, stem: str, formats=FORMATS) -> list[Path]:
    """Write ``stem.png`` / ``stem.svg`` atomically; returns the paths."""
    from accelsim.report import atomic_write

    paths = []
    for fmt in formats:
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=DPI)
        path = Path(out_dir) / f"{stem}.{fmt}"
        atomic_write(path, buf.getvalue())
        paths.append(path)
    return paths


def save_figure(fig, base: Path, formats=FORMATS) -> list[Path]:
    """Lay out ``fig``, write ``base`` + ``.png`` / ``.svg`` atomically and close it; the paths."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    paths = save(fig, Path(base).parent, Path(base).stem, formats)
    plt.close(fig)
    return paths


def _split_unit(key: str) -> tuple[str, str | None]:
    base, _, unit = key.rpartition("_")
    if base and unit in UNITS:
        return base, UNITS[unit]
    return key, None


def path_label(path: str, with_unit: bool = True) -> str:
    """``arch.sram.codebook.size_KiB`` → ``codebook buffer size (KiB)``."""
    keys = [k for k in path.split(".") if k not in ("arch", "sram")]
    if not keys:
        return path
    last = keys[-1]
    name = KEY_NAMES.get(last)
    unit = None
    if name is None:
        base, unit = _split_unit(last)
        name = base.replace("_", " ")
    elif last not in ("preset",):
        unit = _split_unit(last)[1]
    parent = PARENT_NAMES.get(keys[-2], keys[-2].replace("_", " ")) if len(keys) > 1 else ""
    if path == "arch.preset":
        text = "architecture"
    elif last == "preset" and parent:
        text = parent
    else:
        text = f"{parent} {name}".strip()
    return f"{text} ({unit})" if unit and with_unit else text


def metric_label(metric: str) -> tuple[str, float]:
    """Axis label and value scale of a sweep.csv metric column."""
    if metric in METRICS:
        return METRICS[metric]
    base, unit = _split_unit(metric)
    return (f"{base.replace('_', ' ')} ({unit})" if unit else metric.replace("_", " ")), 1.0


def path_unit(path: str) -> str | None:
    """The unit of a dotted path's last key (``size_KiB`` → ``KiB``), None without one."""
    return _split_unit(path.rsplit(".", 1)[-1])[1]


def value_text(value) -> str:
    """A swept value as short legend text (mappings as ``k=v`` pairs)."""
    if isinstance(value, str) and value.startswith("{"):
        try:
            data = json.loads(value)
        except ValueError:
            return value
        if isinstance(data, dict):
            if "scheme" in data:
                rest = [f"{k}={v}" for k, v in data.items() if k not in ("scheme",)]
                return " ".join([str(data["scheme"]), *rest])
            return ", ".join(f"{k}={v}" for k, v in data.items())
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
