"""Reading run folders back, and comparing runs: totals and per-layer deltas.

The first run is the reference; every other run is compared with it. Layers are matched by
name (a layer missing from one run has empty cells). Deltas are ``run − reference``; the
speedup of a run is ``reference cycles / run cycles``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from accelsim.errors import ConfigError

#: The quantities compared, per layer and in total.
QUANTITIES = ("cycles", "cycles_compute", "stall_dram", "stall_decoder", "stall_codebook",
              "dram_bytes", "energy_total_pJ")


@dataclass
class SavedRun:
    """A run folder read back: ``summary.json`` and ``layers.csv`` (+ the baseline's rows)."""

    name: str
    summary: dict
    layers: object
    baseline: object | None


def read_run(directory, name: str | None = None) -> SavedRun:
    """Read ``DIR/summary.json``, ``DIR/layers.csv`` and ``DIR/baseline_layers.csv`` if any."""
    import pandas as pd

    directory = Path(directory)
    paths = [directory / "summary.json", directory / "layers.csv"]
    for path in paths:
        if not path.is_file():
            raise ConfigError(f"{path}: not found (write a run with "
                              f"`python -m accelsim run W.yaml -o {directory}`)")
    try:
        summary = json.loads(paths[0].read_text())
    except ValueError as exc:
        raise ConfigError(f"{paths[0]}: not valid JSON ({exc})") from None
    base = directory / "baseline_layers.csv"
    return SavedRun(name or directory.name, summary, pd.read_csv(paths[1]),
                    pd.read_csv(base) if base.is_file() else None)


def unique_names(directories) -> list[str]:
    """Short, distinct run names: the folder names, with parents added where they clash."""
    paths = [Path(d).resolve() for d in directories]
    depth = 1
    while True:
        names = ["/".join(p.parts[-depth:]) for p in paths]
        if len(set(names)) == len(names) or depth >= max(len(p.parts) for p in paths):
            return names
        depth += 1


def totals_frame(runs: list[SavedRun]):
    """One row per run: workload, scheme, arch, the totals of :data:`QUANTITIES`, time_ms,
    ``speedup_vs_first`` and ``delta_cycles`` (against the first run)."""
    import pandas as pd

    rows = []
    for run in runs:
        t = run.summary.get("totals") or {}
        rows.append({"run": run.name, "workload": run.summary.get("workload"),
                     "scheme": run.summary.get("scheme"), "arch": run.summary.get("arch"),
                     "time_ms": t.get("time_ms"), **{q: t.get(q) for q in QUANTITIES}})
    df = pd.DataFrame(rows)
    ref = df["cycles"].iloc[0]
    df["speedup_vs_first"] = ref / df["cycles"]
    for q in QUANTITIES:
        df[f"delta_{q}"] = df[q] - df[q].iloc[0]
    return df


def layers_frame(runs: list[SavedRun]):
    """Per-layer deltas: one row per (run, layer) for every run after the first, with
    ``<q>_ref``, ``<q>`` and ``delta_<q>`` for each quantity; layers matched by name."""
    import pandas as pd

    ref = _layer_table(runs[0])
    frames = []
    for run in runs[1:]:
        other = _layer_table(run)
        merged = ref.merge(other, on="layer", how="outer", suffixes=("_ref", ""), sort=False)
        order = list(dict.fromkeys([*ref["layer"], *other["layer"]]))  # model order, not A–Z
        merged = merged.set_index("layer").loc[order].reset_index()
        merged.insert(0, "run", run.name)
        for q in QUANTITIES:
            merged[f"delta_{q}"] = merged[q] - merged[f"{q}_ref"]
        frames.append(merged)
    if not frames:
        return pd.DataFrame(columns=["run", "layer"])
    out = pd.concat(frames, ignore_index=True)
    out["op"] = out["op"].fillna(out.pop("op_ref"))
    cols = ["run", "layer", "op"] + [c for q in QUANTITIES
                                     for c in (f"{q}_ref", q, f"delta_{q}")]
    return out[cols]


def _layer_table(run: SavedRun):
    df = run.layers
    cols = ["layer", "op", *(q for q in QUANTITIES if q in df.columns)]
    table = df[cols].copy()
    for q in QUANTITIES:
        if q not in table.columns:
            table[q] = float("nan")
    if table["layer"].duplicated().any():
        raise ConfigError(f"{run.name}/layers.csv: layer names repeat; runs are compared by "
                          "layer name")
    return table
