"""INT8 symmetric per-output-channel quantisation with fp16 scales."""

from __future__ import annotations

import numpy as np


def quantize_int8(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``W[out, in]`` → ``(q int8 [out, in], scale fp16 [out])`` with ``W ≈ q · scale[:, None]``.

    ``scale = max|W_row| / 127`` rounded to fp16 (the stored value is the one used to quantise);
    ``q = clip(round(W / scale), -127, 127)``; an all-zero row gets scale 1.
    """
    w = np.asarray(matrix, dtype=np.float32)
    if w.ndim != 2:
        raise ValueError(f"quantize_int8 expects [out, in], got shape {w.shape}")
    amax = np.abs(w).max(axis=1)
    scale = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float16)
    scale = np.where(scale > 0, scale, np.float16(1.0)).astype(np.float16)  # fp16 underflow guard
    q = np.clip(np.rint(w / scale.astype(np.float32)[:, None]), -127, 127).astype(np.int8)
    return q, scale


def dequantize_int8(q: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``q · scale`` as float32 ``[out, in]``."""
    return q.astype(np.float32) * np.asarray(scale, np.float32)[:, None]
