"""Mapper quality: the chosen mapping's simulated cycles against the best of the top candidates.

    python benchmarks/mapper_quality.py [--samples 300] [--seed 0] [--top 8]

For random single layers × architectures (ws/os/is, square arrays 8-128, weight/input/output
buffers 16 KiB-4 MiB, several DRAM presets, INT8 or SSVQ weights) it simulates each of the
mapper's top ``--top`` candidates alone and prints, over the samples:

* layers: M 1-512, K and N 8-4096 (log-uniform);
* ``chosen / best``: the chosen mapping's (``accelsim.search.select``) simulated cycles over the
  fastest simulated candidate — median, 99th percentile, maximum (goal: ≤ 1.03 and ≤ 1.10);
* the same for the estimate's own pick (what the mapper chose before selection by simulation);
* the estimate's error ``|est − sim| / sim`` of the chosen mapping — median and 95th percentile;
* how many candidates were simulated per layer, and the worst samples.

No assertions: a benchmark, not a test. Same seed, same figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

DRAMS = ("LPDDR4-3200", "LPDDR5-6400", "DDR4-3200", "HBM2-2000", "LPDDR4X-4266")
ARRAYS = (8, 16, 32, 64, 128)
BUFFERS_KiB = (16, 32, 64, 128, 256, 512, 1024, 2048, 4096)


def random_case(rng):
    """(workload mapping, compression) of one random layer on one random architecture."""
    side = int(rng.choice(ARRAYS))
    dims = [int(round(np.exp(rng.uniform(np.log(lo), np.log(hi)))))
            for lo, hi in ((1, 512), (8, 4096), (8, 4096))]
    arch = {
        "preset": "edge-32x32", "clock_MHz": float(rng.choice([500, 800, 1000])),
        "pe_array": {"rows": side, "cols": side, "dataflow": str(rng.choice(["ws", "os", "is"]))},
        "sram": {b: {"size_KiB": int(rng.choice(BUFFERS_KiB))} for b in ("weight", "input", "output")},
        "dram": {"preset": str(rng.choice(DRAMS))},
    }
    comp = {"scheme": "int8"} if rng.random() < 0.7 else {"scheme": "ssvq", "k": 16, "d": 8}
    layer = {"name": "g", "op": "linear", "M": dims[0], "K": dims[1], "N": dims[2]}
    return {"name": "q", "arch": arch, "layers": [layer], "compression": comp, "baseline": None}


def measure(wl, top: int) -> dict | None:
    """Simulated cycles of the chosen mapping, the estimate's pick and the best of ``top``."""
    import accelsim
    from accelsim.errors import InfeasibleError
    from accelsim.memory import peak_GBps
    from accelsim.plan import formats
    from accelsim.plan.mapping import Operands, candidates
    from accelsim.plan.plan import MAPPER_BW_EFFICIENCY
    from accelsim.search.select import Chooser, simulate_alone
    from accelsim.spec.layers import resolve_layers

    cfg = accelsim.load(wl)
    arch = cfg.arch
    layer = resolve_layers(cfg)[0]
    act = formats.ACT_BYTES[arch.pe_array.mac]
    fmt = formats.layer_format(layer, cfg.compression, act, cfg.seed)
    ops = Operands(fmt.w_bits, act, act)
    bpc = peak_GBps(arch.dram) * MAPPER_BW_EFFICIENCY / (arch.clock_MHz / 1000.0)
    chooser = Chooser(cfg, [layer])
    try:
        cands = candidates(layer, arch, ops, bpc, top=top, latency=chooser.latency)
    except InfeasibleError:
        return None
    sims = {c: simulate_alone(arch, layer, fmt, c, ops) for c in cands}
    chosen = chooser(0, layer, fmt, ops, bpc)
    sim_chosen = sims[chosen] if chosen in sims else simulate_alone(arch, layer, fmt, chosen, ops)
    best = min(sims.values())
    sizes = "/".join(str(int(getattr(arch.sram, b).size_KiB)) for b in ("weight", "input", "output"))
    return {"ratio": sim_chosen / best, "ratio_est": sims[cands[0]] / best,
            "est_sim": [(c.est_cycles, sims[c]) for c in cands],
            "err": abs(chosen.est_cycles - sim_chosen) / sim_chosen, "n": len(cands),
            "what": f"{layer.M}x{layer.K}x{layer.N} {arch.pe_array.dataflow} "
                    f"{arch.pe_array.rows} {arch.dram.preset} "
                    f"{sizes} KiB {fmt.scheme}: {chosen.Mt}x{chosen.Kt}x{chosen.Nt} {chosen.order}"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--top", type=int, default=8)
    ap.add_argument("--dump", help="write every sample's (estimate, simulated) pairs to this JSON")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    out, t0, tried = [], time.perf_counter(), 0
    while len(out) < args.samples:
        tried += 1
        res = measure(random_case(rng), args.top)
        if res is not None:
            out.append(res)
            if len(out) % 25 == 0:
                print(f"  {len(out)} samples, {time.perf_counter() - t0:.0f} s", flush=True)
    ratio = np.array([r["ratio"] for r in out])
    ratio_est = np.array([r["ratio_est"] for r in out])
    err = np.array([r["err"] for r in out])
    print(f"{len(out)} layers x architectures ({tried - len(out)} infeasible skipped), "
          f"top {args.top} candidates simulated each, {time.perf_counter() - t0:.0f} s")
    for name, x in (("chosen / best of top", ratio), ("estimate's pick / best", ratio_est)):
        print(f"{name:24} median {np.median(x):.4f}  p99 {np.percentile(x, 99):.4f}  "
              f"max {x.max():.4f}  (> 1.03: {int((x > 1.03).sum())})")
    print(f"{'estimate error':24} median {np.median(err):.1%}  p95 {np.percentile(err, 95):.1%}")
    if args.dump:
        Path(args.dump).write_text(json.dumps(out))
    print("worst chosen / best:")
    for r in sorted(out, key=lambda r: -r["ratio"])[:5]:
        print(f"  {r['ratio']:.4f}  {r['what']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
