"""LLaMA-2 decoders (Touvron et al., 2023) with HuggingFace ``LlamaForCausalLM`` names.

Two phases. ``prefill``: ``seq_len`` prompt tokens per sequence go through every layer
(``M = seq_len · batch``); causal attention is modelled as the full ``seq_len × seq_len``
score and context matmuls (the masked half is computed too). ``decode``: one new token per
sequence (``M = batch``) whose attention reads a KV cache of ``context`` positions (the new
token included): scores ``1 × head_dim × context``, context ``1 × context × head_dim`` per
head and sequence, marked ``meta={'kv_cache': True}``. In both phases ``lm_head`` computes the
logits of the last token only (what generation needs). RMSNorms, RoPE, SiLU, the gating
product and residual adds are skipped.
"""

from __future__ import annotations

from workloads.layer import Layer
from workloads.zoo import ops

PHASES = ("prefill", "decode")


def llama(
    batch: int,
    *,
    hidden: int,
    depth: int,
    heads: int,
    kv_heads: int,
    intermediate: int,
    vocab: int,
    phase: str,
    seq_len: int,
    context: int,
) -> list[Layer]:
    """One prefill pass over ``seq_len`` tokens or one decode step at KV length ``context``."""
    if phase not in PHASES:
        raise ValueError(f"phase must be one of {', '.join(PHASES)}; got {phase!r}")
    head_dim = hidden // heads
    decode = phase == "decode"
    queries = 1 if decode else seq_len
    keys = context if decode else seq_len
    meta = {"kv_cache": True} if decode else {}
    t = queries * batch
    layers = [ops.embedding("model.embed_tokens", t, vocab, hidden)]
    for i in range(depth):
        a, m = f"model.layers.{i}.self_attn", f"model.layers.{i}.mlp"
        layers += [
            ops.linear(f"{a}.q_proj", t, hidden, hidden),
            ops.linear(f"{a}.k_proj", t, hidden, kv_heads * head_dim),
            ops.linear(f"{a}.v_proj", t, hidden, kv_heads * head_dim),
            *ops.attention(a, batch, heads, head_dim, queries, keys, **meta),
            ops.linear(f"{a}.o_proj", t, hidden, hidden),
            ops.linear(f"{m}.gate_proj", t, hidden, intermediate),
            ops.linear(f"{m}.up_proj", t, hidden, intermediate),
            ops.linear(f"{m}.down_proj", t, intermediate, hidden),
        ]
    layers.append(ops.linear("lm_head", batch, hidden, vocab))
    return layers
