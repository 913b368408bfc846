"""A sweep directory: one JSON file per finished point, merged into ``sweep.csv``.

Layout of ``DIR``::

    points/<config_hash>.json   one record per finished point (written atomically, as it ends)
    sweep.csv                   one row per finished point, sorted by point index
    timings.csv                 point, config_hash, status, elapsed_s, cpu_s, worker
    sweep_meta.json             workload, axes, executor, jobs, wall time, counts

The point files are the source of truth: a killed sweep keeps every point that finished, and
``--resume`` skips the hashes found there. ``sweep.csv`` has no timing columns, so it is
byte-identical whatever the executor or number of jobs.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

from accelsim.report import atomic_write
from accelsim.sweep.point import METRICS

ID_COLUMNS = ("point",)
STATUS_COLUMNS = ("config_hash", "status", "message")


class SweepStore:
    """Reads and writes the files of one sweep output directory."""

    def __init__(self, out_dir):
        self.dir = Path(out_dir)
        self.points_dir = self.dir / "points"
        self.csv_path = self.dir / "sweep.csv"
        self.meta_path = self.dir / "sweep_meta.json"
        self.timings_path = self.dir / "timings.csv"

    def records(self) -> dict[str, dict]:
        """Finished point records by config hash (unreadable files are ignored)."""
        out = {}
        if not self.points_dir.is_dir():
            return out
        for path in sorted(self.points_dir.glob("*.json")):
            try:
                rec = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            if isinstance(rec, dict) and rec.get("config_hash") == path.stem:
                out[path.stem] = rec
        return out

    def clear(self) -> None:
        """Remove the results of an earlier sweep (only the files this store writes)."""
        for path in self.points_dir.glob("*.json") if self.points_dir.is_dir() else ():
            path.unlink()
        for path in (self.csv_path, self.timings_path, self.meta_path):
            path.unlink(missing_ok=True)

    def write(self, rec: dict) -> None:
        """Store one finished point."""
        atomic_write(self.points_dir / f"{rec['config_hash']}.json",
                     json.dumps(rec, indent=1, sort_keys=True, default=str) + "\n")

    def write_tables(self, axes: list[str], rows: list[tuple[int, dict, dict]]) -> None:
        """Write ``sweep.csv`` and ``timings.csv`` from (point index, values, record) rows."""
        rows = sorted(rows, key=lambda r: r[0])
        energy = sorted({k for _, _, rec in rows for k in rec.get("metrics", {})
                         if k.startswith("energy_") and k not in METRICS})
        header = [*ID_COLUMNS, *axes, *STATUS_COLUMNS, *METRICS, *energy]
        body = [[index, *(cell(values.get(a)) for a in axes), rec["config_hash"], rec["status"],
                 rec.get("message", ""),
                 *(cell(rec.get("metrics", {}).get(m)) for m in (*METRICS, *energy))]
                for index, values, rec in rows]
        atomic_write(self.csv_path, _csv_text(header, body))
        timing = [[index, rec["config_hash"], rec["status"], f"{rec.get('elapsed_s', 0.0):.4f}",
                   f"{rec.get('cpu_s', 0.0):.4f}", rec.get("worker", "")]
                  for index, _, rec in rows]
        atomic_write(self.timings_path, _csv_text(
            ["point", "config_hash", "status", "elapsed_s", "cpu_s", "worker"], timing))

    def write_meta(self, meta: dict) -> None:
        """Write ``sweep_meta.json`` (run information that is not a result)."""
        atomic_write(self.meta_path, json.dumps(meta, indent=2, default=str) + "\n")


def cell(value):
    """A CSV cell: empty for missing/NaN, compact JSON for lists and mappings."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return value


def _csv_text(header: list, rows: list[list]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()
