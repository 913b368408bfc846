"""``dram-bench``: a microbenchmark of the DRAM model alone (synthetic request streams).

Streams: ``seq`` (consecutive addresses), ``random`` (uniform, request-aligned) and ``mix``
(consecutive addresses, each request a write with probability ``1 - read_ratio``). A closed
loop keeps ``outstanding`` requests in flight (default: enough to fill the controller queue of
every rank): the next one is issued when one completes, so ``--outstanding 1`` measures unloaded
latency. Latency is averaged over reads (writes are posted)
unless the stream has no reads.
"""

from __future__ import annotations

import argparse
import heapq
import json
import sys

from accelsim.dram_presets import MAPPINGS, PRESET_NAMES

PATTERNS = ("seq", "random", "mix")


def run_bench(
    preset: str,
    pattern: str = "seq",
    *,
    channels: int | None = None,
    ranks: int | None = None,
    mapping: str | None = None,
    read_ratio: float | None = None,
    request_bytes: int = 64,
    outstanding: int | None = None,
    requests: int | None = None,
    total_bytes: int = 2 << 20,
    timing: dict | None = None,
    seed: int = 0,
) -> dict[str, float]:
    """Drive a fresh model with one stream; return peak/achieved bandwidth, latency, hit rate."""
    import numpy as np

    from accelsim.config import DramConfig
    from accelsim.dram import make_dram

    if pattern not in PATTERNS:
        raise ValueError(f"unknown pattern {pattern!r}; expected one of: {', '.join(PATTERNS)}")
    if request_bytes <= 0:
        raise ValueError(f"request_bytes must be positive, got {request_bytes}")
    if read_ratio is None:
        read_ratio = 0.75 if pattern == "mix" else 1.0
    if not 0.0 <= read_ratio <= 1.0:
        raise ValueError(f"read_ratio must be in [0, 1], got {read_ratio}")
    cfg = DramConfig(
        preset=preset,
        channels=channels,
        ranks=ranks,
        mapping=mapping,
        timing=timing or {},
    )
    model = make_dram(cfg)
    spec = model.spec
    q = outstanding or spec.queue_depth * spec.ranks * spec.channels
    n = requests or max(256, total_bytes // request_bytes)
    rng = np.random.default_rng(seed)
    capacity = spec.row_bytes * spec.rows * spec.banks_per_rank * spec.ranks * spec.channels
    if pattern == "random":
        addrs = rng.integers(0, capacity // request_bytes, size=n) * request_bytes
    else:
        addrs = np.arange(n, dtype=np.int64) * request_bytes
    writes = rng.random(n) >= read_ratio
    addrs, writes = addrs.tolist(), writes.tolist()

    inflight: list[tuple[float, int]] = []
    lat_sum = {False: 0.0, True: 0.0}
    lat_n = {False: 0, True: 0}
    t_issue = 0.0
    t_end = 0.0
    for i in range(n):
        if len(inflight) >= q:
            t_issue = heapq.heappop(inflight)[0]
        done = model.request(t_issue, addrs[i], request_bytes, writes[i])
        lat_sum[writes[i]] += done - t_issue
        lat_n[writes[i]] += 1
        t_end = max(t_end, done)
        heapq.heappush(inflight, (done, i))
    t_end = max(t_end, model.flush(t_issue))
    c = model.counters()
    kind = False if lat_n[False] else True
    accesses = c["row_hits"] + c["row_misses"]
    return {
        "peak_GBps": model.peak_GBps,
        "bandwidth_GBps": n * request_bytes / t_end,
        "latency_ns_avg": lat_sum[kind] / lat_n[kind],
        "row_hit_rate": c["row_hits"] / accesses if accesses else 0.0,
    }


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="accelsim dram-bench",
        description="Microbenchmark of the DRAM model: bandwidth, latency and row-hit rate.",
    )
    p.add_argument("--preset", required=True, choices=PRESET_NAMES)
    p.add_argument("--channels", type=int, help="number of channels (default: the preset's)")
    p.add_argument("--ranks", type=int, help="ranks per channel (default: the preset's)")
    p.add_argument("--mapping", help=f"address mapping, e.g. {', '.join(MAPPINGS)}")
    p.add_argument("--pattern", required=True, choices=PATTERNS)
    p.add_argument("--read-ratio", type=float, help="fraction of reads (default 1, mix 0.75)")
    p.add_argument("--request-bytes", type=int, default=64)
    p.add_argument("--outstanding", type=int, help="requests in flight (default: fill the queues)")
    p.add_argument("--requests", type=int, help="number of requests (default: 2 MiB worth)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def main(argv: list[str]) -> int:
    """Entry point of ``python -m accelsim dram-bench``; returns the exit code."""
    args = _parser().parse_args(argv)
    for name in ("channels", "ranks", "request_bytes", "outstanding", "requests"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            print(f"error: --{name.replace('_', '-')} must be positive", file=sys.stderr)
            return 2
    try:
        res = run_bench(
            args.preset,
            args.pattern,
            channels=args.channels,
            ranks=args.ranks,
            mapping=args.mapping,
            read_ratio=args.read_ratio,
            request_bytes=args.request_bytes,
            outstanding=args.outstanding,
            requests=args.requests,
            seed=args.seed,
        )
    except ValueError as e:
        msg = str(e).splitlines()[0] if "validation error" not in str(e) else _pyd(e)
        print(f"error: {msg}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(res))
    else:
        print(f"{args.preset} {args.pattern}  ({args.request_bytes} B requests)")
        print(f"  peak_GBps       {res['peak_GBps']:9.2f}")
        print(f"  bandwidth_GBps  {res['bandwidth_GBps']:9.2f}  "
              f"({100 * res['bandwidth_GBps'] / res['peak_GBps']:.1f} % of peak)")  # fmt: skip
        print(f"  latency_ns_avg  {res['latency_ns_avg']:9.2f}")
        print(f"  row_hit_rate    {res['row_hit_rate']:9.3f}")
    return 0


def _pyd(e: Exception) -> str:
    """The message of the first error in a pydantic ValidationError."""
    errors = getattr(e, "errors", None)
    if callable(errors):
        err = errors()[0]
        return str(err.get("ctx", {}).get("error", err.get("msg")))
    return str(e)
