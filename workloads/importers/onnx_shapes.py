"""Static shapes for an ONNX graph: shape inference plus folding of small shape computations.

Exporters often compute reshape targets at run time (``Shape → Gather → Div → Concat →
Reshape``), which ``onnx`` shape inference cannot always see through. This module evaluates
such small integer sub-graphs with the ONNX reference implementation, turns their results into
initializers and re-runs inference until nothing more can be folded.
"""

from __future__ import annotations

from math import prod

_FOLDABLE = frozenset(
    """
    Shape Size Gather Unsqueeze Squeeze Concat Slice Cast Div Mul Add Sub Neg Abs Floor Ceil
    Sqrt Pow Mod Min Max Equal Less Greater Not And Or Where Range ConstantOfShape Reshape
    Identity ReduceProd ReduceSum Expand Tile Transpose Constant
    """.split()
)
_MAX_ELEMS = 64
_MAX_ROUNDS = 500


def tensor_shapes(graph) -> dict[str, tuple[int, ...] | None]:
    """Name → static shape (``None`` when unknown or symbolic) for every typed value."""
    shapes: dict[str, tuple[int, ...] | None] = {}
    for vi in list(graph.value_info) + list(graph.input) + list(graph.output):
        tt = vi.type.tensor_type if vi.type.HasField("tensor_type") else None
        if tt is None or not tt.HasField("shape"):
            shapes[vi.name] = None
            continue
        dims = tt.shape.dim
        known = all(d.HasField("dim_value") for d in dims)
        shapes[vi.name] = tuple(d.dim_value for d in dims) if known else None
    for init in graph.initializer:
        shapes[init.name] = tuple(init.dims)
    return shapes


def _evaluate(node, feeds: dict, opsets):
    import onnx
    from onnx.reference import ReferenceEvaluator

    inputs = [onnx.helper.make_empty_tensor_value_info(n) for n in node.input if n]
    outputs = [onnx.helper.make_empty_tensor_value_info(n) for n in node.output if n]
    graph = onnx.helper.make_graph([node], "fold", inputs, outputs)
    model = onnx.helper.make_model(graph, opset_imports=opsets)
    return ReferenceEvaluator(model).run(None, {n: feeds[n] for n in node.input if n})


def _fold_round(model, shapes) -> int:
    """Replace evaluable small nodes by initializers; returns how many were folded."""
    from onnx import numpy_helper

    graph = model.graph
    graph_outputs = {o.name for o in graph.output}
    values = {}
    for init in graph.initializer:
        if prod(init.dims) <= _MAX_ELEMS:
            values[init.name] = numpy_helper.to_array(init)
    keep, new_inits = [], []
    for node in graph.node:
        result = None
        if node.op_type in _FOLDABLE and not set(node.output) & graph_outputs \
                and not any(a.type in (5, 10) for a in node.attribute):  # no sub-graphs
            if node.op_type in ("Shape", "Size"):
                shape = shapes.get(node.input[0])
                if shape is not None:
                    result = _evaluate_shape(node, shape)
            elif all(n in values for n in node.input if n):
                try:
                    result = _evaluate(node, values, model.opset_import)
                except Exception:  # a node the reference cannot run is simply not folded
                    result = None
        if result is not None and all(getattr(r, "size", _MAX_ELEMS + 1) <= _MAX_ELEMS
                                      for r in result):
            for name, value in zip(node.output, result, strict=False):
                values[name] = value
                new_inits.append(numpy_helper.from_array(value, name))
            continue
        keep.append(node)
    if not new_inits:
        return 0
    folded = len(graph.node) - len(keep)
    del graph.node[:]
    graph.node.extend(keep)
    graph.initializer.extend(new_inits)
    produced = {i.name for i in new_inits}
    kept_info = [vi for vi in graph.value_info if vi.name not in produced]
    del graph.value_info[:]
    graph.value_info.extend(kept_info)
    return folded


def _evaluate_shape(node, shape: tuple[int, ...]):
    import numpy as np

    if node.op_type == "Size":
        return [np.array(prod(shape), dtype=np.int64)]
    start = end = None
    for a in node.attribute:
        if a.name == "start":
            start = a.i
        elif a.name == "end":
            end = a.i
    return [np.array(shape[start:end], dtype=np.int64)]


def drop_weight_data(model) -> None:
    """Clear the values of large initializers in place: only their dims matter here, and
    shape inference serialises the whole model on every call."""
    for init in model.graph.initializer:
        if prod(init.dims) > _MAX_ELEMS:
            for name in ("raw_data", "float_data", "int32_data", "int64_data", "double_data",
                         "uint64_data", "string_data"):
                init.ClearField(name)


def infer_static_shapes(model):
    """``model`` with inferred shapes, small shape computations folded into initializers.

    Raises whatever ``onnx.shape_inference`` raises for an inconsistent graph.
    """
    import onnx

    for _ in range(_MAX_ROUNDS):
        model = onnx.shape_inference.infer_shapes(model, strict_mode=True, data_prop=True)
        if not _fold_round(model, tensor_shapes(model.graph)):
            break
    return onnx.shape_inference.infer_shapes(model, strict_mode=True, data_prop=True)
