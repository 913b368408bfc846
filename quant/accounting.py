"""Bit accounting: bits per weight and compression ratio, per layer and per model.

Two conventions are reported side by side:

* **paper** (the supplementary's Table 10): a layer of ``W`` weights costs
  ``W · (log2(k)/d + s) + 16 · k · d`` bits (``s`` = 1 for SSVQ, 0 for VQ; INT8 8, FP16 16 bits
  per weight, scales not counted), and ``CR = 32 · ΣW / Σ bits`` over the *compressed layers*.
* **packed**: the exact bytes a trace stores (:func:`workloads.trace.stream_bytes`: indices packed
  at ``ceil(log2 k)`` bits, row padding, byte rounding, INT8 scales).

Compressed layers (what the paper counts, which reproduces Table 10 for DeiT: qkv, proj, fc1, fc2
of every block): weight-bearing ``linear``/``conv`` layers whose names do not mark them as patch
embedding, token/position embeddings, pooler or classifier head (:data:`EXCLUDE`; ResNet's
classifier is the top-level ``fc``). Stem convolutions are counted. Biases and
norms are never part of a Layer's weights.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from workloads.layer import Layer
from workloads.trace import SCHEMES, stream_bytes

EXCLUDE = re.compile(
    r"(^|\.)(patch_embed|embeddings?|embed_tokens|pooler|head|lm_head|classifier)(\.|$|_)|^fc$")
"""Layer names left uncompressed by the paper's convention (input stems and output heads)."""


def is_compressed(layer: Layer) -> bool:
    """Whether the paper's convention compresses (and counts) this layer."""
    return (layer.weights and layer.op in ("linear", "conv")
            and not EXCLUDE.search(layer.weight_name))


def compressed_layers(layers: Iterable[Layer], select_all: bool = False) -> list[Layer]:
    """The layers that are compressed, one per distinct weight tensor, in model order.

    ``select_all``: every weight-bearing linear/conv layer instead of the paper's subset.
    """
    seen: set[str] = set()
    picked = []
    for lay in layers:
        wanted = (lay.weights and lay.op in ("linear", "conv")) if select_all else is_compressed(lay)
        if wanted and lay.weight_name not in seen:
            seen.add(lay.weight_name)
            picked.append(lay)
    return picked


def nominal_bits_per_weight(scheme: str, k: int | None = None, d: int | None = None) -> float:
    """Index + sign bits per weight without codebook: ``log2(k)/d (+1 for SSVQ)``; 8 or 16."""
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    if scheme == "int8":
        return 8.0
    if scheme == "fp16":
        return 16.0
    if not k or not d or k < 1 or d < 1:
        raise ValueError(f"{scheme} needs positive k and d, got k={k!r} d={d!r}")
    return math.log2(k) / d + (1.0 if scheme == "ssvq" else 0.0)


def layer_bits(weight_shape: tuple[int, int], scheme: str, k: int | None = None,
               d: int | None = None, codebook_dtype: str = "fp16") -> dict:
    """Bits of one layer under both conventions, split into index / sign / codebook."""
    out, inp = weight_shape
    n = out * inp
    cb_bits = 8 * (2 if codebook_dtype == "fp16" else 1)
    row = {"weights": n, "index_bits": 0.0, "sign_bits": 0.0, "codebook_bits": 0.0}
    if scheme in ("vq", "ssvq"):
        row["index_bits"] = n * math.log2(k) / d
        row["sign_bits"] = float(n) if scheme == "ssvq" else 0.0
        row["codebook_bits"] = float(cb_bits * k * d)
    else:
        row["index_bits"] = n * nominal_bits_per_weight(scheme)  # the weights themselves
    row["paper_bits"] = row["index_bits"] + row["sign_bits"] + row["codebook_bits"]
    packed = stream_bytes(weight_shape, scheme, k, d, codebook_dtype)
    row["packed_bytes"] = sum(packed.values())
    row["packed_streams"] = packed
    row["bits_per_weight"] = row["paper_bits"] / n
    row["packed_bits_per_weight"] = 8 * row["packed_bytes"] / n
    return row


def model_bits(layers: Iterable[Layer], scheme: str, k: int | None = None, d: int | None = None,
               codebook_dtype: str = "fp16", select_all: bool = False) -> dict:
    """Per-layer rows and model totals; ``compression_ratio`` is the paper's (vs fp32).

    ``select_all``: count every weight-bearing linear/conv layer instead of the paper's subset.
    """
    layers = list(layers)
    chosen = compressed_layers(layers, select_all)
    if not chosen:
        raise ValueError("no compressible layers (weight-bearing linear/conv) in this model")
    nominal_bits_per_weight(scheme, k, d)  # validates scheme/k/d
    rows = []
    for lay in chosen:
        row = layer_bits(lay.weight_shape, scheme, k, d, codebook_dtype)
        rows.append({"name": lay.weight_name, "op": lay.op,
                     "weight_shape": list(lay.weight_shape), **row})
    n = sum(r["weights"] for r in rows)
    bits = sum(r["paper_bits"] for r in rows)
    packed = sum(r["packed_bytes"] for r in rows)
    return {
        "scheme": scheme, "k": k, "d": d, "codebook_dtype": codebook_dtype,
        "layers_counted": len(rows), "layers_total": len(layers), "weights": n,
        "bits_per_weight": bits / n,
        "bits_per_weight_no_codebook": nominal_bits_per_weight(scheme, k, d),
        "compression_ratio": 32 * n / bits,
        "packed_bytes": packed, "packed_bits_per_weight": 8 * packed / n,
        "packed_compression_ratio": 32 * n / (8 * packed),
        "layers": rows,
    }


MATCH_TOL = 0.05
"""Largest difference in total bits per weight (index + sign + codebook) between two settings
that are compared as "equal bits"."""


def total_bits_per_weight(shapes: Iterable[tuple[int, int]], scheme: str, k: int | None = None,
                          d: int | None = None, codebook_dtype: str = "fp16") -> float:
    """Index + sign + codebook bits per weight over the ``[out, in]`` weight matrices ``shapes``
    (one codebook per matrix; the paper's convention, as :func:`model_bits`)."""
    rows = [layer_bits(tuple(s), scheme, k, d, codebook_dtype) for s in shapes]
    return sum(r["paper_bits"] for r in rows) / sum(r["weights"] for r in rows)


def check_matching_bits(shapes: Iterable[tuple[int, int]], groups, tol: float = MATCH_TOL,
                        codebook_dtype: str = "fp16") -> list[list[float]]:
    """Total bits per weight of every ``(scheme, k, d)`` setting in each group of ``groups``;
    raises ``ValueError`` when two settings of one group differ by more than ``tol``."""
    shapes = [tuple(s) for s in shapes]
    totals = []
    for group in groups:
        bits = [total_bits_per_weight(shapes, *setting, codebook_dtype=codebook_dtype)
                for setting in group]
        if max(bits) - min(bits) > tol:
            desc = ", ".join(f"{s} {b:.3f}" for s, b in zip(group, bits, strict=True))
            raise ValueError(f"total bits per weight differ by more than {tol}: {desc}")
        totals.append(bits)
    return totals
