"""Real task: a small CNN on sklearn digits, compressed with INT8, VQ and SSVQ at equal total bits.

For each seed: train the fp32 CNN; compress the three hidden layers (the classifier stays fp32,
as in the paper's convention) with INT8 and with VQ / SSVQ pairs whose *total* bits per weight
(index + sign + codebook: the CNN has only 37,520 compressed weights, so a codebook of k·d fp16
values weighs a lot) agree within ``quant.accounting.MATCH_TOL``; measure test accuracy, then
fine-tune each for the same number of steps
on the same batches (INT8: fake-quant STE; VQ: codebook; SSVQ: codebook + sign latents with
their own learning rate and progressive freezing) and measure again.

Usage: ``python experiments/digits_ssvq.py [--seeds 0 1 2 3 4] [--steps 300] [--no-freeze]
[--out experiments/out]``
(about 30 s per seed on 2 cores). Writes ``digits_ssvq.json`` and ``digits_ssvq.md``.
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

from accelsim.report import atomic_write
from quant.accounting import check_matching_bits, total_bits_per_weight
from quant.finetune import (
    batch_order,
    finetune_step,
    optimizer_groups,
    quantize_model,
    sign_latents,
)
from quant.freezing import SignFreezer

PAIRS = [  # VQ and SSVQ settings at matching total bits per weight (checked in main)
    (("vq", 128, 4), ("ssvq", 32, 4)),  # 2.41 / 2.41
    (("vq", 16, 2), ("ssvq", 16, 4)),  # 2.04 / 2.08
    (("vq", 8, 2), ("ssvq", 4, 4)),  # 1.52 / 1.52
    (("vq", 32, 4), ("ssvq", 8, 8)),  # 1.41 / 1.46
]
SHAPES = [(16, 9), (32, 144), (64, 512)]  # conv1, conv2, fc as [out, in]
METHODS = {"INT8": ("int8", None, None)} | {
    f"{s.upper()} k={k} d={d}": (s, k, d) for pair in PAIRS for s, k, d in pair}


class DigitsCNN(nn.Module):
    """conv(1→16) → conv(16→32) → pool → fc(512→64) → classifier(64→10)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc = nn.Linear(32 * 4 * 4, 64)
        self.classifier = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.classifier(F.relu(self.fc(x.flatten(1))))


def data(seed: int):
    ds = load_digits()
    x = torch.tensor(ds.images / 16.0, dtype=torch.float32)[:, None]
    y = torch.tensor(ds.target)
    idx_tr, idx_te = train_test_split(np.arange(len(y)), test_size=0.25, random_state=seed,
                                      stratify=ds.target)
    return x[idx_tr], y[idx_tr], x[idx_te], y[idx_te]


@torch.no_grad()
def evaluate(model: nn.Module, x, y) -> tuple[float, float]:
    """(test accuracy, test cross-entropy)."""
    model.eval()
    logits = model(x)
    return float((logits.argmax(1) == y).float().mean()), float(F.cross_entropy(logits, y))


def train(model, x, y, order, groups, freezer=None) -> None:
    opt = torch.optim.AdamW(groups)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, len(order))
    model.train()
    for idx in order:
        loss = F.cross_entropy(model(x[idx]), y[idx])
        finetune_step(loss, opt, sched, freezer)


def sign_stats(base, model, freezer) -> dict:
    """Shares of all SSVQ signs: changed from the fp32 weights' signs, frozen, frozen against
    their latent's sign."""
    initial = {n: m.weight.detach().reshape(m.weight.shape[0], -1) < 0
               for n, m in base.named_modules() if n in ("conv1", "conv2", "fc")}
    wraps = {n: m.qweight for n, m in model.named_modules() if hasattr(m, "qweight")}
    changed = sum(int((wraps[n].negative() != neg).sum()) for n, neg in initial.items())
    return {"signs_changed": changed / sum(v.numel() for v in initial.values()),
            "frozen_signs": freezer.frozen_fraction(),
            "frozen_against_latent": freezer.frozen_against_latent()}


def run_seed(seed: int, steps: int, args) -> dict:
    torch.manual_seed(seed)
    xtr, ytr, xte, yte = data(seed)
    base = DigitsCNN()
    train(base, xtr, ytr, batch_order(len(ytr), args.train_steps, 64, seed),
          [{"params": base.parameters(), "lr": 2e-3, "weight_decay": 1e-4}])
    acc, loss = evaluate(base, xte, yte)
    res = {"seed": seed, "fp32": acc, "fp32_loss": loss}
    order = batch_order(len(ytr), steps, 64, seed + 1000)
    for label, (scheme, k, d) in METHODS.items():
        model = copy.deepcopy(base)
        quantize_model(model, scheme, k, d, seed=seed, alpha=args.alpha,
                       select=lambda name, _m: name != "classifier")
        before, before_loss = evaluate(model, xte, yte)
        freezer = None
        if scheme == "ssvq":
            theta = float("inf") if args.no_freeze else args.theta
            freezer = SignFreezer(sign_latents(model), total_steps=steps, every=args.freeze_every,
                                  theta=theta)
        groups = optimizer_groups(model, lr=args.lr, lr_mask=args.lr_mask)
        train(model, xtr, ytr, order, groups, freezer)
        after, after_loss = evaluate(model, xte, yte)
        res[label] = {"before": before, "after": after, "loss_before": before_loss,
                      "loss_after": after_loss,
                      "bits_per_weight": total_bits_per_weight(SHAPES, scheme, k, d)}
        if freezer is not None:
            res[label].update(sign_stats(base, model, freezer))
    return res


KEYS = ("before", "after", "loss_before", "loss_after", "bits_per_weight")
SIGN_KEYS = ("signs_changed", "frozen_signs", "frozen_against_latent")


def mean_over_seeds(runs: list[dict]) -> dict:
    summary = {"fp32": float(np.mean([r["fp32"] for r in runs])),
               "fp32_loss": float(np.mean([r["fp32_loss"] for r in runs]))}
    for label in METHODS:
        keys = KEYS + (SIGN_KEYS if "signs_changed" in runs[0][label] else ())
        summary[label] = {key: float(np.mean([r[label][key] for r in runs])) for key in keys}
    return summary


def table(summary: dict) -> list[str]:
    """Markdown rows: total bits per weight, accuracy and test CE before / after fine-tuning,
    and for SSVQ the shares of signs changed / frozen / frozen against their latent."""
    lines = ["| method | total bits/w (index+sign+codebook) | acc. before FT | acc. after FT | "
             "test CE before | test CE after | signs changed / frozen / against latent |",
             "|---|---|---|---|---|---|---|",
             f"| fp32 | 32 | {summary['fp32']:.4f} | - | {summary['fp32_loss']:.4f} | - | - |"]
    for label in METHODS:
        m = summary[label]
        signs = " / ".join(f"{100 * m[k]:.2f} %" for k in SIGN_KEYS) if SIGN_KEYS[0] in m else "-"
        lines.append(f"| {label} | {m['bits_per_weight']:.3f} | {m['before']:.4f} | "
                     f"{m['after']:.4f} | {m['loss_before']:.4f} | {m['loss_after']:.4f} | "
                     f"{signs} |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--steps", type=int, default=300, help="fine-tuning steps (all methods)")
    ap.add_argument("--train-steps", type=int, default=1000, help="fp32 training steps")
    ap.add_argument("--lr", type=float, default=2e-3, help="codebook / weights lr (Table 14)")
    ap.add_argument("--lr-mask", type=float, default=2e-3, help="SSVQ sign-latent lr")
    ap.add_argument("--alpha", type=float, default=1.0, help="sign latent init α·W")
    ap.add_argument("--theta", type=float, default=1.0, help="freezing threshold θ (%%)")
    ap.add_argument("--freeze-every", type=int, default=50)
    ap.add_argument("--out", default=str(Path(__file__).parent / "out"))
    ap.add_argument("--no-freeze", action="store_true", help="SSVQ without sign freezing")
    args = ap.parse_args()
    check_matching_bits(SHAPES, PAIRS)
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    runs = []
    for s in args.seeds:
        runs.append(run_seed(s, args.steps, args))
        print(json.dumps(runs[-1]), flush=True)
    summary = mean_over_seeds(runs)
    result = {"task": "sklearn digits, 25% stratified test split", "seeds": args.seeds,
              "settings": {k: v for k, v in vars(args).items() if k not in ("out", "seeds")},
              "runs": runs, "mean": summary, "seconds": time.perf_counter() - t0}
    lines = table(summary) + [f"\nmean over seeds {args.seeds}; {args.steps} fine-tuning steps "
                              f"each; θ {'off' if args.no_freeze else f'{args.theta:g} %'}; "
                              f"{result['seconds']:.0f} s"]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / "digits_ssvq.json", json.dumps(result, indent=1) + "\n")
    atomic_write(out / "digits_ssvq.md", "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
