"""How closely the event engine agrees with the cycle-stepped reference model (issue 19).

    nice -n 10 python benchmarks/reference_agreement.py [--cases 300] [--seed 0] [--csv out.csv]
        [--chain 1] [--only 98,209] [--no-row-hold] [--split-reads] [--no-refresh]

Draws random small single-GEMM cases (M, K, N 8–384; arrays 4–32 rows/cols; ws/os/is; INT8, VQ
and SSVQ with skewed real indices written as traces; single/double buffering per buffer; tight
and loose buffers and codebook buffers; ideal, LPDDR4 and LPDDR5 DRAM), runs each through the
engine and the reference, and prints the distribution of engine cycles / reference cycles and,
per component (compute and the three stalls), of the difference of its share of the total.
``--chain N`` makes each case N GEMMs, each reading the one before (figures of their summed
cycles). Goal: median within 0.5 %, 99th percentile within 2 %, worst within 5 %. The figures are also
broken down by memory kind (ideal memory isolates the combining logic from the DRAM model).

Diagnostics: ``--only`` runs just the listed case indices (of the same draw); ``--no-row-hold``
switches the DRAM model's row hold off in both models (``BankState.hold`` returns the bare
precharge time), to tell its effect from everything else; ``--split-reads`` makes the engine
issue its reads as 64 B requests (the reference's DMA issues one request per DRAM burst), to tell
the memory model's answer to the request form (one request per tile against many) from the
combining logic; ``--no-refresh`` switches refresh off in both models (no refresh ever starts),
to tell the timing differences that a refresh amplifies (a request meeting one in one model and
not in the other; a refresh inside a transfer) from the rest.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MAX_COMPUTE = 150_000
"""Cases are redrawn until their closed-form compute cycles are at most this (run time)."""
COMPONENTS = ("cycles_compute", "stall_dram", "stall_decoder", "stall_codebook")


def _log_int(rng, lo: int, hi: int) -> int:
    return int(round(math.exp(rng.uniform(math.log(lo), math.log(hi)))))


def _sram(rng, tight: bool) -> dict:
    def buf(lo, hi):
        size = float(rng.choice([lo, hi / 2, hi])) if tight else 256.0
        return {"size_KiB": size, "double_buffer": bool(rng.random() < 0.6)}
    return {"weight": buf(1, 8), "input": buf(1, 8), "output": buf(2, 16)}


def draw_case(rng, index: int, chain: int = 1) -> dict:
    """One random case (plain data; :func:`workload` turns it into a workload mapping): one GEMM,
    or with ``chain`` > 1 that many, each reading the previous one's output (the same M; each
    later one's K is the previous one's N, its N drawn as the first's)."""
    from accelsim.plan.pe_array import compute_cycles

    while True:
        case = {"index": index, "M": _log_int(rng, 8, 384), "K": _log_int(rng, 8, 384),
                "N": _log_int(rng, 8, 384), "rows": int(rng.choice([4, 8, 16, 32])),
                "cols": int(rng.choice([4, 8, 16, 32])), "dataflow": str(rng.choice(["ws", "os", "is"])),
                "scheme": str(rng.choice(["int8", "vq", "ssvq"])),
                "dram": str(rng.choice(["ideal", "LPDDR4-3200", "LPDDR5-6400"])),
                "clock_MHz": int(rng.choice([800, 1000])), "tight": bool(rng.random() < 0.5)}
        case["next_N"] = [_log_int(rng, 8, 384) for _ in range(chain - 1)]
        if sum(compute_cycles(case["dataflow"], case["rows"], case["cols"], case["M"], k, n)
               for _, k, n in gemms(case)) <= MAX_COMPUTE:
            break
    case["sram"] = _sram(rng, case["tight"])
    if case["scheme"] != "int8":
        k, d = ((int(rng.choice([16, 64, 256])), int(rng.choice([2, 4, 8]))) if case["scheme"] == "vq"
                else (int(rng.choice([8, 16, 64])), int(rng.choice([4, 8]))))
        case.update(k=k, d=d, codebook_KiB=float(rng.choice([0.25, 1, 16])),
                    lookups=int(rng.choice([4, 8, 16, 32])), banks=int(rng.choice([2, 4, 8])),
                    trace_seed=int(rng.integers(1 << 31)))
    return case


def gemms(case: dict) -> list[tuple[str, int, int]]:
    """The case's layers as (name, K, N): ``gemm``, then ``gemm1``, … reading the one before."""
    out = [("gemm", case["K"], case["N"])]
    for i, n in enumerate(case.get("next_N", []), start=1):
        out.append((f"gemm{i}", out[-1][2], n))
    return out


def write_case_trace(case: dict, out_dir: Path) -> Path:
    """A skewed VQ/SSVQ trace for the case's layers: 60 % of vectors use 4 hot codewords."""
    from workloads.trace import write_trace

    rng = np.random.default_rng(case["trace_seed"])
    k, d = case["k"], case["d"]
    layers = []
    for name, kk, n in gemms(case):
        n_vec = n * -(-kk // d)
        idx = rng.integers(0, k, n_vec)
        hot = rng.random(n_vec) < 0.6
        idx[hot] = rng.integers(0, 4, int(hot.sum()))
        layer = {"name": name, "op": "linear", "weight_shape": (n, kk), "k": k, "d": d,
                 "codebook": rng.random((k, d)).astype(np.float16), "indices": idx}
        if case["scheme"] == "ssvq":
            layer["signs"] = rng.random(n * kk) < 0.5
        layers.append(layer)
    return write_trace(out_dir, "agreement", case["scheme"], layers, creator="reference_agreement")


def workload(case: dict, scratch: Path) -> dict:
    """The workload mapping of one case (writes its trace under ``scratch``)."""
    sram = {k: dict(v) for k, v in case["sram"].items()}
    arch = {"preset": "edge-32x32", "clock_MHz": case["clock_MHz"],
            "pe_array": {"rows": case["rows"], "cols": case["cols"], "dataflow": case["dataflow"]},
            "dram": {"preset": case["dram"]}, "sram": sram}
    wl = {"name": f"case{case['index']}", "arch": arch, "baseline": None,
          "layers": [{"name": name, "op": "linear", "M": case["M"], "K": kk, "N": n}
                     for name, kk, n in gemms(case)]}
    if case["scheme"] != "int8":
        sram["codebook"] = {"size_KiB": case["codebook_KiB"], "banks": case["banks"]}
        arch["decoder"] = {"lookups_per_cycle": case["lookups"]}
        wl["compression"] = {"scheme": case["scheme"], "k": case["k"], "d": case["d"]}
        wl["traces"] = str(write_case_trace(case, scratch / f"trace{case['index']}"))
    return wl


def run_case(case: dict, scratch: Path) -> dict | None:
    """Engine and reference figures of one case; None when the mapper finds it infeasible."""
    import accelsim
    from accelsim.errors import InfeasibleError
    from accelsim.flow import plan_scheme, run_scheme
    from accelsim.plan import formats
    from accelsim.reference.run import run_scheme as run_reference
    from accelsim.spec.layers import resolve_layers

    cfg = accelsim.load(workload(case, scratch))
    layers = resolve_layers(cfg)
    trace = (formats.load_trace(cfg.traces, layers, cfg.compression, cfg.traces_missing)
             if cfg.traces else None)
    try:
        planned = plan_scheme(cfg, layers, cfg.compression, trace)
        eng_rows = run_scheme(cfg, planned).rows
    except InfeasibleError:
        return None
    mappings = [p.mapping for p in planned.plans]  # the reference runs the engine's choice
    ref_rows = run_reference(cfg, layers, cfg.compression, trace,
                             choose=lambda i, *_: mappings[i]).rows
    from accelsim.report.columns import STREAM_COLUMNS

    eng, ref = _totals(eng_rows), _totals(ref_rows)
    out = {"ratio": eng["cycles"] / ref["cycles"],
           "engine_cycles": eng["cycles"], "reference_cycles": ref["cycles"],
           "same_bytes": all(e[c] == r[c] for e, r in zip(eng_rows, ref_rows, strict=True)
                             for c in STREAM_COLUMNS)}
    for c in COMPONENTS:
        out[f"d_{c}"] = eng[c] / eng["cycles"] - ref[c] / ref["cycles"]
        out[f"engine_{c}"], out[f"reference_{c}"] = eng[c], ref[c]
    return out


def _totals(rows: list[dict]) -> dict:
    """Cycles and their components summed over a run's layers."""
    return {c: sum(r[c] for r in rows) for c in ("cycles", *COMPONENTS)}


def cases(count: int, seed: int, scratch: Path, only=None, chain: int = 1) -> list[tuple[dict, dict]]:
    """``count`` feasible cases and their results drawn from ``seed`` (``only``: just these case
    indices, of the same draw; ``chain``: GEMMs per case)."""
    rng = np.random.default_rng(seed)
    done, index = [], 0
    while len(done) < count and (only is None or index <= max(only)):
        case = draw_case(rng, index, chain)
        index += 1
        if only is not None and case["index"] not in only:
            continue
        res = run_case(case, scratch)
        if res is not None:
            done.append((case, res))
    return done


def stats(values) -> dict:
    """Median, 99th percentile and worst of |values| (fractions)."""
    a = np.abs(np.asarray(values, dtype=float))
    return {"median": float(np.median(a)), "p99": float(np.percentile(a, 99)), "worst": float(a.max())}


def summary(results: list[dict]) -> dict:
    """Agreement figures: of |engine/reference − 1| and of each component's share difference."""
    out = {"cycles": stats([r["ratio"] - 1 for r in results])}
    for c in COMPONENTS:
        out[c] = stats([r[f"d_{c}"] for r in results])
    return out


def split_engine_reads(burst_B: int = 64) -> None:
    """Diagnostic: every engine read over ``burst_B`` goes to the memory model as ``burst_B``
    requests issued at one instant, complete when the last one is (the reference DMA's form
    before it issued one request per DRAM burst); what still differs then is not the memory
    model's answer to a tile sent as one request."""
    from accelsim.engine.port import MemoryPort

    whole = MemoryPort._request

    def split(self, now, st, addr, nbytes, write):
        if write or nbytes <= burst_B:
            return whole(self, now, st, addr, nbytes, write)
        return max(whole(self, now, st, addr + off, min(burst_B, nbytes - off), write)
                   for off in range(0, nbytes, burst_B))

    MemoryPort._request = split


def apply_diagnostics(args) -> None:
    """Patch the models for the diagnostic flags (both models share the memory model)."""
    if args.no_row_hold:
        from accelsim.memory.dram.banks import BankState

        BankState.hold = lambda self, gb, pre: pre
    if args.split_reads:
        split_engine_reads()
    if args.no_refresh:
        from accelsim.memory.dram.refresh import Refresh

        Refresh.count = lambda self, ra, x: 0
        Refresh.unblock = lambda self, ra, x: x
        Refresh.issued = lambda self, t_end: 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--csv", type=Path, default=None, help="write every case and its figures here")
    ap.add_argument("--worst", type=int, default=10, help="print this many worst cases")
    ap.add_argument("--chain", type=int, default=1,
                    help="GEMMs per case, each reading the one before (cross-layer prefetch, "
                         "write-back before the next layer's inputs); figures are of their sums")
    ap.add_argument("--only", type=lambda s: {int(x) for x in s.split(",")}, default=None,
                    help="diagnostic: run only these case indices (comma-separated)")
    for flag, text in (("--no-row-hold", "switch the DRAM model's row hold off in both models"),
                       ("--split-reads", "the engine issues its reads as 64 B requests (the "
                                         "reference: one request per DRAM burst)"),
                       ("--no-refresh", "no DRAM refresh in either model")):
        ap.add_argument(flag, action="store_true", help=f"diagnostic: {text}")
    args = ap.parse_args()
    apply_diagnostics(args)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        got = cases(args.cases, args.seed, Path(tmp), args.only, args.chain)
    results = [r for _, r in got]
    hold = ((", row hold off" if args.no_row_hold else "")
            + (", engine reads split" if args.split_reads else "")
            + (", no refresh" if args.no_refresh else "")
            + (f", {args.chain} GEMMs a case" if args.chain > 1 else ""))
    print(f"{len(results)} cases in {time.perf_counter() - t0:.0f} s (seed {args.seed}{hold})")
    print(f"{'figure':<24}{'median':>10}{'p99':>10}{'worst':>10}")
    for name, s in summary(results).items():
        label = "engine/reference - 1" if name == "cycles" else f"share of {name}"
        print(f"{label:<24}{s['median']:>10.3%}{s['p99']:>10.3%}{s['worst']:>10.3%}")
    for kind in ("ideal", "LPDDR4-3200", "LPDDR5-6400"):
        sub = [r["ratio"] - 1 for c, r in got if c["dram"] == kind]
        if sub:
            s = stats(sub)
            print(f"{'  ' + kind + f' ({len(sub)})':<24}{s['median']:>10.3%}{s['p99']:>10.3%}"
                  f"{s['worst']:>10.3%}")
    print(f"DRAM bytes per stream identical in {sum(r['same_bytes'] for r in results)} of "
          f"{len(results)} cases")
    print("\nworst cases (engine / reference):")
    for case, res in sorted(got, key=lambda cr: -abs(cr[1]["ratio"] - 1))[:args.worst]:
        keys = ("M", "K", "N", "next_N", "rows", "cols", "dataflow", "scheme", "dram", "tight",
                "codebook_KiB")
        desc = " ".join(f"{k}={case[k]}" for k in keys if case.get(k, []) != [])
        dbuf = "".join("D" if case["sram"][b]["double_buffer"] else "s"
                       for b in ("weight", "input", "output"))
        print(f"  {res['ratio']:.4f} #{case['index']} {desc} buf={dbuf} "
              f"eng={res['engine_cycles']:.0f} ref={res['reference_cycles']:.0f}")
    if args.csv:
        import pandas as pd

        from accelsim.report.files import atomic_write

        rows = [{**{k: v for k, v in c.items() if k != "sram"}, **r} for c, r in got]
        atomic_write(args.csv, pd.DataFrame(rows).to_csv(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
