"""Vision transformers: DeiT (Touvron et al., 2021), layer names as in timm's VisionTransformer.

One image becomes ``(image_size / 16)²`` patch tokens plus a class token. Per block: ``attn.qkv``,
the attention matmuls ``attn.scores`` / ``attn.context``, ``attn.proj``, ``mlp.fc1``, ``mlp.fc2``;
the classifier ``head`` sees only the class token. The position embedding and class token are
additions (no layer); norms and GELU are skipped.
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
    )
    layers = [patch_embed]
    for i in range(depth):
        p = f"blocks.{i}"
        layers.append(ops.linear(f"{p}.attn.qkv", t, dim, 3 * dim))
        layers += ops.attention(f"{p}.attn", batch, heads, dim // heads, tokens, tokens)
        layers.append(ops.linear(f"{p}.attn.proj", t, dim, dim))
        layers.append(ops.linear(f"{p}.mlp.fc1", t, dim, hidden))
        layers.append(ops.linear(f"{p}.mlp.fc2", t, hidden, dim))
    layers.append(ops.linear("head", batch, dim, CLASSES))
    return layers
