"""``load_onnx``: an ONNX file → canonical layers, using ``onnx`` and its shape inference.

Lowered node types: ``Gemm`` and ``MatMul`` (a linear layer when one operand is a constant —
an initializer, possibly through ``Transpose``/``Cast``/``Reshape``/``DequantizeLinear`` — else
an activation × activation matmul with ``weights=False``), ``Conv`` (1-D/2-D, grouped and
depthwise), ``Gather`` on a 2-D constant (embedding lookup), the ``Attention`` op (opset 23)
and the ``com.microsoft`` ``Attention`` / ``MultiHeadAttention`` contrib ops.
Decomposed attention (``MatMul → [Mul/Div/Add/Where] → Softmax → MatMul``) is recognised so
its matmuls are named ``<scope>.scores`` / ``<scope>.context`` like the torch importer's.

Names: a weight layer is named after its initializer minus ``.weight``; when the exporter
renamed the initializer (``onnx::MatMul_123``), the node's scope path is used instead
(``/blocks.0/mlp/fc1/MatMul`` → ``blocks.0.mlp.fc1``), which is the torch module name.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

from workloads.importers.decode import to_decode
from workloads.importers.lowering import (
    lower_conv,
    lower_embedding,
    lower_linear,
    lower_matmul,
    lower_sdpa,
)
from workloads.importers.onnx_shapes import (
    drop_weight_data,
    infer_static_shapes,
    tensor_shapes,
)
from workloads.importers.opnames import ONNX_IGNORED
from workloads.importers.result import (
    ImportFailure,
    ImportResult,
    LayerNamer,
    warn_unsupported,
)
from workloads.importers.wiring import VECTOR_ONNX, Wiring, vector_layer
from workloads.layer import Layer

_CONST_PASS = {"Transpose", "Cast", "Identity", "Reshape", "Unsqueeze", "Squeeze",
               "DequantizeLinear", "Flatten"}
_SOFTMAX_PASS = {"Mul", "Div", "Add", "Sub", "Where", "Cast", "Dropout", "Identity", "Reshape"}


def default_domain(node) -> bool:
    return node.domain in ("", "ai.onnx")


def _scope(node_name: str) -> str:
    """``/encoder/layer.0/attention/self/MatMul_1`` → ``encoder.layer.0.attention.self``."""
    parts = [p for p in node_name.split("/") if p]
    return ".".join(parts[:-1]) if len(parts) > 1 else ""


def _attr(node, name: str, default):
    import onnx

    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


class _Graph:
    """Shapes, constant origins and producer/consumer links of an inferred ONNX graph."""

    def __init__(self, graph) -> None:
        self.shapes = tensor_shapes(graph)
        self.origin: dict[str, str] = {}  # constant tensor → initializer / Constant it comes from
        for init in graph.initializer:
            self.origin[init.name] = init.name
        self.used: set[str] = set()
        self.producer: dict[str, object] = {}
        self.consumers: dict[str, list] = defaultdict(list)
        for node in graph.node:
            for out in node.output:
                self.producer[out] = node
            for inp in node.input:
                self.consumers[inp].append(node)
            if node.op_type == "Constant" and node.output:
                self.origin[node.output[0]] = node.output[0]
                value = _attr(node, "value", None)
                if value is not None:
                    self.shapes[node.output[0]] = tuple(value.dims)
            elif node.op_type in _CONST_PASS and node.input and node.input[0] in self.origin:
                self.origin[node.output[0]] = self.origin[node.input[0]]

    def shape(self, name: str) -> tuple[int, ...] | None:
        return self.shapes.get(name)

    def names(self, tensor: str, node) -> tuple[str, str]:
        """(layer name, weight name) for a weight operand ``tensor`` of ``node``.

        A weight already used by an earlier layer (tied, or deduplicated by the exporter)
        keeps its weight name, but the layer is named after the node's scope.
        """
        weight = self._weight_name(tensor, node)
        scope = _scope(node.name)
        layer = scope if weight in self.used and scope and scope != weight else weight
        self.used.add(weight)
        return layer, weight

    def _weight_name(self, tensor: str, node) -> str:
        origin = self.origin[tensor]
        if origin.endswith(".weight"):
            return origin.removesuffix(".weight")
        if "::" not in origin and origin and origin not in self.producer:
            return origin
        bias = self._bias_name(node)
        if bias.endswith(".bias"):
            return bias.removesuffix(".bias")
        if bias.endswith("_bias"):
            return bias.removesuffix("_bias") + "_weight"
        return _scope(node.name) or node.name or origin

    def _bias_name(self, node) -> str:
        """Name of the bias initializer added to ``node``'s output (exporters keep it)."""
        candidates = [node.input[2]] if node.op_type == "Gemm" and len(node.input) > 2 else []
        for consumer in self.consumers.get(node.output[0], []):
            if consumer.op_type == "Add":
                candidates += [i for i in consumer.input if i != node.output[0]]
        for name in candidates:
            origin = self.origin.get(name, "")
            if "bias" in origin:
                return origin
        return ""

    def _reaches_softmax(self, start: str, forward: bool, depth: int = 6) -> bool:
        frontier = [start]
        for _ in range(depth):
            nxt = []
            for name in frontier:
                nodes = self.consumers.get(name, []) if forward else (
                    [self.producer[name]] if name in self.producer else [])
                for n in nodes:
                    if n.op_type == "Softmax":
                        return True
                    if n.op_type in _SOFTMAX_PASS:
                        nxt.extend(n.output if forward else n.input[:1])
            frontier = nxt
        return False

    def attention_role(self, node) -> str:
        if self._reaches_softmax(node.output[0], forward=True):
            return "scores"
        if self._reaches_softmax(node.input[0], forward=False):
            return "context"
        return ""


def _fix_inputs(model, path: Path, batch: int | None, input_shape) -> None:
    """Give every graph input concrete dims (batch for a symbolic first dim)."""
    graph = model.graph
    inits = {i.name for i in graph.initializer}
    inputs = [i for i in graph.input if i.name not in inits]
    if not inputs:
        raise ImportFailure(f"{path}: the graph has no inputs")
    symbols: dict[str, int] = {}
    if input_shape is not None:
        dims = inputs[0].type.tensor_type.shape.dim
        if len(dims) != len(input_shape):
            raise ImportFailure(f"{path}: --input-shape has {len(input_shape)} dims but input "
                                f"{inputs[0].name!r} has {len(dims)}")
        for d, value in zip(dims, input_shape, strict=True):
            if d.HasField("dim_param"):
                symbols[d.dim_param] = int(value)
            elif d.dim_value != value:
                raise ImportFailure(f"{path}: input {inputs[0].name!r} has fixed shape "
                                    f"{[x.dim_value for x in dims]}, not {list(input_shape)}")
    for inp in inputs:
        for i, d in enumerate(inp.type.tensor_type.shape.dim):
            if d.HasField("dim_value"):
                if i == 0 and batch is not None and d.dim_value != batch:
                    raise ImportFailure(
                        f"{path}: input {inp.name!r} was exported with a fixed batch of "
                        f"{d.dim_value}; re-export with a dynamic batch axis to use batch {batch}")
                continue
            name = d.dim_param
            if name in symbols:
                value = symbols[name]
            elif i == 0:
                value = batch or 1
            else:
                raise ImportFailure(
                    f"{path}: input {inp.name!r} dim {i} is symbolic ({name or '?'}); "
                    "give the shape with --input-shape")
            symbols.setdefault(name, value)
            d.Clear()
            d.dim_value = value


def load_onnx(path, *, batch: int | None = None, input_shape=None,
              decode_context: int | None = None) -> ImportResult:
    """Layers of the ONNX model at ``path``; see the module docstring for what is lowered.

    A symbolic first input dim becomes ``batch`` (default 1); other symbolic dims need
    ``input_shape`` (the first input's full shape; ``batch`` overrides its first dim).
    ``decode_context`` as in ``from_torch``.
    """
    import onnx

    path = Path(path)
    if not path.is_file():
        raise ImportFailure(f"{path}: no such file")
    try:
        model = onnx.load(str(path), load_external_data=False)
        onnx.checker.check_model(model)
    except Exception as exc:
        raise ImportFailure(f"{path}: not a valid ONNX model: {type(exc).__name__}: "
                            f"{str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
                            ) from None
    if batch is not None and input_shape is not None:
        input_shape = (batch, *tuple(input_shape)[1:])
    _fix_inputs(model, path, batch, input_shape)
    drop_weight_data(model)
    try:
        model = infer_static_shapes(model)
    except Exception as exc:
        raise ImportFailure(f"{path}: ONNX shape inference failed: {exc}") from None
    g = _Graph(model.graph)
    layers, unsupported = _walk(model, g, path)
    if not any(la.unit == "pe" for la in layers):
        raise ImportFailure(f"{path}: no Gemm, MatMul, Conv, attention or embedding nodes found")
    if decode_context is not None:
        first = next(i for i in model.graph.input if i.name not in g.origin)
        dims = [d.dim_value for d in first.type.tensor_type.shape.dim]
        try:
            layers = to_decode(layers, batch=dims[0] if dims else 1,
                               tokens=dims[1] if len(dims) > 1 else 1, context=decode_context)
        except ValueError as exc:
            raise ImportFailure(f"{path}: {exc}") from None
    unsupported = dict(unsupported)
    warn_unsupported(unsupported, str(path))
    return ImportResult(layers=layers, unsupported=unsupported, source="onnx")


def _walk(model, g: _Graph, path: Path) -> tuple[list[Layer], Counter]:
    """Lower every node in graph order, wiring each layer to the tensors it reads."""
    namer, wiring = LayerNamer(), Wiring()
    layers: list[Layer] = []
    unsupported: Counter = Counter()
    for node in model.graph.node:
        acts = [n for n in node.input if n and n not in g.origin]
        try:
            lowered = _lower_node(node, g, namer) or _vector_node(node, g, namer, acts)
        except (ValueError, KeyError, IndexError) as exc:
            raise ImportFailure(f"{path}: node {node.name or node.op_type!r} "
                                f"({node.op_type}): {exc}") from None
        if lowered:
            layers.extend(wiring.wire(lowered, acts, node.output[0]))
            continue
        for out in node.output:
            wiring.pass_through(out, acts)
        if node.op_type in VECTOR_ONNX and default_domain(node):
            continue  # folded into its producer (a bias or scale)
        if not default_domain(node) or node.op_type not in ONNX_IGNORED:
            key = node.op_type if default_domain(node) else f"{node.domain}.{node.op_type}"
            unsupported[key] += 1
    return layers, unsupported


def _vector_node(node, g: _Graph, namer, acts) -> list[Layer] | None:
    """A vector op (softmax, norm, activation, residual add …), or None."""
    kind = VECTOR_ONNX.get(node.op_type) if default_domain(node) else None
    if kind is None:
        return None
    scope = _scope(node.name)
    base = f"{scope}.{kind}" if scope else kind
    vec = vector_layer(namer(base), kind, [g.shape(n) for n in acts], g.shape(node.output[0]))
    return [vec] if vec else None


def _need(g: _Graph, name: str) -> tuple[int, ...]:
    shape = g.shape(name)
    if shape is None:
        raise ValueError(f"shape of {name!r} is unknown after shape inference")
    return shape


def _lower_node(node, g: _Graph, namer) -> list[Layer] | None:
    op, ins = node.op_type, list(node.input)
    scope = _scope(node.name)
    default = default_domain(node)
    if default and op == "Gemm":
        a, b = _need(g, ins[0]), _need(g, ins[1])
        if _attr(node, "transA", 0):
            a = a[::-1]
        w = b if _attr(node, "transB", 0) else b[::-1]  # as [N, K]
        if ins[1] in g.origin:
            name, weight = g.names(ins[1], node)
            return [lower_linear(namer(name), a, w, weight_name=weight)]
        return [lower_matmul(namer(f"{scope}.matmul" if scope else "matmul"), a, w[::-1])]
    if default and op == "MatMul":
        a, b = _need(g, ins[0]), _need(g, ins[1])
        if ins[1] in g.origin and len(b) == 2:
            name, weight = g.names(ins[1], node)
            return [lower_matmul(namer(name), a, b, b_param=weight)]
        if ins[0] in g.origin and len(a) == 2:
            name, weight = g.names(ins[0], node)
            return [lower_matmul(namer(name), a, b, a_param=weight)]
        role = g.attention_role(node)
        label = role or "matmul"
        return [lower_matmul(namer(f"{scope}.{label}" if scope else label), a, b, role=role)]
    if default and op == "Conv":
        w = _need(g, ins[1])
        if len(w) not in (3, 4):
            return None
        name, weight = g.names(ins[1], node) if ins[1] in g.origin else (scope or "conv",) * 2
        return [lower_conv(namer(name), _need(g, ins[0]), w, _need(g, node.output[0]),
                           stride=list(_attr(node, "strides", [1])), groups=_attr(node, "group", 1),
                           dilation=list(_attr(node, "dilations", [1])), weight_name=weight)]
    if default and op == "Gather" and ins[0] in g.origin and len(g.shape(ins[0]) or ()) == 2 \
            and ins[1] not in g.origin:
        name, weight = g.names(ins[0], node)
        return [lower_embedding(namer(name), _need(g, ins[1]), _need(g, ins[0]),
                                weight_name=weight)]
    if op == "Attention" and default:
        return _attention_op(node, g, namer, scope)
    if op in ("Attention", "MultiHeadAttention") and node.domain == "com.microsoft":
        return _ms_attention(node, g, namer, scope)
    return None


def _heads_view(shape: tuple[int, ...], heads: int) -> tuple[int, ...]:
    """``[B, S, H·E]`` → ``[B, H, S, E]``; 4-D shapes are already per head."""
    if len(shape) == 4:
        return shape
    b, s, hidden = shape
    return (b, heads, s, hidden // heads)


def _attention_op(node, g: _Graph, namer, scope: str) -> list[Layer]:
    ins = list(node.input)
    q, k, v = (_need(g, n) for n in ins[:3])
    q = _heads_view(q, _attr(node, "q_num_heads", 1))
    k = _heads_view(k, _attr(node, "kv_num_heads", 1))
    v = _heads_view(v, _attr(node, "kv_num_heads", 1))
    return lower_sdpa(scope or "attention", q, k, v, namer)


def _ms_attention(node, g: _Graph, namer, scope: str) -> list[Layer]:
    ins = list(node.input)
    heads = int(_attr(node, "num_heads", 1))
    layers: list[Layer] = []
    if node.op_type == "Attention":  # packed input projection: weights [D, 3·D]
        x, w = _need(g, ins[0]), _need(g, ins[1])
        name, weight = g.names(ins[1], node) if ins[1] in g.origin else (f"{scope}.qkv",) * 2
        layers.append(lower_matmul(namer(name), x, w, b_param=weight))
        q = k = v = (*x[:-1], w[1] // 3)
    else:
        q, k, v = (_need(g, n) for n in ins[:3])
    layers += lower_sdpa(scope or "attention", _heads_view(q, heads), _heads_view(k, heads),
                         _heads_view(v, heads), namer)
    return layers
