"""LLaMA-2 decoders (Touvron et al., 2023) with HuggingFace ``LlamaForCausalLM`` names.

Two phases. ``prefill``: ``seq_len`` prompt tokens per sequence go through every layer
(``M = seq_len · batch``); causal attention is modelled as the full ``seq_len × seq_len``
score and context matmuls (the masked half is computed too). ``decode``: one new token per
sequence (``M = batch``) whose attention reads a KV cache of ``context`` positions (the new
token included): scores ``1 × head_dim × context``, context ``1 × context × head_dim`` per
head and sequence, marked ``meta={'kv_cache': True}``. In both phases ``lm_head`` computes the
logits of the last token only (what generation needs). Vector ops per layer: ``input_layernorm`` and
``post_attention_layernorm`` (RMSNorm), ``self_attn.rope_q`` / ``rope_k`` (rotary embedding),
``self_attn.softmax``, the residual adds ``add1`` / ``add2``, ``mlp.act_fn`` (SiLU) and the gating
product ``mlp.mul``; then ``model.norm``. In decode, the scores and context read the KV cache
from DRAM (``external``); the new token's rotated k and its v are written to DRAM (appended to
the cache).
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
    x = "model.embed_tokens"
    dims = (t, hidden, heads, kv_heads, head_dim, intermediate)
    for i in range(depth):
        layers += _block(f"model.layers.{i}", x, batch, dims, queries, keys, meta)
        x = f"model.layers.{i}.add2"
    layers.append(ops.vector("model.norm", "rmsnorm", t, hidden, (x,)))
    layers.append(ops.linear("lm_head", batch, hidden, vocab, ("model.norm",),
                             in_elems=batch * hidden))
    return layers


def _block(p: str, x: str, batch: int, dims, queries: int, keys: int, meta) -> list[Layer]:
    """One decoder layer reading tensor ``x``; writes ``{p}.add2``."""
    t, hidden, heads, kv_heads, head_dim, intermediate = dims
    a, m = f"{p}.self_attn", f"{p}.mlp"
    kv = kv_heads * head_dim
    cache = bool(meta)
    k_in, v_in = ("external", "external") if cache else (f"{a}.rope_k", f"{a}.v_proj")
    return [
        ops.vector(f"{p}.input_layernorm", "rmsnorm", t, hidden, (x,)),
        *(ops.linear(f"{a}.{n}", t, hidden, w, (f"{p}.input_layernorm",))
          for n, w in (("q_proj", hidden), ("k_proj", kv), ("v_proj", kv))),
        ops.vector(f"{a}.rope_q", "rope", t, hidden, (f"{a}.q_proj",)),
        ops.vector(f"{a}.rope_k", "rope", t, kv, (f"{a}.k_proj",)),
        *ops.attention(a, batch, heads, head_dim, queries, keys, f"{a}.rope_q", k_in, v_in, **meta),
        ops.linear(f"{a}.o_proj", t, hidden, hidden, (f"{a}.context",)),
        ops.vector(f"{p}.add1", "add", t, hidden, (x, f"{a}.o_proj")),
        ops.vector(f"{p}.post_attention_layernorm", "rmsnorm", t, hidden, (f"{p}.add1",)),
        *(ops.linear(f"{m}.{n}", t, hidden, intermediate, (f"{p}.post_attention_layernorm",))
          for n in ("gate_proj", "up_proj")),
        ops.vector(f"{m}.act_fn", "silu", t, intermediate, (f"{m}.gate_proj",)),
        ops.vector(f"{m}.mul", "mul", t, intermediate, (f"{m}.act_fn", f"{m}.up_proj")),
        ops.linear(f"{m}.down_proj", t, intermediate, hidden, (f"{m}.mul",)),
        ops.vector(f"{p}.add2", "add", t, hidden, (f"{p}.add1", f"{m}.down_proj")),
    ]
