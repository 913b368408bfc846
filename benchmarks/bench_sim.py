"""Simulation speed: prints wall times and their ratio to the targets (no assertions).

    python benchmarks/bench_sim.py [--repeat N]

Targets (issue 3/6/8, 2-core machine): the whole `python -m accelsim run` process for the
DeiT-Tiny example ≈ 0.5 s (10× faster than SCALE-Sim's ~5-7 s for its single fc1 GEMM);
DeiT-Tiny SSVQ + INT8 baseline simulation well under 1 s; LLaMA-2-7B decode step under 5 s;
`import accelsim` under 0.5 s.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "workloads" / "examples"


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def process(args: list[str]) -> None:
    subprocess.run([sys.executable, *args], check=True, capture_output=True, cwd=ROOT)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure (best is reported)")
    args = ap.parse_args()
    import accelsim

    out = tempfile.mkdtemp()
    rows = [
        ("import accelsim (process)", 0.5,
         best_of(lambda: process(["-c", "import accelsim"]), args.repeat)),
        ("run deit_tiny_int8.yaml (whole process)", 0.5,
         best_of(lambda: process(["-m", "accelsim", "run", "--quiet", "-o", out,
                                  str(EXAMPLES / "deit_tiny_int8.yaml")]), args.repeat)),
        ("simulate DeiT-Tiny SSVQ + INT8 baseline", 1.0,
         best_of(lambda: accelsim.simulate(EXAMPLES / "deit_tiny_ssvq.yaml"), args.repeat)),
        ("simulate LLaMA-2-7B decode step (INT8)", 5.0,
         best_of(lambda: accelsim.simulate(EXAMPLES / "llama2_7b_decode_int8.yaml"), 1)),
        ("simulate LLaMA-2-7B decode step (SSVQ + INT8)", 10.0,
         best_of(lambda: accelsim.simulate(EXAMPLES / "llama2_7b_decode_ssvq.yaml"), 1)),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'figure':{width}}  {'seconds':>8}  {'target':>7}  {'target/actual':>13}")
    for name, target, secs in rows:
        print(f"{name:{width}}  {secs:8.3f}  {target:7.1f}  {target / secs:12.1f}×")
    print("SCALE-Sim 3.0 reference: ~5-7 s for the single fc1 GEMM (M=197, K=192, N=768, 32x32 ws)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
