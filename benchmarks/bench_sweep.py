"""Sweep throughput: a 100-point buffer-size sweep with --jobs 1 and --jobs 2.

    python benchmarks/bench_sweep.py [W.yaml] [--points 100] [--jobs 1,2]
        [--axis arch.sram.weight.size_KiB]

Runs the workload (default: workloads/examples/deit_tiny_int8.yaml; an explicit DeiT-Tiny
layer list when the zoo is unavailable) over ``--points`` sizes spaced geometrically from 8 to
1024 KiB, once per ``--jobs`` value, and prints the wall times, the speed-up of each run over
the first, and whether the sweep.csv files are byte-identical. It also prints the CPU time the
points used: "cores busy" well below --jobs means other processes took the CPUs (the wall
times are then not the sweep's own). No assertions.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "workloads" / "examples" / "deit_tiny_int8.yaml"


def deit_tiny_layers() -> list[dict]:
    """DeiT-Tiny (224², batch 1) as an explicit GEMM list: patch embed, 12 blocks, head."""
    out = [{"name": "patch_embed", "op": "conv", "M": 196, "K": 768, "N": 192,
            "in_elems": 150528, "stride": 16, "kernel": [16, 16]}]
    for b in range(12):
        p = f"blocks.{b}."
        out += [{"name": p + "attn.qkv", "M": 197, "K": 192, "N": 576},
                {"name": p + "attn.qk", "op": "matmul", "M": 197, "K": 64, "N": 197,
                 "groups": 3, "weights": False},
                {"name": p + "attn.av", "op": "matmul", "M": 197, "K": 197, "N": 64,
                 "groups": 3, "weights": False},
                {"name": p + "attn.proj", "M": 197, "K": 192, "N": 192},
                {"name": p + "mlp.fc1", "M": 197, "K": 192, "N": 768},
                {"name": p + "mlp.fc2", "M": 197, "K": 768, "N": 192}]
    return [*out, {"name": "head", "M": 1, "K": 192, "N": 1000}]


def workload_path(requested: Path | None, tmp: Path) -> Path:
    """The YAML to sweep: the requested/default file if it loads, else the explicit fallback."""
    import accelsim
    from accelsim.errors import AccelsimError

    path = requested or DEFAULT
    try:
        accelsim.load(path)
        return path
    except AccelsimError as exc:
        if requested is not None:
            raise
        print(f"note: {path.name} does not load ({exc}); using an explicit DeiT-Tiny layer list")
    fallback = tmp / "deit_tiny_explicit.yaml"
    fallback.write_text(yaml.safe_dump({"name": "deit_tiny-explicit-int8", "arch": "edge-32x32",
                                        "layers": deit_tiny_layers(),
                                        "compression": {"scheme": "int8"}}, sort_keys=False))
    return fallback


def main(argv: list[str] | None = None) -> int:
    import numpy as np

    from accelsim.sweep import run_sweep

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("workload", type=Path, nargs="?", default=None)
    p.add_argument("--points", type=int, default=100)
    p.add_argument("--jobs", default="1,2", help="comma-separated --jobs values (default 1,2)")
    p.add_argument("--axis", default="arch.sram.weight.size_KiB", help="swept dotted path")
    args = p.parse_args(argv)
    sizes = sorted({round(float(v), 2) for v in np.geomspace(8, 1024, args.points)})
    axis = f"{args.axis}=[{', '.join(f'{v:g}' for v in sizes)}]"
    with tempfile.TemporaryDirectory(prefix="bench_sweep_") as tmp:
        tmp = Path(tmp)
        path = workload_path(args.workload, tmp)
        print(f"workload {path} — {len(sizes)} points of {args.axis} in [8, 1024] KiB")
        results = []
        for jobs in (int(j) for j in args.jobs.split(",")):
            out = tmp / f"jobs{jobs}"
            t0 = time.perf_counter()
            outcome = run_sweep(path, out, axes=[axis], jobs=jobs)
            wall_s = time.perf_counter() - t0
            results.append((jobs, wall_s, (out / "sweep.csv").read_bytes(), outcome))
            c = outcome.counts
            cpu_s = sum(float(r["cpu_s"]) for r in csv.DictReader(open(out / "timings.csv")))
            print(f"--jobs {jobs}: {wall_s:6.1f} s wall, {wall_s / len(sizes) * 1e3:6.0f} ms/point"
                  f" ({c['ok']} ok, {c['infeasible']} infeasible, {c['error']} error); points "
                  f"used {cpu_s:.1f} CPU-s = {cpu_s / wall_s:.2f} cores busy on average")
        first_jobs, first_wall, first_csv, _ = results[0]
        for jobs, wall_s, csv_bytes, _ in results[1:]:
            rows = zip(first_csv.splitlines(), csv_bytes.splitlines(), strict=False)
            differ = sum(a != b for a, b in rows)
            same = "identical" if csv_bytes == first_csv else f"DIFFERENT in {differ} rows"
            print(f"speed-up --jobs {jobs} vs --jobs {first_jobs}: {first_wall / wall_s:.2f}x "
                  f"(sweep.csv {same})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
