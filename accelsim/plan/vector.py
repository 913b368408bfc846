"""Vector-unit work of a vector op (softmax, norms, activations, elementwise, pooling, rotary).

The vector unit has ``lanes`` lanes, each doing one elementwise operation per vector-unit cycle,
at ``clock_share`` of the accelerator clock. An op costs ``cycles_per_element`` lane operations
per element it processes (its output elements; a pool's input elements):

    cycles = ceil(elements / lanes) · cycles_per_element[op] / clock_share

Default cycles per element: the elementwise operations each op's definition takes per element
(PyTorch documentation of ``torch.nn.Softmax``, ``LayerNorm``, ``RMSNorm``, ``GELU`` (tanh
form, Hendrycks & Gimpel 2016), ``SiLU``, ``ReLU``, ``AvgPool2d``; rotary embedding as in
Su et al. 2021), with exp, tanh and reciprocal (square root) counted as one operation each, as on
a unit with a lookup-table / piecewise-linear special-function path. Per-row reductions share
the same lanes. Lanes default to the PE array's columns: one activation lane per column, as the
activation unit of the TPU (Jouppi et al., ISCA 2017) sits below its systolic array.
"""

from __future__ import annotations

from dataclasses import dataclass

CYCLES_PER_ELEMENT = {
    "softmax": 5.0,    # max, subtract, exp, sum, divide
    "layernorm": 7.0,  # sum, subtract mean, square, sum, scale by rsqrt, × gamma, + beta
    "rmsnorm": 4.0,    # square, sum, scale by rsqrt, × gamma
    "gelu": 8.0,       # x³, × 0.044715, + x, × sqrt(2/pi), tanh, + 1, × x, × 0.5
    "silu": 4.0,       # negate, exp, + 1, divide
    "relu": 1.0,       # max(x, 0)
    "add": 1.0,
    "mul": 1.0,
    "pool": 1.0,       # one add (or max) per input element; the final scale is per output
    "rope": 3.0,       # x·cos + rotate(x)·sin: two multiplies, one add
}


@dataclass(frozen=True)
class VectorWork:
    """What the vector unit does for one layer, and its DRAM traffic."""

    cycles: float
    """Vector-unit busy cycles (accelerator clock)."""
    rows: int
    """Rows the op streams through (the pipelining granularity)."""
    lane_ops: float
    """Elementwise operations performed (energy)."""
    read_B: tuple[int, ...]
    """DRAM bytes read per input (0 for an input read from SRAM)."""
    sram_read_B: int
    """Bytes read from the input buffer (every input, on chip or fetched)."""
    write_B: int
    """DRAM bytes written (0 when the output stays on chip)."""
    out_B: int
    """Bytes written to the output buffer."""


def vector_work(layer, cfg, lanes: int, read_B, write_B: int, act_bytes: int) -> VectorWork:
    """The :class:`VectorWork` of a vector layer under ``arch.vector_unit`` config ``cfg``."""
    elems = layer.in_elems if layer.op == "pool" else layer.out_elems
    per = cfg.cycles_per_element.get(layer.op, CYCLES_PER_ELEMENT[layer.op])
    cycles = -(-elems // lanes) * per / cfg.clock_share
    return VectorWork(cycles=cycles, rows=layer.groups * layer.M, lane_ops=elems * per,
                      read_B=tuple(read_B), sram_read_B=layer.in_elems * len(layer.inputs) * act_bytes,
                      write_B=write_B, out_B=layer.out_elems * act_bytes)
