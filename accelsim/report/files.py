"""Result files: CSV and JSON text, atomic writes, and a run's output folder."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path


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


def summary_json(summary: dict) -> str:
    """The text of ``summary.json``: standard JSON (NaN/inf as null), indented, newline-ended."""
    return json.dumps(_clean(summary), indent=2, default=_json_default) + "\n"


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
    atomic_write(out_dir / "summary.json", summary_json(result.summary))
    atomic_write(out_dir / "layers.csv", rows_to_csv(result.rows))
    if result.baseline_rows is not None:
        atomic_write(out_dir / "baseline_layers.csv", rows_to_csv(result.baseline_rows))
