"""Vision transformers: DeiT (Touvron et al., 2021), layer names as in timm's VisionTransformer.

One image becomes ``(image_size / 16)²`` patch tokens plus a class token (``pos_embed``: one
add of the class token and position embedding, read from DRAM). Per block (pre-norm):
``norm1``, ``attn.qkv``, the attention matmuls ``attn.scores`` / ``attn.context`` around
``attn.softmax``, ``attn.proj``, the residual ``add1``, ``norm2``, ``mlp.fc1``, ``mlp.act``
(GELU), ``mlp.fc2``, the residual ``add2``; then ``norm`` and the classifier ``head``, which
reads only the class token. q, k and v are slices of the one ``attn.qkv`` output.
"""

from __future__ import annotations

from workloads.layer import Layer
from workloads.zoo import ops

PATCH = 16
IMAGE_SIZE = 224
CLASSES = 1000


def tokens_for(image_size: int | None, seq_len: int | None) -> int:
    """Tokens per image (patches + class token) from ``image_size`` and/or ``seq_len``."""
    if image_size is not None and image_size % PATCH:
        raise ValueError(f"image_size={image_size} must be a multiple of the patch size {PATCH}")
    if image_size is None and seq_len is None:
        image_size = IMAGE_SIZE
    if image_size is None:
        if seq_len < 2:
            raise ValueError(f"seq_len={seq_len} must be at least 2 (class token + one patch)")
        return seq_len
    derived = (image_size // PATCH) ** 2 + 1
    if seq_len is not None and seq_len != derived:
        raise ValueError(
            f"seq_len={seq_len} contradicts image_size={image_size} "
            f"({derived} tokens with {PATCH}x{PATCH} patches); give only one of them"
        )
    return derived


def deit(
    batch: int,
    *,
    dim: int,
    depth: int,
    heads: int,
    image_size: int | None = None,
    seq_len: int | None = None,
    mlp_ratio: int = 4,
) -> list[Layer]:
    """A DeiT/ViT encoder with a ``dim``-wide embedding, ``depth`` blocks and ``heads`` heads."""
    tokens = tokens_for(image_size, seq_len)
    patches = tokens - 1
    t = tokens * batch
    hidden = dim * mlp_ratio
    patch_embed = Layer(
        name="patch_embed.proj", op="conv", M=batch * patches, K=3 * PATCH * PATCH, N=dim,
        in_elems=batch * 3 * patches * PATCH * PATCH, stride=PATCH, kernel=(PATCH, PATCH),
        inputs=("external",),
    )
    layers = [patch_embed, ops.vector("pos_embed", "add", t, dim, ("patch_embed.proj", "external"),
                                      in_elems=batch * patches * dim)]
    x = "pos_embed"
    for i in range(depth):
        layers += _block(f"blocks.{i}", x, batch, t, tokens, dim, heads, hidden)
        x = f"blocks.{i}.add2"
    layers.append(ops.vector("norm", "layernorm", t, dim, (x,)))
    layers.append(ops.linear("head", batch, dim, CLASSES, ("norm",), in_elems=batch * dim))
    return layers


def _block(p: str, x: str, batch: int, t: int, tokens: int, dim: int, heads: int,
           hidden: int) -> list[Layer]:
    """One pre-norm transformer block reading tensor ``x``; writes ``{p}.add2``."""
    qkv = f"{p}.attn.qkv"
    return [
        ops.vector(f"{p}.norm1", "layernorm", t, dim, (x,)),
        ops.linear(qkv, t, dim, 3 * dim, (f"{p}.norm1",)),
        *ops.attention(f"{p}.attn", batch, heads, dim // heads, tokens, tokens, qkv, qkv, qkv),
        ops.linear(f"{p}.attn.proj", t, dim, dim, (f"{p}.attn.context",)),
        ops.vector(f"{p}.add1", "add", t, dim, (x, f"{p}.attn.proj")),
        ops.vector(f"{p}.norm2", "layernorm", t, dim, (f"{p}.add1",)),
        *ops.mlp((f"{p}.mlp.fc1", f"{p}.mlp.act", f"{p}.mlp.fc2"), t, dim, hidden, f"{p}.norm2"),
        ops.vector(f"{p}.add2", "add", t, dim, (f"{p}.add1", f"{p}.mlp.fc2")),
    ]
