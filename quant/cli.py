"""python -m quant cr|compress|inspect: bit accounting, compression to traces, trace summary.

Bad input (unknown model, missing k/d, unreadable checkpoint, corrupt trace) prints one message
naming the file or option and exits with code 2; internal errors exit 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from quant.accounting import model_bits
from quant.sources import REAL_MODELS, SourceError
from workloads.cli_help import HelpFormatter
from workloads.trace import SCHEMES, STREAMS, TraceError, read_trace


class UsageError(ValueError):
    """An invalid combination of command-line options."""


EXAMPLES = {
    "quant": """examples:
  python -m quant cr --model deit_tiny --scheme ssvq --k 16 --d 8
  python -m quant compress --model minilm_l6 --scheme ssvq --k 16 --d 8 --out traces/minilm
  python -m quant inspect traces/minilm
""",
    "cr": """examples:
  python -m quant cr --model deit_tiny --scheme ssvq --k 16 --d 8
  python -m quant cr --model deit_small --scheme vq --k 1024 --d 8 --layers
  python -m quant cr --model minilm_l6 --scheme int8 --json
""",
    "compress": """examples:
  python -m quant compress --model minilm_l6 --scheme ssvq --k 16 --d 8 --out traces/minilm
  python -m quant compress --model deit_tiny --scheme vq --k 64 --d 4 --out traces/deit-vq
  python -m quant compress --checkpoint model.safetensors --scheme int8 --out traces/mine
""",
    "inspect": """examples:
  python -m quant inspect traces/minilm
  python -m quant inspect traces/minilm --json
""",
}


def _scheme_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scheme", required=True, choices=SCHEMES,
                   help="weight format: " + ", ".join(SCHEMES))
    p.add_argument("--k", type=int, help="codebook entries (vq/ssvq)")
    p.add_argument("--d", type=int, help="vector length (vq/ssvq)")
    p.add_argument("--codebook-dtype", default="fp16", choices=("fp16", "int8"),
                   help="storage type of the codebook entries (default: fp16)")


def _sub(sub, name: str, help_text: str, description: str):
    return sub.add_parser(name, help=help_text, description=description, epilog=EXAMPLES[name],
                          formatter_class=HelpFormatter)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m quant", formatter_class=HelpFormatter, epilog=EXAMPLES["quant"],
        description="The quantizer: bit accounting (cr), compression of weights to traces "
                    "(compress), trace summary and check (inspect).")
    sub = ap.add_subparsers(dest="cmd", required=True, metavar="COMMAND")
    cr = _sub(sub, "cr", "bits per weight and compression ratio on the zoo's shapes",
              "Bits per weight and compression ratio of a scheme on a zoo model's layer shapes "
              "(no weights needed).")
    cr.add_argument("--model", required=True, help="zoo model name (python -m accelsim presets)")
    _scheme_args(cr)
    cr.add_argument("--all-layers", action="store_true",
                    help="count every linear/conv layer (default: the paper's subset)")
    cr.add_argument("--layers", action="store_true", help="also print one row per layer")
    cr.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    co = _sub(sub, "compress", "compress weights and export a trace directory",
              "Compress a model's weights and write a trace directory that "
              "python -m accelsim reads (traces: in a workload).")
    src = co.add_mutually_exclusive_group(required=True)
    src.add_argument("--model", help="zoo model (seeded random weights) or a model with real "
                                     "weights: " + ", ".join(REAL_MODELS))
    src.add_argument("--checkpoint", help="safetensors or torch state-dict file")
    _scheme_args(co)
    co.add_argument("--hessian", action="store_true",
                    help="Fisher-weighted k-means (needs a forward pass: minilm_l6)")
    co.add_argument("--seed", type=int, default=0,
                    help="seed of k-means and of random zoo weights (default: 0)")
    co.add_argument("--iters", type=int, default=25, help="k-means iterations (default: 25)")
    co.add_argument("--threads", type=int, default=1, help="torch threads for k-means (default: 1)")
    co.add_argument("--out", required=True, metavar="DIR", help="trace directory to write")
    ins = _sub(sub, "inspect", "summarise and verify a trace directory",
               "Summarise a trace directory and verify its checksums.")
    ins.add_argument("dir", metavar="DIR", help="a trace directory (--out of compress)")
    ins.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    return ap


def _check_kd(args) -> None:
    if args.scheme in ("vq", "ssvq"):
        if args.k is None or args.d is None:
            raise UsageError(f"--scheme {args.scheme} needs --k and --d")
        if args.k < 1 or args.d < 1:
            raise UsageError(f"--k and --d must be positive, got k={args.k} d={args.d}")
    elif args.k is not None or args.d is not None:
        raise UsageError(f"--k/--d do not apply to --scheme {args.scheme}")


def _console():
    from rich.console import Console

    con = Console()
    return con if con.is_terminal else Console(width=200)


def cmd_cr(args) -> int:
    from quant.sources import zoo_layers

    _check_kd(args)
    layers = zoo_layers(args.model)
    try:
        rep = model_bits(layers, args.scheme, args.k, args.d, args.codebook_dtype,
                         select_all=args.all_layers)
    except ValueError as exc:
        raise UsageError(f"model {args.model!r}: {exc}") from exc
    rep["model"] = args.model
    if args.json:
        if not args.layers:
            rep.pop("layers")
        print(json.dumps(rep, indent=1))
        return 0
    from rich.table import Table

    con = _console()
    kd = f" k={args.k} d={args.d}" if args.k else ""
    con.print(f"[bold]{args.model}[/] {args.scheme}{kd}: {rep['layers_counted']} of "
              f"{rep['layers_total']} layers counted, {rep['weights']:,} weights")
    con.print(f"  bits/weight {rep['bits_per_weight']:.4f} (no codebook "
              f"{rep['bits_per_weight_no_codebook']:.4f})  compression ratio "
              f"[bold]{rep['compression_ratio']:.2f}x[/] vs fp32 (paper convention)")
    con.print(f"  packed: {rep['packed_bytes']:,} B, {rep['packed_bits_per_weight']:.4f} "
              f"bits/weight, {rep['packed_compression_ratio']:.2f}x")
    if args.layers:
        t = Table("layer", "shape", "bits/weight", "codebook bits", "packed B")
        for r in rep["layers"]:
            t.add_row(r["name"], "x".join(map(str, r["weight_shape"])),
                      f"{r['bits_per_weight']:.3f}", f"{r['codebook_bits']:.0f}",
                      f"{r['packed_bytes']:,}")
        con.print(t)
    return 0


def cmd_compress(args) -> int:
    from quant import sources
    from quant.pipeline import compress_specs, write_compressed

    _check_kd(args)
    if args.iters < 1:
        raise UsageError(f"--iters must be >= 1, got {args.iters}")
    if args.hessian and (args.model != "minilm_l6" or args.scheme not in ("vq", "ssvq")):
        raise UsageError("--hessian needs vq/ssvq and a model with a calibration forward "
                         "pass (supported: --model minilm_l6)")
    fisher = None
    if args.checkpoint:
        specs, origin = sources.checkpoint_weights(args.checkpoint)
        model = Path(args.checkpoint).stem
    elif args.model == "minilm_l6":
        specs, origin = sources.minilm_weights()
        model = args.model
    else:
        specs, origin = sources.random_weights(args.model, seed=args.seed)
        model = args.model
    if args.hessian:
        from quant.calibration import minilm_fisher
        from quant.models.minilm import load_minilm

        net, tok = load_minilm()
        fisher = {n: f.numpy() for n, f in minilm_fisher(net, tok).items()}
    t0 = time.perf_counter()
    tty = sys.stderr.isatty()

    def progress(i: int, n: int, name: str) -> None:
        if tty:
            print(f"\r[{i + 1}/{n}] {name:<60}", end="" if i + 1 < n else "\n", file=sys.stderr)

    run = compress_specs(specs, args.scheme, args.k, args.d, codebook_dtype=args.codebook_dtype,
                         fisher=fisher, seed=args.seed, iters=args.iters,
                         threads=args.threads, progress=progress)
    out = write_compressed(args.out, model, args.scheme, run, weights_source=origin,
                           random_weights=origin.startswith("random"), seed=args.seed,
                           hessian=bool(args.hessian), kmeans_iters=args.iters)
    tr = read_trace(out)
    tot = tr.manifest["totals"]
    print(f"wrote {out}: {len(tr.layers)} layers, {tot['weights']:,} weights, "
          f"{tot['bits_per_weight']:.4f} bits/weight packed, mean rel. error "
          f"{run.mean_rel_err:.4f}, compression {run.seconds:.1f} s "
          f"(total {time.perf_counter() - t0:.1f} s); weights: {origin}")
    return 0


def inspect_summary(path) -> dict:
    """Verify every file of a trace, decode it and summarise it (used by ``inspect``)."""
    tr = read_trace(path, verify=True)
    rows = []
    for lay in tr.layers.values():
        w = lay.dequantize()  # decodes indices/signs: catches out-of-range indices
        n = w.size
        rows.append({"name": lay.name, "op": lay.op, "weight_shape": list(lay.weight_shape),
                     "k": lay.k, "d": lay.d, "bits_per_weight": 8 * sum(lay.bytes.values()) / n,
                     "bytes": lay.bytes, "rel_err": lay.meta.get("rel_err"),
                     "rms": float((w.astype("float64") ** 2).mean() ** 0.5)})
    n = sum(r["weight_shape"][0] * r["weight_shape"][1] for r in rows)
    total = tr.total_bytes()
    errs = [r["rel_err"] for r in rows if r["rel_err"] is not None]
    return {"path": str(tr.path), "model": tr.model, "scheme": tr.scheme,
            "creator": tr.manifest.get("creator"),
            "weights_source": tr.manifest.get("weights_source"), "layers": rows,
            "weights": n, "bytes": total, "bits_per_weight": 8 * sum(total.values()) / max(n, 1),
            "compression_ratio_vs_fp32": 32 * n / max(8 * sum(total.values()), 1),
            "mean_rel_err": sum(errs) / len(errs) if errs else None}


def cmd_inspect(args) -> int:
    s = inspect_summary(args.dir)
    if args.json:
        print(json.dumps(s, indent=1))
        return 0
    from rich.table import Table

    t = Table("layer", "shape", "k", "d", "bits/w", *[f"{x} B" for x in STREAMS], "rel err",
              title=f"{s['path']}: {s['model']} {s['scheme']} ({s['creator']})")
    for r in s["layers"]:
        t.add_row(r["name"], "x".join(map(str, r["weight_shape"])), str(r["k"] or "-"),
                  str(r["d"] or "-"), f"{r['bits_per_weight']:.3f}",
                  *[f"{r['bytes'][x]:,}" for x in STREAMS],
                  "-" if r["rel_err"] is None else f"{r['rel_err']:.4f}")
    con = _console()
    con.print(t)
    err = "-" if s["mean_rel_err"] is None else f"{s['mean_rel_err']:.4f}"
    con.print(f"{len(s['layers'])} layers, {s['weights']:,} weights, "
              f"{sum(s['bytes'].values()):,} B packed = {s['bits_per_weight']:.4f} bits/weight "
              f"({s['compression_ratio_vs_fp32']:.2f}x vs fp32); mean rel. error {err}; "
              f"weights: {s['weights_source']}; all checksums OK")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = {"cr": cmd_cr, "compress": cmd_compress, "inspect": cmd_inspect}[args.cmd]
    try:
        return handler(args)
    except (UsageError, SourceError, TraceError, FileExistsError, FileNotFoundError) as exc:
        print(f"python -m quant {args.cmd}: error: {exc}", file=sys.stderr)
        return 2
