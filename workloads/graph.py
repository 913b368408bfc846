"""A workload as a tensor graph: which tensors each layer reads and writes, checked.

Layers come in a topological order. Each writes one tensor (``Layer.output``) and reads the
tensors named in ``Layer.inputs``: outputs of earlier layers, or ``external`` (a tensor that
starts in DRAM). A layer without ``inputs`` reads the previous layer's output when the element
counts agree (the first layer reads ``external``); otherwise :func:`connect` raises
:class:`GraphError` (``strict``) or reads ``external`` (``strict=False``, for importers that
give no inputs). The second input of an activation × activation matmul is its streamed operand;
without one it is ``external`` (e.g. a KV cache). A layer reads at most the elements its
input holds, except that vector ops and matmul operands may read a whole multiple of them
(broadcast: a position embedding over the batch, K/V heads shared by several query heads).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace

from workloads.layer import EXTERNAL


class GraphError(ValueError):
    """The layers do not form a valid tensor graph (unknown input, sizes that cannot chain)."""


HINT = "give `inputs:` (e.g. inputs: [external] for a tensor that starts in DRAM)"


@dataclass
class Tensor:
    """An activation tensor: who writes it, its size, who reads it."""

    name: str
    producer: int
    elems: int
    consumers: list[int] = field(default_factory=list)


def read_elems(layer) -> list[int]:
    """Elements the layer reads from each of its inputs, in ``inputs`` order."""
    if layer.op == "matmul" and not layer.weights:
        return [layer.in_elems, layer.weight_elems][: len(layer.inputs)]
    return [layer.in_elems] * len(layer.inputs)


def _default_inputs(layer, prev, strict: bool) -> tuple[str, ...]:
    if prev is None or layer.op == "embedding":
        chained = EXTERNAL
    elif prev.out_elems == layer.in_elems:
        chained = prev.output
    elif strict:
        raise GraphError(
            f"layer {layer.name!r} reads {layer.in_elems:,} elements but the previous layer "
            f"{prev.name!r} writes {prev.out_elems:,}; {HINT}")
    else:
        chained = EXTERNAL
    if layer.op == "matmul" and not layer.weights:
        return (chained, EXTERNAL)
    return (chained,)


def _broadcasts(layer, j: int) -> bool:
    """Whether input ``j`` may be read repeatedly (an elementwise operand broadcast over the
    batch, or the K/V heads a matmul shares between query heads)."""
    return layer.unit == "vector" or (j == 1 and layer.op == "matmul" and not layer.weights)


def connect(layers, strict: bool = True) -> list:
    """The layers with explicit ``inputs``, checked: every input is ``external`` or an earlier
    layer's output, outputs are unique, and no layer reads more elements than a tensor holds.
    With ``strict=False`` (importers), an input that fails the checks is read as ``external``."""
    out, sizes = [], {}
    for layer in layers:
        inputs = layer.inputs or _default_inputs(layer, out[-1] if out else None, strict)
        if layer.op == "matmul" and not layer.weights and len(inputs) == 1:
            inputs = (*inputs, EXTERNAL)
        inputs = _checked(replace(layer, inputs=inputs), sizes, strict)
        layer = replace(layer, inputs=inputs) if inputs != layer.inputs else layer
        if layer.output in sizes or layer.output == EXTERNAL:
            raise GraphError(f"layer {layer.name!r}: output tensor {layer.output!r} is written "
                             "twice; give each layer its own `output:` name")
        sizes[layer.output] = layer.out_elems
        out.append(layer)
    return out


def _checked(layer, sizes: dict, strict: bool) -> tuple[str, ...]:
    """``layer.inputs`` after the checks (see :func:`connect`)."""
    fixed = []
    for j, (name, elems) in enumerate(zip(layer.inputs, read_elems(layer), strict=True)):
        problem = None
        if name == EXTERNAL:
            pass
        elif name not in sizes:
            close = difflib.get_close_matches(name, list(sizes), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            problem = (f"layer {layer.name!r}: input {name!r} is not the output of an earlier "
                       f"layer; {hint}{HINT}")
        elif elems > sizes[name] and not (_broadcasts(layer, j) and elems % sizes[name] == 0):
            problem = (f"layer {layer.name!r} reads {elems:,} elements of {name!r}, which holds "
                       f"{sizes[name]:,}; {HINT}")
        if problem and strict:
            raise GraphError(problem)
        fixed.append(EXTERNAL if problem else name)
    return tuple(fixed)


def tensors(layers) -> dict[str, Tensor]:
    """Every tensor a layer writes, with its consumers (layers must be :func:`connect`-ed)."""
    table = {}
    for i, layer in enumerate(layers):
        for name in layer.inputs:
            if name != EXTERNAL:
                table[name].consumers.append(i)
        table[layer.output] = Tensor(layer.output, i, layer.out_elems)
    return table


def producers(layers) -> list[tuple[int, ...]]:
    """Per layer, the indices of the layers whose outputs it reads."""
    where, out = {}, []
    for i, layer in enumerate(layers):
        out.append(tuple(sorted({where[n] for n in layer.inputs if n != EXTERNAL})))
        where[layer.output] = i
    return out
