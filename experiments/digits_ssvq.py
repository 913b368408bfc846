"""Real task: a small CNN on sklearn digits, compressed with INT8, VQ and SSVQ at equal bits.

For each seed: train the fp32 CNN; compress the three hidden layers (the classifier stays fp32,
as in the paper's convention) with INT8, VQ (k=256, d=4: 2 index bits) and SSVQ (k=16, d=4:
1 index + 1 sign bit), measure test accuracy, then fine-tune each for the same number of steps
on the same batches (INT8: fake-quant STE; VQ: codebook; SSVQ: codebook + sign latents with
their own learning rate and progressive freezing) and measure again.

Usage: ``python experiments/digits_ssvq.py [--seeds 0 1 2 3 4] [--steps 300] [--out experiments/out]``
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
from quant.finetune import (
    batch_order,
    compressed_weights,
    finetune_step,
    optimizer_groups,
    quantize_model,
    sign_latents,
)
from quant.freezing import SignFreezer

METHODS = {  # label: (scheme, k, d)
    "INT8": ("int8", None, None),
    "VQ k=256 d=4": ("vq", 256, 4),  # 2 index bits
    "SSVQ k=16 d=4": ("ssvq", 16, 4),  # 1 index + 1 sign bit
    "VQ k=64 d=4": ("vq", 64, 4),  # 1.5 index bits
    "SSVQ k=4 d=4": ("ssvq", 4, 4),  # 0.5 index + 1 sign bit
    "VQ k=512 d=8": ("vq", 512, 8),  # 1.125 index bits
    "SSVQ k=2 d=8": ("ssvq", 2, 8),  # 0.125 index + 1 sign bit
}


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


def bits_per_weight(model) -> float:
    """Stored bits per weight of the compressed layers (codebook and scales included)."""
    cws = compressed_weights(model).values()
    total = sum(sum(cw.stream_bytes.values()) * 8 for cw in cws)
    return total / sum(cw.shape[0] * cw.shape[1] for cw in cws)


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
            freezer = SignFreezer(sign_latents(model), total_steps=steps, every=args.freeze_every,
                                  theta=args.theta)
        groups = optimizer_groups(model, lr=args.lr, lr_mask=args.lr_mask)
        train(model, xtr, ytr, order, groups, freezer)
        after, after_loss = evaluate(model, xte, yte)
        res[label] = {"before": before, "after": after, "loss_before": before_loss,
                      "loss_after": after_loss, "bits_per_weight": bits_per_weight(model)}
        if freezer is not None:
            res[label]["frozen_signs"] = freezer.frozen_fraction()
            initial = {n: m.weight.detach().reshape(m.weight.shape[0], -1) < 0
                       for n, m in base.named_modules() if n in ("conv1", "conv2", "fc")}
            wraps = {n: m.qweight for n, m in model.named_modules() if hasattr(m, "qweight")}
            changed = sum(int((wraps[n].negative() != neg).sum()) for n, neg in initial.items())
            res[label]["signs_changed"] = changed / sum(v.numel() for v in initial.values())
    return res


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
    args = ap.parse_args()
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    runs = []
    for s in args.seeds:
        runs.append(run_seed(s, args.steps, args))
        print(json.dumps(runs[-1]), flush=True)
    summary = {"fp32": float(np.mean([r["fp32"] for r in runs])),
               "fp32_loss": float(np.mean([r["fp32_loss"] for r in runs]))}
    for label in METHODS:
        summary[label] = {key: float(np.mean([r[label][key] for r in runs]))
                          for key in ("before", "after", "loss_before", "loss_after",
                                      "bits_per_weight")}
    result = {"task": "sklearn digits, 25% stratified test split", "seeds": args.seeds,
              "settings": {k: v for k, v in vars(args).items() if k not in ("out", "seeds")},
              "runs": runs, "mean": summary, "seconds": time.perf_counter() - t0}
    lines = ["| method | bits/w (incl. codebook) | acc. before FT | acc. after FT | "
             "test CE before | test CE after |", "|---|---|---|---|---|---|",
             f"| fp32 | 32 | {summary['fp32']:.4f} | - | {summary['fp32_loss']:.4f} | - |"]
    for label in METHODS:
        m = summary[label]
        lines.append(f"| {label} | {m['bits_per_weight']:.3f} | {m['before']:.4f} | "
                     f"{m['after']:.4f} | {m['loss_before']:.4f} | {m['loss_after']:.4f} |")
    lines.append(f"\nmean over seeds {args.seeds}; {args.steps} fine-tuning steps each")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / "digits_ssvq.json", json.dumps(result, indent=1) + "\n")
    atomic_write(out / "digits_ssvq.md", "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
