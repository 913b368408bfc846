"""Turn the layers of a traced full-sequence (prefill) pass into one decode step at context L.

A decoder LLM generating token ``L+1`` runs every weight layer on **one new token per
sequence** and attends that token against a KV cache of ``L`` positions. Given the layers of a
pass over ``T`` tokens with batch ``B`` (what the importers trace), the decode step is:

* token-wise layers (linear, conv, embedding) whose ``M`` is a multiple of ``B·T``:
  ``M → M / T`` (i.e. ``B`` rows for a ``[B, T, H]`` activation); other layers are unchanged;
* attention scores ``Q·K^T`` (``M=T, K=head_dim, N=T`` per batch × head):
  ``M=1, K=head_dim, N=L`` — the ``K·N`` operand is the K cache, read as traffic, never
  compressed (``weights=False``);
* attention context ``P·V`` (``M=T, K=T, N=head_dim``): ``M=1, K=L, N=head_dim`` (V cache).

Attention matmuls are recognised by ``meta['role']`` when the front end knows it
(``scaled_dot_product_attention``, ``nn.MultiheadAttention``), otherwise by which dims equal
``T``; a raw matmul where that is ambiguous (``T`` equal to the head dim) is an error asking
for a different example length.
"""

from __future__ import annotations

from dataclasses import replace

from workloads.layer import Layer


def _role(layer: Layer, tokens: int) -> str:
    role = layer.meta.get("role", "")
    if role or layer.M != tokens:
        return role
    k_is_t, n_is_t = layer.K == tokens, layer.N == tokens
    if n_is_t and not k_is_t:
        return "scores"
    if k_is_t and not n_is_t:
        return "context"
    if k_is_t and n_is_t:
        raise ValueError(
            f"layer {layer.name!r}: cannot tell attention scores from context because the "
            f"example sequence length ({tokens}) equals the head dimension; trace with a "
            "different number of tokens"
        )
    return ""


def to_decode(layers: list[Layer], *, batch: int, tokens: int, context: int) -> list[Layer]:
    """Layers of one decode step (one new token per sequence, KV cache of ``context``)."""
    if context < 1:
        raise ValueError(f"decode context must be a positive number of tokens, got {context}")
    if tokens < 2:
        raise ValueError("decode mode needs an example input of at least 2 tokens to tell "
                         f"token-wise dims apart (got {tokens})")
    out = []
    for layer in layers:
        meta = {**layer.meta, "phase": "decode", "context": context}
        if layer.op == "matmul" and not layer.weights:
            role = _role(layer, tokens)
            if role == "scores":
                out.append(replace(layer, M=1, N=context, in_elems=0, meta=meta))
                continue
            if role == "context":
                out.append(replace(layer, M=1, K=context, in_elems=0, meta=meta))
                continue
        if layer.M % (batch * tokens) == 0:
            # GEMM-view layers recompute their input footprint; a conv's shrinks with its rows
            in_elems = max(layer.in_elems // tokens, 1) if layer.op == "conv" else 0
            out.append(replace(layer, M=layer.M // tokens, in_elems=in_elems, meta=meta))
        else:
            out.append(replace(layer, meta=meta))
    return out
