"""Where weights come from: the zoo's shapes (seeded random values), MiniLM's real weights,
or a checkpoint file. Each source yields :class:`WeightSpec` entries for the compressed layers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from quant.accounting import EXCLUDE, compressed_layers
from workloads.layer import Layer

REAL_MODELS = ("minilm_l6",)


class SourceError(ValueError):
    """Bad user input about a model or checkpoint (the CLI exits 2 with this message)."""


@dataclass
class WeightSpec:
    """One weight to compress: trace name, op, GEMM view and the ``[out, in]`` (or 4-D) values."""

    name: str
    op: str
    weight: np.ndarray
    K: int
    N: int
    groups: int = 1


def zoo_layers(model: str, batch: int = 1) -> list[Layer]:
    """The model's canonical layers from :mod:`workloads.zoo` (MiniLM falls back to its config)."""
    try:
        from workloads import zoo
        build = zoo.build
    except (ImportError, AttributeError) as exc:
        if model in REAL_MODELS:
            return _minilm_layers(batch)
        raise SourceError(f"model zoo is not available (workloads.zoo.build): {exc}") from exc
    try:
        return list(build(model, batch=batch))
    except (KeyError, ValueError) as exc:
        if model in REAL_MODELS:
            return _minilm_layers(batch)
        raise SourceError(f"unknown model {model!r}: {exc}") from exc


def _minilm_layers(batch: int, tokens: int = 128) -> list[Layer]:
    """MiniLM-L6 linear layers from its bundled config (used when the zoo lacks minilm_l6)."""
    import json

    from quant.models.minilm import model_dir

    cfg = json.loads((model_dir() / "config.json").read_text())
    h, f, m = cfg["hidden_size"], cfg["intermediate_size"], batch * tokens
    layers = []
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        for name, k, n in (("attention.self.query", h, h), ("attention.self.key", h, h),
                           ("attention.self.value", h, h), ("attention.output.dense", h, h),
                           ("intermediate.dense", h, f), ("output.dense", f, h)):
            layers.append(Layer(p + name, "linear", m, k, n))
    return layers


def random_weights(model: str, seed: int = 0) -> tuple[list[WeightSpec], str]:
    """Seeded N(0, 1/fan_in) weights in the zoo's shapes for the compressed layers."""
    rng = np.random.default_rng(seed)
    specs = []
    for lay in compressed_layers(zoo_layers(model)):
        out, inp = lay.weight_shape
        w = rng.standard_normal((out, inp), dtype=np.float32) / np.float32(math.sqrt(inp))
        specs.append(WeightSpec(lay.weight_name, lay.op, w, lay.K, lay.N, lay.groups))
    if not specs:
        raise SourceError(f"model {model!r} has no compressible layers")
    return specs, f"random: seeded N(0, 1/fan_in), seed={seed} (not real weights)"


def minilm_weights() -> tuple[list[WeightSpec], str]:
    """The real all-MiniLM-L6-v2 Linear weights (encoder layers; embeddings and pooler excluded)."""
    from safetensors.numpy import load_file

    from quant.models.minilm import model_dir

    path = model_dir() / "model.safetensors"
    specs = {s.name: s for s in _from_state(load_file(str(path)), path)}
    order = [lay.name for lay in _minilm_layers(1)]  # HuggingFace module order
    if set(order) != set(specs):
        raise SourceError(f"{path}: unexpected MiniLM layers {sorted(set(specs) ^ set(order))}")
    return [specs[name] for name in order], f"real: {path}"


def checkpoint_weights(path: str | Path) -> tuple[list[WeightSpec], str]:
    """Linear (2-D) and conv (4-D) ``*.weight`` tensors of a safetensors or torch checkpoint."""
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"{path}: checkpoint not found")
    try:
        if path.suffix == ".safetensors":
            from safetensors.numpy import load_file
            state = load_file(str(path))
        else:
            import torch
            obj = torch.load(path, map_location="cpu", weights_only=True)
            for key in ("state_dict", "model"):
                if isinstance(obj, dict) and isinstance(obj.get(key), dict):
                    obj = obj[key]
            if not isinstance(obj, dict):
                raise SourceError(f"{path}: expected a state dict, got {type(obj).__name__}")
            state = {k: v.float().numpy() for k, v in obj.items() if hasattr(v, "numpy")}
    except SourceError:
        raise
    except Exception as exc:  # any decoder failure is a bad file, not a bug here
        raise SourceError(f"{path}: cannot read checkpoint: {exc}") from exc
    return _from_state(state, path), f"checkpoint: {path}"


def _from_state(state: dict, path) -> list[WeightSpec]:
    specs = []
    for key, value in state.items():
        arr = np.asarray(value)
        name = key.removesuffix(".weight")
        if not key.endswith(".weight") or arr.ndim not in (2, 4) or EXCLUDE.search(name):
            continue
        if not np.issubdtype(arr.dtype, np.floating):
            continue
        arr = arr.astype(np.float32)
        if arr.ndim == 4:
            out, cin, r, s = arr.shape
            specs.append(WeightSpec(name, "conv", arr, cin * r * s, out))
        else:
            specs.append(WeightSpec(name, "linear", arr, arr.shape[1], arr.shape[0]))
    if not specs:
        raise SourceError(f"{path}: no linear/conv '*.weight' tensors to compress")
    return specs
