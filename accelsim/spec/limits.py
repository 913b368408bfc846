"""Documented size limits: no input may ask for hundreds of GiB of memory or hours of simulation.

Each breach is a :class:`~accelsim.errors.ConfigError` (exit code 2) of the form
``file: yaml.path: too large: 1000000 (limit 4096)``. The limits sit far above any real
accelerator or model (LLaMA-2-7B's largest layer has 131 M weights; the largest arrays built
are 256×256) and are listed in ``docs/config.md``.
"""

from __future__ import annotations

import math

from accelsim.errors import ConfigError

#: Largest value of each config key (dotted path; ``*`` = every SRAM buffer).
MAX = {
    "arch.clock_MHz": 100_000,
    "arch.pe_array.rows": 4096,
    "arch.pe_array.cols": 4096,
    "arch.sram.*.size_KiB": 1 << 20,
    "arch.sram.*.banks": 1024,
    "arch.sram.*.width_bits": 65_536,
    "arch.decoder.lookups_per_cycle": 65_536,
    "arch.decoder.pipeline_depth": 1024,
    "arch.dram.channels": 64,
    "arch.dram.ranks": 16,
    "arch.dram.channel_width_bits": 1024,
    "arch.dram.queue_depth": 4096,
    "arch.dram.bandwidth_GBps": 100_000,
    "arch.dram.latency_ns": 1_000_000,
    "batch": 4096,
    "compression.k": 65_536,
    "compression.d": 256,
    "baseline.k": 65_536,
    "baseline.d": 256,
}
#: Smallest value where a tiny positive number would break the model.
MIN = {"arch.clock_MHz": 1.0}
MAX_LAYERS = 10_000
MAX_LAYER_ELEMS = 1 << 32
"""Elements of any one operand of a layer (weights, inputs or outputs)."""
MAX_LAYER_MACS = 1 << 44
MAX_GROUPS = 65_536
MAX_KERNEL = 1024
MAX_SWEEP_POINTS = 100_000
MAX_TOTAL_STEPS = 1 << 21
"""Tile steps of a whole workload under one scheme (the engine's work); one layer's are limited
to ``accelsim.plan.schedule.MAX_STEPS``."""
MAX_NAME_CHARS = 200
SRAM_BUFFERS = ("weight", "input", "output", "codebook")


def too_large(label: str, path: str, value, limit) -> ConfigError:
    """The one message for a breached limit."""
    return ConfigError(f"{label}: {path}: too large: {value:,} (limit {limit:,})")


def _get(cfg, path: str):
    node = cfg
    for part in path.split("."):
        node = getattr(node, part, None)
        if node is None:
            return None
    return node


def _paths():
    for path, limit in MAX.items():
        if ".*." in path:
            head, tail = path.split(".*.")
            for buf in SRAM_BUFFERS:
                yield f"{head}.{buf}.{tail}", limit
        else:
            yield path, limit


def check_config(cfg, label: str) -> None:
    """Every per-key limit of a validated :class:`~accelsim.spec.config.WorkloadConfig`."""
    for path, limit in _paths():
        value = _get(cfg, path)
        if value is not None and value > limit:
            raise too_large(label, path, value, limit)
    for path, low in MIN.items():
        value = _get(cfg, path)
        if value is not None and value < low:
            raise ConfigError(f"{label}: {path}: too small: {value:g} (limit {low:g})")
    if len(cfg.name) > MAX_NAME_CHARS:
        raise too_large(label, "name", len(cfg.name), MAX_NAME_CHARS)
    for i, spec in enumerate(cfg.layers or ()):
        for key, limit in (("groups", MAX_GROUPS), ("stride", MAX_KERNEL)):
            if getattr(spec, key) > limit:
                raise too_large(label, f"layers.{i}.{key}", getattr(spec, key), limit)
        if max(spec.kernel) > MAX_KERNEL:
            raise too_large(label, f"layers.{i}.kernel", max(spec.kernel), MAX_KERNEL)
    check_sweep(cfg, label)


def check_sweep(cfg, label: str) -> None:
    """A sweep grid of at most ``MAX_SWEEP_POINTS`` points."""
    points = math.prod(len(v) for v in (cfg.sweep or {}).values())
    if cfg.zip:
        points *= max((len(v) for v in cfg.zip.values()), default=1)
    if points > MAX_SWEEP_POINTS:
        raise too_large(label, "sweep", points, MAX_SWEEP_POINTS)


def check_layers(layers, label: str) -> None:
    """Resolved layers (any source): count, operand sizes, MACs, groups."""
    if len(layers) > MAX_LAYERS:
        raise too_large(label, "layers", len(layers), MAX_LAYERS)
    for layer in layers:
        where = f"layer {layer.name!r}"
        sizes = {"weight elements": layer.weight_elems, "input elements": layer.in_elems,
                 "output elements": layer.out_elems}
        for what, n in sizes.items():
            if n > MAX_LAYER_ELEMS:
                raise too_large(label, f"{where} {what}", n, MAX_LAYER_ELEMS)
        if layer.macs > MAX_LAYER_MACS:
            raise too_large(label, f"{where} MACs", layer.macs, MAX_LAYER_MACS)
        if layer.groups > MAX_GROUPS:
            raise too_large(label, f"{where} groups", layer.groups, MAX_GROUPS)
