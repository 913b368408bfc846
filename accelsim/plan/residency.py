"""Activation residency per tensor: which tensors stay on chip from producer to last consumer.

Allocation policy (first come, first served in layer order): a tensor stays on chip when

* some later layer reads it (as an input, or as the streamed operand of an activation ×
  activation matmul: attention K and V);
* the whole tensor fits the output buffer, where its producer writes it (full capacity);
* from the layer after its producer to its last consumer, it fits the input buffer (full
  capacity) beside the tensors already kept there over that span.

A resident tensor costs no DRAM traffic: every consumer reads it from SRAM. Any other tensor is
written to DRAM once by its producer and read from DRAM by every consumer (each reads its own
share: a slice, or all of it). Inputs named ``external`` (e.g. a KV cache) and the model's
outputs are in DRAM. A tensor read from SRAM takes no tile space in the mapper's buffer check
(it is already resident; the residency check above is what charges its capacity).
For a chain of layers this is the rule "an output stays on chip when it fits both buffers".
"""

from __future__ import annotations

import numpy as np


def _priority(t) -> tuple[int, int]:
    """Shorter live ranges first (they hold the buffer for less), then layer order."""
    return (max(t.consumers, default=t.producer) - t.producer, t.producer)


def residency(layers, arch, act_bytes: int) -> dict[str, bool]:
    """Tensor name → whether it stays on chip (``layers`` connected, see ``workloads.graph``)."""
    from workloads.graph import tensors

    out_cap = arch.sram.output.size_KiB * 1024
    in_cap = arch.sram.input.size_KiB * 1024
    used = np.zeros(len(layers) + 1)
    res = {}
    for t in sorted(tensors(layers).values(), key=_priority):
        size = t.elems * act_bytes
        keep = bool(t.consumers) and size <= out_cap
        if keep:
            span = slice(t.producer + 1, max(t.consumers) + 1)
            keep = bool(np.all(used[span] + size <= in_cap))
            if keep:
                used[span] += size
        res[t.name] = keep
    return res
