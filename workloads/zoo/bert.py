"""BERT-style encoders (Devlin et al., 2019; MiniLM, Wang et al., 2020) with HuggingFace names.

Names are the ``BertModel`` module names without a ``bert.`` prefix, as in the all-MiniLM-L6-v2
safetensors file: ``embeddings.word_embeddings`` / ``position_embeddings`` /
``token_type_embeddings`` (lookups), ``encoder.layer.{i}.attention.self.{query,key,value}``, the
attention matmuls ``...attention.self.scores`` / ``.context``, ``...attention.output.dense``,
``...intermediate.dense``, ``...output.dense`` and, optionally, ``pooler.dense`` (CLS token only).
The position lookup reads ``seq_len`` rows shared by the batch; LayerNorms, GELU, the softmax
and residual adds are skipped.
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
    layers = [
        ops.embedding("embeddings.word_embeddings", t, VOCAB, hidden),
        ops.embedding("embeddings.position_embeddings", seq_len, POSITIONS, hidden),
        ops.embedding("embeddings.token_type_embeddings", t, TOKEN_TYPES, hidden),
    ]
    for i in range(depth):
        p = f"encoder.layer.{i}"
        layers += [ops.linear(f"{p}.attention.self.{x}", t, hidden, hidden)
                   for x in ("query", "key", "value")]
        layers += ops.attention(f"{p}.attention.self", batch, heads, hidden // heads,
                                seq_len, seq_len)
        layers.append(ops.linear(f"{p}.attention.output.dense", t, hidden, hidden))
        layers.append(ops.linear(f"{p}.intermediate.dense", t, hidden, intermediate))
        layers.append(ops.linear(f"{p}.output.dense", t, intermediate, hidden))
    if pooler:
        layers.append(ops.linear("pooler.dense", batch, hidden, hidden))
    return layers
