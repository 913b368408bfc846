"""Accuracy vs simulated speedup over INT8: MiniLM (real weights) with INT8, VQ and SSVQ settings.

    python experiments/pareto.py [--seeds 0 1] [--steps 50] [--quick] [--report-only | --resimulate]
                                 [--out DIR]

For every setting of ``GRID`` and every seed: quantise the 36 encoder Linear layers of the real
all-MiniLM-L6-v2 (``minilm_finetune.make_student``), give it the same short distillation
fine-tune as every other setting (same batches, steps, lr, θ; ``minilm_finetune.finetune``;
INT8, whose every weight trains, at ``--lr-int8``), and score it
on the held-out sentences of ``minilm_ssvq.EVAL_SENTENCES``:

* ``cos``: mean cosine between its sentence embeddings and the fp32 model's;
* ``recall``: paraphrase retrieval: the first 30 sentences are 15 paraphrase pairs; the share of
  them whose nearest other sentence (of all 40) is their partner (fp32 scores it too).

Seed 0's fine-tuned model is exported as a trace (``quant.finetune.export_layers``) and
simulated with ``accelsim.simulate`` against INT8 on the same hardware at two design points
(``DESIGN_POINTS``). INT8 is the baseline: speedup 1 by definition, not simulated.

Writes to ``experiments/out/pareto/``: ``pareto.csv`` (a row per setting: total bits, speedups,
scores per seed and mean, Pareto flags), ``pareto.json``, ``pareto.png`` / ``.svg`` (one panel
per design point, Pareto front of speedup vs cosine, every point labelled) and
``pareto_pairs.md`` (the VQ / SSVQ pairs of ``minilm_ssvq.PAIRS``, matching total bits, before
and after the fine-tune). Each (setting, seed)
result is kept in ``runs/`` and reused on a re-run (``--fresh`` ignores them); the exported
traces are kept in ``traces/``. ``--resimulate`` fine-tunes nothing: it simulates every finished
run's trace again with the current simulator, updates ``runs/`` and rewrites the outputs.
"""

from __future__ import annotations

import argparse
import csv
import functools
import io
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from accelsim.errors import ConfigError  # noqa: E402
from accelsim.report import atomic_write  # noqa: E402
from experiments.minilm_finetune import distill_batches, finetune, make_student, train_sentences  # noqa: E402
from experiments.minilm_ssvq import EVAL_SENTENCES, PAIRS, similarity_metrics  # noqa: E402
from experiments.pareto_plot import plot  # noqa: E402
from quant.accounting import compressed_layers, total_bits_per_weight  # noqa: E402

OUT = ROOT / "experiments" / "out" / "pareto"
ARCH = ROOT / "workloads" / "examples" / "arch" / "edge_membound.yaml"
GRID = [  # (scheme, k, d); total bits per weight on MiniLM in the comments
    ("int8", None, None),  # 8
    ("ssvq", 4, 8), ("ssvq", 16, 8), ("ssvq", 256, 8),  # 1.25, 1.51, 2.11
    ("ssvq", 8, 4), ("ssvq", 16, 4), ("ssvq", 64, 4),  # 1.75, 2.00, 2.51
    ("vq", 256, 8), ("vq", 64, 4), ("vq", 128, 4),  # 1.11, 1.51, 1.78
    ("vq", 256, 4), ("vq", 16, 2), ("vq", 32, 2),  # 2.06, 2.00, 2.50
]
QUICK_GRID = [("int8", None, None), ("ssvq", 16, 8), ("vq", 64, 4)]
DESIGN_POINTS = {
    # sentence embedding of 128 tokens, batch 1, on the memory-bound edge NPU (64x64 int8 at
    # 1 GHz, one x8 LPDDR4-3200 channel: 3.2 GB/s), as experiments/speedup_vs_int8.py
    "edge_membound": {"arch": str(ARCH), "model_args": {"seq_len": 128}},
    # one token per step, batch 1, same NPU: every weight is fetched once and used for a single
    # MAC, the regime of an LLM decode step (minus the KV cache), where INT8 is DRAM-bound
    "decode_1tok": {"arch": str(ARCH), "model_args": {"seq_len": 1}},
}
SIM_SEED = 0  # whose fine-tuned model is exported and simulated (speedup barely depends on it)
PARAPHRASE_PAIRS = 15  # EVAL_SENTENCES[2i] and [2i + 1] say the same thing, for i < 15


def label(scheme: str, k: int | None, d: int | None) -> str:
    return "INT8" if scheme == "int8" else f"{scheme.upper()} k{k} d{d}"


def trace_dir(out: Path, setting_label: str) -> Path:
    """Where the run directory ``out`` keeps the exported trace of a setting (seed ``SIM_SEED``)."""
    return out / "traces" / setting_label.replace(" ", "-")


def run_path(out: Path, setting_label: str, seed: int, steps: int) -> Path:
    """The cached result of one (setting, seed) fine-tune of ``steps`` steps."""
    return out / "runs" / f"{setting_label.replace(' ', '-')}-s{seed}-t{steps}.json"


def minilm_shapes() -> list[tuple[int, int]]:
    from quant.sources import zoo_layers

    return [lay.weight_shape for lay in compressed_layers(zoo_layers("minilm_l6"))]


def paraphrase_recall(emb: torch.Tensor, pairs: int = PARAPHRASE_PAIRS) -> float:
    """Share of the first ``2·pairs`` sentences whose nearest other sentence is their partner."""
    sim = emb @ emb.T
    sim.fill_diagonal_(-2.0)
    nearest = sim[: 2 * pairs].argmax(1)
    partner = torch.arange(2 * pairs) ^ 1  # 0 <-> 1, 2 <-> 3, ...
    return float((nearest == partner).float().mean())


def scores(ref: torch.Tensor, emb: torch.Tensor) -> dict:
    return {**similarity_metrics(ref, emb), "recall": paraphrase_recall(emb)}


def simulate(trace: Path, scheme: str, k: int, d: int) -> dict:
    """Speedup over INT8 (same arch, same run) and bits fetched at every design point."""
    import accelsim

    out = {}
    for name, point in DESIGN_POINTS.items():
        wl = {"name": f"minilm_l6-{scheme}-k{k}-d{d}-{name}", "model": "minilm_l6", "batch": 1,
              "compression": {"scheme": scheme, "k": k, "d": d}, "traces": str(trace),
              "baseline": {"scheme": "int8"}, **point}
        res = accelsim.simulate(wl, [])
        t = res.summary["totals"]
        out[name] = {"speedup": res.speedup, "time_ms": t["time_ms"],
                     "int8_time_ms": res.summary["baseline"]["time_ms"],
                     "bits_fetched": t["weight_bits_fetched_per_weight"]}
    return out


def run_one(setting, seed: int, ctx: dict, args) -> dict:
    """Quantise, score, fine-tune, score; export and simulate on the first seed."""
    from quant.finetune import export_layers
    from quant.models.minilm import embed
    from workloads.trace import write_trace

    scheme, k, d = setting
    torch.manual_seed(seed)
    t0 = time.perf_counter()
    student = make_student(ctx["teacher"], scheme, k, d, seed, args.kmeans_iters)
    before = scores(ctx["ref"], embed(student, ctx["tok"], EVAL_SENTENCES))
    t1 = time.perf_counter()
    lr = args.lr_int8 if scheme == "int8" else args.lr
    info = finetune(student, ctx["batches"][seed], lr, args.lr_mask, args.theta,
                    max(args.steps // 10, 1))
    t2 = time.perf_counter()
    row = {"label": label(*setting), "scheme": scheme, "k": k, "d": d, "seed": seed,
           "before": before, "after": scores(ctx["ref"], embed(student, ctx["tok"], EVAL_SENTENCES)),
           **info, "quantize_s": t1 - t0, "finetune_s": t2 - t1}
    if scheme != "int8" and seed == SIM_SEED:
        trace = write_trace(trace_dir(args.out, row["label"]), "minilm_l6",
                            scheme, export_layers(student), creator="experiments/pareto.py",
                            extra={"seed": seed, "finetune_steps": args.steps})
        row["sim"] = simulate(trace, scheme, k, d)
    return row


def cached_run(setting, seed: int, ctx: dict | None, args) -> dict | None:
    """A finished run from ``runs/``, else (unless ``ctx`` is None) a new one, saved there."""
    path = run_path(args.out, label(*setting), seed, args.steps)
    if path.exists() and not args.fresh:
        return json.loads(path.read_text())
    if ctx is None:
        return None
    row = run_one(setting, seed, ctx, args)
    atomic_write(path, json.dumps(row, indent=1) + "\n")
    return row


def resimulate(runs: list[dict], args) -> float:
    """Simulate each finished seed-``SIM_SEED`` run's trace again and save it in ``runs/``;
    the wall time in seconds. Accuracy fields are left as they are."""
    t0 = time.perf_counter()
    for r in runs:
        if r["scheme"] == "int8" or r["seed"] != SIM_SEED:
            continue
        trace = trace_dir(args.out, r["label"])
        if not (trace / "manifest.json").is_file():
            raise ConfigError(f"{trace}: no exported trace for {r['label']} (seed {SIM_SEED}); "
                              f"hint: run experiments/pareto.py --out {args.out} without "
                              f"--resimulate to fine-tune and export it")
        r["sim"] = simulate(trace, r["scheme"], r["k"], r["d"])
        atomic_write(run_path(args.out, r["label"], r["seed"], args.steps), json.dumps(r, indent=1) + "\n")
        print(f"{r['label']:<15} re-simulated: "
              + ", ".join(f"{n} {s['speedup']:.2f}x" for n, s in r["sim"].items()), flush=True)
    return time.perf_counter() - t0


def pareto_front(points: list[tuple[float, float]]) -> list[bool]:
    """For each ``(speedup, accuracy)``: no other point is at least as good in both and better
    in one (both maximised)."""
    def dominated(p, q):
        return q[0] >= p[0] and q[1] >= p[1] and (q[0] > p[0] or q[1] > p[1])
    return [not any(dominated(p, q) for q in points) for p in points]


def summarise(runs: list[dict], shapes, seeds: list[int]) -> list[dict]:
    """One row per setting: total bits, speedups (seed 0's trace), scores per seed and mean,
    and whether it is on the Pareto front of (speedup, mean cosine) at each design point."""
    rows = []
    for scheme, k, d in dict.fromkeys((r["scheme"], r["k"], r["d"]) for r in runs):
        mine = {r["seed"]: r for r in runs if (r["scheme"], r["k"], r["d"]) == (scheme, k, d)}
        row = {"setting": label(scheme, k, d), "scheme": scheme, "k": k or "", "d": d or "",
               "total_bits_per_weight": round(total_bits_per_weight(shapes, scheme, k, d), 4)}
        for name in DESIGN_POINTS:
            sim = mine.get(SIM_SEED, {}).get("sim", {}).get(name)
            row[f"speedup_{name}"] = round(sim["speedup"], 4) if sim else 1.0
        for key in ("cos_mean", "recall"):
            short = key.split("_")[0]
            for s in seeds:
                row[f"{short}_s{s}"] = round(mine[s]["after"][key], 4) if s in mine else ""
            row[f"{short}_mean"] = round(float(np.mean([m["after"][key] for m in mine.values()])), 4)
            row[f"{short}_before_mean"] = round(
                float(np.mean([m["before"][key] for m in mine.values()])), 4)
        row["finetune_s_mean"] = round(float(np.mean([m["finetune_s"] for m in mine.values()])), 1)
        rows.append(row)
    for name in DESIGN_POINTS:
        front = pareto_front([(r[f"speedup_{name}"], r["cos_mean"]) for r in rows])
        for r, on in zip(rows, front, strict=True):
            r[f"front_{name}"] = on
    return rows


def pairs_table(rows: list[dict], seeds: list[int]) -> str:
    """Markdown: each VQ / SSVQ pair of ``minilm_ssvq.PAIRS`` (matching total bits) in the grid,
    cosine to fp32 and paraphrase recall before → after the fine-tune, mean and per seed."""
    by = {r["setting"]: r for r in rows}
    lines = ["| total bits/w | setting | cos before | cos after (mean) | cos after per seed "
             "| recall before | recall after | speedup edge / 1-token |",
             "|---|---|---|---|---|---|---|---|"]
    for pair in PAIRS:
        for setting in pair:
            r = by.get(label(*setting))
            if r is None:
                continue
            per = " / ".join(f"{r[f'cos_s{s}']:.4f}" for s in seeds if r[f"cos_s{s}"] != "")
            speed = " / ".join(f"{r[f'speedup_{n}']:.2f}×" for n in DESIGN_POINTS)
            lines.append(f"| {r['total_bits_per_weight']:.3f} | {r['setting']} | "
                         f"{r['cos_before_mean']:.4f} | {r['cos_mean']:.4f} | {per} | "
                         f"{r['recall_before_mean']:.3f} | {r['recall_mean']:.3f} | {speed} |")
    return "\n".join(lines) + "\n"


def write_csv(rows: list[dict], path: Path) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    atomic_write(path, buf.getvalue())


@functools.cache
def fp32_reference():
    """The frozen fp32 teacher, its tokenizer and its embeddings of ``EVAL_SENTENCES``."""
    from quant.models.minilm import embed, load_minilm

    teacher, tok = load_minilm()
    for p in teacher.parameters():
        p.requires_grad_(False)
    return teacher, tok, embed(teacher, tok, EVAL_SENTENCES)


def fp32_recall(out: Path) -> float:
    """The fp32 model's paraphrase recall, kept in ``runs/fp32.json`` once computed."""
    path = out / "runs" / "fp32.json"
    if path.is_file():
        return json.loads(path.read_text())["recall"]
    recall = paraphrase_recall(fp32_reference()[2])
    atomic_write(path, json.dumps({"recall": recall}) + "\n")
    return recall


def context(args) -> dict:
    """Teacher, tokenizer, fp32 reference embeddings and each seed's fine-tuning batches."""
    teacher, tok, ref = fp32_reference()
    batches = {s: distill_batches(teacher, train_sentences(args.n_train, s), args.steps,
                                  args.batch, args.max_len, s) for s in args.seeds}
    return {"teacher": teacher, "tok": tok, "ref": ref, "batches": batches}


def parse(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--steps", type=int, default=50, help="fine-tuning steps (every setting)")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--max-len", type=int, default=32)
    ap.add_argument("--n-train", type=int, default=400)
    ap.add_argument("--lr", type=float, default=2.5e-4)
    ap.add_argument("--lr-mask", type=float, default=2.5e-4)
    ap.add_argument("--lr-int8", type=float, default=1e-5,
                    help="INT8 runs (all their weights train): at 2.5e-4 Adam moves every weight "
                         "by about a quantisation step per step and cosine fell to 0.976 in 4")
    ap.add_argument("--theta", type=float, default=4.0, help="freezing threshold θ (%%)")
    ap.add_argument("--kmeans-iters", type=int, default=10)
    ap.add_argument("--fresh", action="store_true", help="ignore finished runs in runs/")
    ap.add_argument("--quick", action="store_true", help="3 settings, 1 seed, 4 steps")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--report-only", action="store_true",
                      help="no fine-tuning: tables and figure from the finished runs in runs/")
    mode.add_argument("--resimulate", action="store_true",
                      help="no fine-tuning: simulate the finished runs' traces in traces/ again "
                           "(after a simulator change), then rewrite tables and figure")
    args = ap.parse_args(argv)
    if args.quick:
        args.seeds, args.steps, args.n_train, args.kmeans_iters = args.seeds[:1], 4, 64, 3
    return args


def collect_runs(args) -> list[dict]:
    """Every (setting, seed) of the grid: cached, else fine-tuned now (not with ``--report-only``
    or ``--resimulate``, which skip the missing ones)."""
    ctx = None if args.report_only or args.resimulate else context(args)
    runs = []
    for setting in QUICK_GRID if args.quick else GRID:
        for seed in args.seeds:
            r = cached_run(setting, seed, ctx, args)
            if r is None:
                continue
            runs.append(r)
            print(f"{r['label']:<15} seed {seed}: cos {r['before']['cos_mean']:.4f} -> "
                  f"{r['after']['cos_mean']:.4f}, recall {r['after']['recall']:.3f}, "
                  f"fine-tune {r['finetune_s']:.0f} s"
                  + "".join(f", {n} {s['speedup']:.2f}x" for n, s in r.get("sim", {}).items()),
                  flush=True)
    if not runs:
        raise ConfigError(f"{args.out / 'runs'}: no finished runs for seeds {args.seeds} at "
                          f"{args.steps} steps; hint: run without --report-only/--resimulate first")
    return runs


def write_outputs(runs: list[dict], args, extra: dict) -> list[Path]:
    """``pareto.csv``, ``.json``, ``_pairs.md`` and the figure; the figure's paths."""
    rows = summarise(runs, minilm_shapes(), args.seeds)
    recall = fp32_recall(args.out)
    write_csv(rows, args.out / "pareto.csv")
    atomic_write(args.out / "pareto.json", json.dumps({
        "model": "all-MiniLM-L6-v2 (real weights)", "design_points": DESIGN_POINTS,
        "fp32_recall": recall, "settings": {k: str(v) for k, v in vars(args).items()},
        "rows": rows, "runs": runs, **extra}, indent=1) + "\n")
    atomic_write(args.out / "pareto_pairs.md",
                 f"MiniLM, VQ vs SSVQ at matching total bits, {args.steps} fine-tuning steps, "
                 f"seeds {args.seeds}; fp32 paraphrase recall {recall:.3f}\n\n"
                 + pairs_table(rows, args.seeds))
    for name in DESIGN_POINTS:
        print(f"Pareto front, {name}: " + ", ".join(r["setting"] for r in rows if r[f"front_{name}"]))
    return plot(rows, recall, DESIGN_POINTS, args.out / "pareto")


def main(argv=None) -> int:
    args = parse(argv)
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    try:
        runs = collect_runs(args)
        extra = {"resimulate_s": resimulate(runs, args)} if args.resimulate else {}
        figs = write_outputs(runs, args, {**extra, "wall_s": time.perf_counter() - t0})
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(f"wrote {args.out}/pareto.csv, pareto.json, pareto_pairs.md, "
          + ", ".join(p.name for p in figs) + f" ({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
