"""Regenerate the golden files (atomically): from the repository root,

    python -m tests.golden.update [case ...]      # or: python tests/golden/update.py [case ...]
    python -m tests.golden.update --list          # the cases and what each covers

With no case names every case is regenerated and golden files of cases that no longer exist are
removed. The simulator is imported from this checkout, whatever PYTHONPATH says.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for _p in (str(HERE.parent), str(ROOT)):  # ROOT ends up first: this checkout's accelsim wins
    if _p in sys.path:
        sys.path.remove(_p)
    sys.path.insert(0, _p)

from golden.cases import CASE_NAMES, CASES, GOLDEN_DIR, compute, dumps, golden_path  # noqa: E402


def atomic_write(path: Path, text: str) -> None:
    """Readers see the old file or the new one, never a partial one."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.golden.update", description=__doc__.split("\n")[0])
    parser.add_argument("cases", nargs="*", metavar="case", help=f"case names (default: all): {CASE_NAMES}")
    parser.add_argument("--list", action="store_true", help="list the cases and what each covers")
    args = parser.parse_args(argv)
    if args.list:
        for case in CASES:
            print(f"{case.name:34s} {case.covers}")
        return 0
    unknown = [n for n in args.cases if n not in CASE_NAMES]
    if unknown:
        parser.error(f"unknown case(s) {unknown}; known: {', '.join(CASE_NAMES)}")

    import accelsim

    if not Path(accelsim.__file__).resolve().is_relative_to(ROOT):
        parser.error(f"accelsim was imported from {accelsim.__file__}, not from {ROOT}")
    chosen = [c for c in CASES if not args.cases or c.name in args.cases]
    for case in chosen:
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix=f"golden-{case.name}-") as scratch:
            text = dumps(compute(case, Path(scratch)))
        path = golden_path(case.name)
        old = path.read_text(encoding="utf-8") if path.is_file() else None
        state = "new" if old is None else ("unchanged" if old == text else "CHANGED")
        if old != text:
            atomic_write(path, text)
        print(f"{case.name:34s} {state:9s} {time.perf_counter() - t0:6.2f} s")
    if not args.cases:
        for stale in sorted(set(GOLDEN_DIR.glob("*.json")) - {golden_path(n) for n in CASE_NAMES}):
            stale.unlink()
            print(f"{stale.stem:34s} removed (no such case)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
