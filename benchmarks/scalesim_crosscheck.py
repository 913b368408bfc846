"""Cross-check accelsim's PE-array cycles against SCALE-Sim 3.0 (run in its own venv).

    python -m venv /tmp/ss && /tmp/ss/bin/pip install scalesim numpy==2.3.5
    python benchmarks/scalesim_crosscheck.py --scalesim-python /tmp/ss/bin/python

Runs SCALE-Sim on a few GEMMs for ws/os/is, parses its "Compute cycles", and prints them next to
``accelsim.plan.pe_array.compute_cycles`` plus SCALE-Sim's wall time per GEMM (no assertions).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHAPES = [(197, 192, 768), (64, 100, 50), (10, 5, 6), (1, 4096, 512)]  # M, K, N
CFG = """[general]
run_name = x
[architecture_presets]
ArrayHeight: {rows}
ArrayWidth: {cols}
IfmapSramSzkB: 1024
FilterSramSzkB: 1024
OfmapSramSzkB: 1024
IfmapOffset: 0
FilterOffset: 10000000
OfmapOffset: 20000000
Bandwidth : 10
Dataflow : {flow}
MemoryBanks: 1
ReadRequestBuffer: 32
WriteRequestBuffer: 32
[layout]
IfmapCustomLayout: False
FilterCustomLayout: False
IfmapSRAMBankBandwidth: 10
IfmapSRAMBankNum: 10
IfmapSRAMBankPort: 2
FilterSRAMBankBandwidth: 10
FilterSRAMBankNum: 10
FilterSRAMBankPort: 2
[sparsity]
SparsitySupport : false
SparseRep : ellpack_block
OptimizedMapping : false
BlockSize : 8
RandomNumberGeneratorSeed : 40
[run_presets]
InterfaceBandwidth: CALC
UseRamulatorTrace: False
"""


def scalesim_cycles(python: str, flow: str, rows: int, cols: int, M: int, K: int, N: int):
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "scale.cfg").write_text(CFG.format(rows=rows, cols=cols, flow=flow))
        (d / "gemm.csv").write_text(f"Layer, M, N, K,\ng, {M}, {N}, {K},\n")
        t0 = time.perf_counter()
        out = subprocess.run([python, "-m", "scalesim.scale", "-c", "scale.cfg", "-t", "gemm.csv",
                              "-l", "gemm.csv", "-i", "gemm", "-p", "out", "-s", "N"],
                             cwd=d, capture_output=True, text=True, check=True).stdout
        secs = time.perf_counter() - t0
    return int(re.search(r"Compute cycles: (\d+)", out).group(1)), secs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scalesim-python", required=True, help="python of a venv with scalesim")
    ap.add_argument("--array", default="32x32", help="ROWSxCOLS (default 32x32)")
    args = ap.parse_args()
    from accelsim.plan.pe_array import compute_cycles

    rows, cols = (int(v) for v in args.array.split("x"))
    print(f"{'flow':4} {'M':>5} {'K':>5} {'N':>5} {'accelsim':>10} {'SCALE-Sim':>10} {'diff':>5} "
          f"{'SCALE-Sim s':>11}")
    for flow in ("ws", "os", "is"):
        for M, K, N in SHAPES:
            ours = compute_cycles(flow, rows, cols, M, K, N)
            theirs, secs = scalesim_cycles(args.scalesim_python, flow, rows, cols, M, K, N)
            print(f"{flow:4} {M:5} {K:5} {N:5} {ours:10} {theirs:10} {ours - theirs:5} {secs:11.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
