"""Simulation speed against the targets, as ratios (no assertions), optionally against an older tree.

    python benchmarks/bench_sim.py [--repeat 5] [--long-repeat 3] [--old /path/to/old/checkout]
        [--scalesim-python /tmp/ss/bin/python] [--only NAME ...]

Every figure is a whole ``python -m accelsim run`` process (imports included), measured as the
CPU time it used (user + system: on a shared machine wall time is mostly other processes' time),
the median of ``--repeat`` runs (``--long-repeat`` for the LLaMA prefills); ``--pycache`` caches
bytecode as an installed package does (where PYTHONDONTWRITEBYTECODE is set, every run would
otherwise compile every module). With ``--old`` the
same command also runs from that checkout, alternating old and new, so both see the same load;
the 1-minute load average before and after is printed.

Targets (2-core machine): the DeiT-Tiny example ≥ 15× faster than SCALE-Sim 3.0 on that model's
single fc1 GEMM (M=197, K=192, N=768, 32×32 ws; timed with ``--scalesim-python``, else the
recorded 4.27 s); LLaMA-2-7B prefill of 512 tokens INT8 ≤ 5 s, SSVQ + INT8 baseline ≤ 10 s;
LLaMA-2-7B decode SSVQ + INT8 baseline ≤ 2 s. ``target/new`` ≥ 1 meets a target.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "workloads" / "examples"
SCALESIM_FC1_S = 4.27
"""SCALE-Sim 3.0 on DeiT-Tiny's fc1 GEMM, whole process, measured on this 2-core machine."""

# (name, workload, target seconds or None, long)
FIGURES = [
    ("deit_int8", "deit_tiny_int8.yaml", None, False),
    ("decode_int8", "llama2_7b_decode_int8.yaml", None, False),
    ("decode_ssvq", "llama2_7b_decode_ssvq.yaml", 2.0, False),
    ("prefill_int8", "llama2_7b_prefill_int8.yaml", 5.0, True),
    ("prefill_ssvq", "llama2_7b_prefill_ssvq.yaml", 10.0, True),
]


def child_env(tree: Path, pycache: Path | None) -> dict:
    """The environment of a run from ``tree``; with ``pycache``, bytecode is cached there (as
    an installed package has it) instead of every module being compiled on every run."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def cpu_seconds(tree: Path, workload: Path, out: Path, pycache: Path | None = None) -> float:
    """CPU seconds of one ``python -m accelsim run`` process run from ``tree``."""
    env = child_env(tree, pycache)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-m", "accelsim", "run", "--quiet", "-o", str(out),
                    str(workload)], check=True, capture_output=True, cwd=tree, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def scalesim_seconds(python: str | None) -> tuple[float, str]:
    if python is None:
        return SCALESIM_FC1_S, "recorded"
    sys.path.insert(0, str(ROOT))
    from benchmarks.scalesim_crosscheck import scalesim_cycles

    return scalesim_cycles(python, "ws", 32, 32, 197, 192, 768)[1], "measured now"


def measure(trees: dict, workload: Path, repeat: int, tmp: Path, pycache: Path | None) -> dict:
    """Median CPU seconds per tree, runs alternating between the trees."""
    times: dict = {name: [] for name in trees}
    for i in range(repeat):
        for name, tree in trees.items():
            cache = None if pycache is None else pycache / name
            times[name].append(cpu_seconds(tree, workload, tmp / f"{name}_{workload.stem}_{i}",
                                           cache))
    return {name: statistics.median(ts) for name, ts in times.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="runs per figure (median)")
    ap.add_argument("--long-repeat", type=int, default=3, help="runs per LLaMA prefill figure")
    ap.add_argument("--old", type=Path, default=None, help="an older checkout to compare with")
    ap.add_argument("--scalesim-python", default=None, help="python of a venv with scalesim")
    ap.add_argument("--only", nargs="*", default=None, help="figure names to run")
    ap.add_argument("--pycache", action="store_true",
                    help="cache bytecode in a temporary folder (one warm-up run per tree first), "
                         "even where PYTHONDONTWRITEBYTECODE is set")
    args = ap.parse_args(argv)
    trees = {"new": ROOT} if args.old is None else {"old": args.old.resolve(), "new": ROOT}
    scalesim_s, how = scalesim_seconds(args.scalesim_python)
    targets = {"deit_int8": scalesim_s / 15}
    print(f"load average (1 min) before: {os.getloadavg()[0]:.2f}")
    head = "".join(f"{n + ' CPU s':>12}" for n in trees)
    print(f"{'figure':14}{head}{'target s':>10}{'target/new':>12}"
          + (f"{'old/new':>9}" if len(trees) > 1 else ""))
    with tempfile.TemporaryDirectory(prefix="bench_sim_") as tmp:
        pycache = Path(tmp) / "pycache" if args.pycache else None
        if pycache is not None:
            (Path(tmp) / "warm").mkdir()
            measure(trees, EXAMPLES / "deit_tiny_int8.yaml", 1, Path(tmp) / "warm", pycache)
        for name, yaml_name, target, long in FIGURES:
            if args.only and name not in args.only:
                continue
            med = measure(trees, EXAMPLES / yaml_name, args.long_repeat if long else args.repeat,
                          Path(tmp), pycache)
            target = targets.get(name, target)
            cells = "".join(f"{med[n]:12.3f}" for n in trees)
            ratio = f"{target / med['new']:11.2f}×" if target else f"{'':>12}"
            extra = f"{med['old'] / med['new']:8.2f}×" if "old" in med else ""
            print(f"{name:14}{cells}{target or float('nan'):10.3f}{ratio}{extra}", flush=True)
            if name == "deit_int8":
                print(f"{'':14}SCALE-Sim fc1 GEMM {scalesim_s:.2f} s ({how}); DeiT-Tiny run is "
                      f"{scalesim_s / med['new']:.1f}× faster (target 15×)")
    print(f"load average (1 min) after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
