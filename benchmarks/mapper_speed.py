"""What selection by simulation costs: whole runs of two source trees, interleaved, medians.

    git worktree add /tmp/before <commit>        # or: git archive <commit> | tar -x -C /tmp/before
    python benchmarks/mapper_speed.py --before /tmp/before [--repeat 5]

Times, for this tree and the ``--before`` tree in alternation (so both see the same machine
load): the whole ``python -m accelsim run`` process for the DeiT-Tiny INT8 example, and the whole
process for one LLaMA-2-7B decode step (INT8). Prints the median seconds of each and their ratio.
No assertions.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = {
    "DeiT-Tiny INT8 (whole run process)": "deit_tiny_int8.yaml",
    "LLaMA-2-7B decode INT8 (whole run process)": "llama2_7b_decode_int8.yaml",
}


def timed_run(tree: Path, example: str, out: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "accelsim", "run", "--quiet", "-o", out,
                    str(ROOT / "workloads" / "examples" / example)],
                   check=True, capture_output=True, cwd=tree, env=env)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=Path, required=True, help="source tree to compare against")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    out = tempfile.mkdtemp()
    print(f"{'figure':44} {'before s':>9} {'after s':>9} {'after/before':>13}")
    for name, example in CASES.items():
        times = {"before": [], "after": []}
        for _ in range(args.repeat):
            times["before"].append(timed_run(args.before.resolve(), example, out))
            times["after"].append(timed_run(ROOT, example, out))
        b, a = (statistics.median(times[k]) for k in ("before", "after"))
        print(f"{name:44} {b:9.2f} {a:9.2f} {a / b:12.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
