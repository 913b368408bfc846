"""Result files: CSV and JSON text, atomic writes, and a run's output folder."""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from pathlib import Path

from accelsim.errors import ConfigError

RUN_FILES = ("summary.json", "layers.csv", "baseline_layers.csv")
"""What one run writes; a run folder may also hold ``plots/`` (from ``accelsim plot``)."""


def _umask() -> int:
    old = os.umask(0o022)
    os.umask(old)
    return old


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
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; results are ordinary files
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


def check_out_dir(out_dir: Path) -> None:
    """Before simulating: ``out_dir`` can be written (created, or a previous run's folder replaced).

    A ConfigError names the folder and why when it is a file, holds files that are not a run's
    outputs, or cannot be written."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"-o {out}: exists and is not a folder; choose a folder name")
    if out.is_dir():
        other = sorted(p.name for p in out.iterdir() if p.name not in (*RUN_FILES, "plots"))
        if other:
            raise ConfigError(f"-o {out}: holds files that are not a run's outputs (e.g. "
                              f"{other[0]!r}); choose a new or empty folder, or a previous run's")
    parent = out.absolute().parent
    blocker = next((p for p in (parent, *parent.parents) if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise ConfigError(f"-o {out}: {blocker} is a file, not a folder; choose another folder")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryDirectory(dir=parent, prefix=f".{out.name}.probe.").cleanup()
    except OSError as exc:
        raise ConfigError(f"-o {out}: cannot write there ({exc.strerror or exc}); choose another "
                          "folder") from None


def write_dir(out_dir: Path, files: dict[str, str]) -> None:
    """Write ``files`` (name → text) as one set: into a temporary folder beside ``out_dir``, then
    renamed into place, replacing any previous run there. A reader sees the old set or the new
    one, never a mix; on failure (a full disk) nothing changes."""
    out = Path(out_dir)
    parent = out.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=parent, prefix=f".{out.name}.new."))
    except OSError as exc:
        raise ConfigError(f"-o {out}: cannot write there ({exc.strerror or exc})") from None
    try:
        for name, text in files.items():
            atomic_write(tmp / name, text)
        os.chmod(tmp, 0o777 & ~_umask())
        _swap_in(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ConfigError(f"-o {out}: writing the results failed ({exc.strerror or exc}); "
                          "nothing was changed") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _swap_in(new: Path, out: Path) -> None:
    """Rename folder ``new`` to ``out``, replacing (and deleting) a folder already there."""
    if not out.exists():
        os.replace(new, out)
        return
    old = Path(tempfile.mkdtemp(dir=new.parent, prefix=f".{out.name}.old."))
    os.replace(out, old / "run")
    try:
        os.replace(new, out)
    except OSError:
        os.replace(old / "run", out)
        raise
    finally:
        shutil.rmtree(old, ignore_errors=True)


def write_outputs(result, out_dir: Path) -> None:
    """``summary.json`` and ``layers.csv`` (+ ``baseline_layers.csv``) into ``out_dir``, as a set."""
    files = {"summary.json": summary_json(result.summary), "layers.csv": rows_to_csv(result.rows)}
    if result.baseline_rows is not None:
        files["baseline_layers.csv"] = rows_to_csv(result.baseline_rows)
    write_dir(out_dir, files)
