"""BERT-style encoders (Devlin et al., 2019; MiniLM, Wang et al., 2020) with HuggingFace names.

Names are the ``BertModel`` module names without a ``bert.`` prefix, as in the all-MiniLM-L6-v2
safetensors file: ``embeddings.word_embeddings`` / ``position_embeddings`` /
``token_type_embeddings`` (lookups), ``encoder.layer.{i}.attention.self.{query,key,value}``, the
attention matmuls ``...attention.self.scores`` / ``.context``, ``...attention.output.dense``,
``...intermediate.dense``, ``...output.dense`` and, optionally, ``pooler.dense`` (CLS token only).
The position lookup reads ``seq_len`` rows shared by the batch. Vector ops (post-norm blocks):
``embeddings.add`` (word + position + token type) and ``embeddings.LayerNorm``; per layer the
``...attention.self.softmax``, ``...attention.output.add`` (residual) and ``.LayerNorm``,
``...intermediate.act`` (GELU), ``...output.add`` and ``...output.LayerNorm``. The pooler's tanh
is left out.
"""

from __future__ import annotations

from workloads.layer import Layer
from workloads.zoo import ops

VOCAB = 30522
POSITIONS = 512
TOKEN_TYPES = 2


def bert(
    batch: int,
    *,
    hidden: int,
    depth: int,
    heads: int,
    intermediate: int,
    seq_len: int,
    pooler: bool,
) -> list[Layer]:
    """A BERT encoder over ``seq_len`` tokens per sequence."""
    if seq_len > POSITIONS:
        raise ValueError(f"seq_len={seq_len} exceeds the {POSITIONS} position embeddings")
    t = seq_len * batch
    e = "embeddings"
    layers = [
        ops.embedding(f"{e}.word_embeddings", t, VOCAB, hidden),
        ops.embedding(f"{e}.position_embeddings", seq_len, POSITIONS, hidden),
        ops.embedding(f"{e}.token_type_embeddings", t, TOKEN_TYPES, hidden),
        ops.vector(f"{e}.add", "add", t, hidden, (f"{e}.word_embeddings", f"{e}.token_type_embeddings",
                                                   f"{e}.position_embeddings")),
        ops.vector(f"{e}.LayerNorm", "layernorm", t, hidden, (f"{e}.add",)),
    ]
    x = f"{e}.LayerNorm"
    for i in range(depth):
        layers += _block(f"encoder.layer.{i}", x, batch, t, seq_len, hidden, heads, intermediate)
        x = f"encoder.layer.{i}.output.LayerNorm"
    if pooler:
        layers.append(ops.linear("pooler.dense", batch, hidden, hidden, (x,), in_elems=batch * hidden))
    return layers


def _block(p: str, x: str, batch: int, t: int, seq_len: int, hidden: int, heads: int,
           intermediate: int) -> list[Layer]:
    """One post-norm BERT layer reading tensor ``x``; writes ``{p}.output.LayerNorm``."""
    a, o = f"{p}.attention", f"{p}.output"
    qkv = [f"{a}.self.{n}" for n in ("query", "key", "value")]
    return [
        *(ops.linear(n, t, hidden, hidden, (x,)) for n in qkv),
        *ops.attention(f"{a}.self", batch, heads, hidden // heads, seq_len, seq_len, *qkv),
        ops.linear(f"{a}.output.dense", t, hidden, hidden, (f"{a}.self.context",)),
        ops.vector(f"{a}.output.add", "add", t, hidden, (x, f"{a}.output.dense")),
        ops.vector(f"{a}.output.LayerNorm", "layernorm", t, hidden, (f"{a}.output.add",)),
        *ops.mlp((f"{p}.intermediate.dense", f"{p}.intermediate.act", f"{o}.dense"), t, hidden,
                 intermediate, f"{a}.output.LayerNorm"),
        ops.vector(f"{o}.add", "add", t, hidden, (f"{a}.output.LayerNorm", f"{o}.dense")),
        ops.vector(f"{o}.LayerNorm", "layernorm", t, hidden, (f"{o}.add",)),
    ]
