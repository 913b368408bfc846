"""python -m accelsim dram-bench: the DRAM model alone under synthetic request streams."""

from __future__ import annotations

import argparse
import json
import sys

from accelsim.memory.dram.bench import PATTERNS, run_bench
from accelsim.memory.dram.presets import MAPPINGS, PRESET_NAMES

EPILOG = """examples:
  python -m accelsim dram-bench --preset DDR4-3200 --pattern seq
  python -m accelsim dram-bench --preset LPDDR4-3200 --pattern random --mapping RoCoRaBaBgCh
  python -m accelsim dram-bench --preset HBM2-2000 --pattern mix --read-ratio 0.5 --json
"""


def _parser() -> argparse.ArgumentParser:
    from workloads.cli_help import HelpFormatter

    p = argparse.ArgumentParser(
        prog="python -m accelsim dram-bench", formatter_class=HelpFormatter, epilog=EPILOG,
        description="Microbenchmark of the DRAM model alone: achieved bandwidth, latency and "
                    "row-hit rate under a synthetic request stream.")
    p.add_argument("--preset", required=True, choices=PRESET_NAMES, metavar="NAME",
                   help="DRAM preset: " + ", ".join(PRESET_NAMES))
    p.add_argument("--channels", type=int, help="number of channels (default: the preset's)")
    p.add_argument("--ranks", type=int, help="ranks per channel (default: the preset's)")
    p.add_argument("--mapping", help=f"address mapping, e.g. {', '.join(MAPPINGS)}")
    p.add_argument("--pattern", required=True, choices=PATTERNS, metavar="PATTERN",
                   help="address stream: seq (sequential), random (uniform) or mix (random "
                        "reads and writes)")
    p.add_argument("--page-policy", choices=("open", "closed"), default="open",
                   help="keep rows open after an access (default) or precharge after each request")
    p.add_argument("--streams", type=int, default=1,
                   help="interleaved sequential streams at 64 KiB-aligned bases (seq, mix)")
    p.add_argument("--read-ratio", type=float, help="fraction of reads (default 1, mix 0.75)")
    p.add_argument("--request-bytes", type=int, default=64, metavar="B",
                   help="bytes per request (default: 64)")
    p.add_argument("--outstanding", type=int, help="requests in flight (default: fill the queues)")
    p.add_argument("--requests", type=int, help="number of requests (default: 2 MiB worth)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random addresses (default: 0)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def main(argv: list[str]) -> int:
    """Entry point of ``python -m accelsim dram-bench``; returns the exit code."""
    args = _parser().parse_args(argv)
    for name in ("channels", "ranks", "request_bytes", "outstanding", "requests", "streams"):
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
            streams=args.streams,
            page_policy=args.page_policy,
        )
    except ValueError as e:
        msg = str(e).splitlines()[0] if "validation error" not in str(e) else _pyd(e)
        print(f"error: {msg}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(res))
    else:
        streams = f", {args.streams} streams" if args.streams > 1 else ""
        print(f"{args.preset} {args.pattern}  ({args.request_bytes} B requests{streams})")
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
