"""Activation residency: which layer outputs stay on chip for the next layer.

A layer's output stays on chip when the whole tensor fits both the output buffer and the input
buffer (full capacities); the next layer then reads it without DRAM traffic. Otherwise it is
written to DRAM and read back. The stationary operand of an activation × activation matmul
(attention K/V, the KV cache in decode) always comes from DRAM.
"""

from __future__ import annotations


def residency(layers, arch, act_bytes: int) -> list[bool]:
    """Whether each layer's output stays on chip for the next layer."""
    out_cap = arch.sram.output.size_KiB * 1024
    in_cap = arch.sram.input.size_KiB * 1024
    res = []
    for i, layer in enumerate(layers):
        size = layer.out_elems * act_bytes
        res.append(i + 1 < len(layers) and size <= out_cap and size <= in_cap)
    return res
