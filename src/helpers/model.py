"""A tiny GPT, to be read top to bottom: attention → MLP → Block → config → GPT.

The design follows nanoGPT's ``model.py``: pre-LayerNorm residual blocks, a GELU MLP, causal
self-attention through ``scaled_dot_product_attention``, learned positions, and a token embedding
that is also the output head (one tensor, so a decay rule sees it once). The parameter names are
nanoGPT's (``transformer.wte.weight``, ``transformer.h.0.ln_1.weight``, ...), so the decay rules
of chapter 3 read the same here as in the code they come from.

Introduced in chapter 4 (train a tiny GPT with a λ slider); chapter 3 sorts its parameters into
decay groups.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from helpers.checks import check_bool, check_int, check_real, check_seed


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention in which position t sees positions ≤ t only."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        # one matmul makes queries, keys and values for every head at once
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.resid_dropout = nn.Dropout(config.dropout)
        self.n_head = config.n_head
        self.dropout = config.dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        # (B, T, C) -> (B, n_head, T, head size)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        # softmax(q kᵀ / √d + causal mask) v; is_causal builds no mask tensor at all
        y = F.scaled_dot_product_attention(
            q, k, v, dropout_p=self.dropout if self.training else 0.0, is_causal=True
        )
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    """Position-wise feed-forward: widen 4×, GELU, project back."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    """A pre-LayerNorm transformer block: x + attn(ln(x)), then x + mlp(ln(x))."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        # nn.LayerNorm takes bias=False since PyTorch 2.1, so nanoGPT's own LayerNorm class is not
        # needed; the library class also lets type-based decay rules recognise the norms.
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


@dataclass(frozen=True)
class GPTConfig:
    vocab_size: int  # number of distinct tokens (characters), from the data's vocabulary
    block_size: int = 64  # longest context the model sees (learned positions 0..block_size-1)
    n_layer: int = 2  # number of transformer blocks
    n_head: int = 4  # attention heads per block; n_embd must divide by it
    n_embd: int = 64  # width of the residual stream
    dropout: float = 0.0  # dropout on attention weights and residual branches while training
    bias: bool = True  # biases in Linear layers and LayerNorms (GPT-2 has them)

    def __post_init__(self):
        checked = {
            name: check_int(name, getattr(self, name), low=1)
            for name in ("vocab_size", "block_size", "n_layer", "n_head", "n_embd")
        }
        checked["dropout"] = check_real("dropout", self.dropout, low=0, high=1, high_open=True)
        checked["bias"] = check_bool("bias", self.bias)
        if checked["n_embd"] % checked["n_head"]:
            raise ValueError(
                f"n_embd must be a multiple of n_head, got n_embd={self.n_embd}, "
                f"n_head={self.n_head}"
            )
        for name, value in checked.items():  # plain Python types
            object.__setattr__(self, name, value)


class GPT(nn.Module):
    """A decoder-only transformer language model over characters."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(config.vocab_size, config.n_embd),
                wpe=nn.Embedding(config.block_size, config.n_embd),
                drop=nn.Dropout(config.dropout),
                h=nn.ModuleList(Block(config) for _ in range(config.n_layer)),
                ln_f=nn.LayerNorm(config.n_embd, bias=config.bias),
            )
        )
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        # Weight tying: the output head *is* the token embedding (one tensor, one set of moments,
        # counted once by every decay rule). named_parameters() lists it as transformer.wte.weight.
        self.transformer.wte.weight = self.lm_head.weight
        # GPT-2 init: N(0, 0.02) for every matmul and embedding, zero biases ...
        self.apply(self._init_weights)
        # ... and the projections that write into the residual stream scaled by 1/√(2·n_layer),
        # so the stream's variance does not grow with depth (two residual writes per block).
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def num_params(self) -> int:
        """Number of parameters, the tied embedding/head counted once."""
        return sum(p.numel() for p in self.parameters())

    def forward(
        self, idx: torch.Tensor, targets: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Logits (B, T, vocab) for token ids ``idx`` (B, T); with ``targets``, also the mean
        cross-entropy loss in nats (−1 in ``targets`` marks a position to ignore)."""
        B, T = idx.shape
        if T > self.config.block_size:
            raise ValueError(f"sequence length {T} exceeds block_size={self.config.block_size}")
        pos = torch.arange(T, device=idx.device)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
        for block in self.transformer.h:
            x = block(x)
        logits = self.lm_head(self.transformer.ln_f(x))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(
                logits.reshape(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-1
            )
        return logits, loss

    @torch.no_grad()
    def generate(
        self,
        idx: torch.Tensor,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        seed: int | None = None,
    ) -> torch.Tensor:
        """Continue ``idx`` (B, T) by ``max_new_tokens`` sampled tokens; returns (B, T + new).

        ``temperature`` divides the logits (0 picks the most likely token, no sampling);
        ``top_k`` keeps only the k most likely tokens; ``seed`` makes the sample repeatable.
        The context is cropped to the last ``block_size`` tokens. Runs in eval mode and restores
        the previous mode afterwards.
        """
        max_new_tokens = check_int("max_new_tokens", max_new_tokens, low=0)
        temperature = check_real("temperature", temperature, low=0)
        top_k = None if top_k is None else check_int("top_k", top_k, low=1)
        if not isinstance(idx, torch.Tensor) or idx.dim() != 2 or idx.size(1) == 0:
            shape = tuple(idx.shape) if isinstance(idx, torch.Tensor) else type(idx).__name__
            raise ValueError(f"idx must be a tensor of shape (batch, time ≥ 1), got {shape}")
        if idx.dtype != torch.long or not ((idx >= 0) & (idx < self.config.vocab_size)).all():
            raise ValueError(
                f"idx must be token ids in [0, {self.config.vocab_size}) (int64), got {idx!r:.80}"
            )
        generator = None
        if seed is not None:
            generator = torch.Generator(device=idx.device).manual_seed(check_seed("seed", seed))
        was_training = self.training
        self.eval()
        try:
            for _ in range(max_new_tokens):
                logits, _ = self(idx[:, -self.config.block_size :])
                logits = logits[:, -1, :]
                if not torch.isfinite(logits).all():
                    raise ValueError(
                        "the model's logits are NaN or infinite: its weights have diverged, so "
                        "it cannot be sampled; train it again with a smaller lr"
                    )
                if temperature == 0:
                    next_id = logits.argmax(dim=-1, keepdim=True)
                else:
                    logits = logits / temperature
                    if top_k is not None:
                        kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]
                        logits = logits.masked_fill(logits < kth, -float("inf"))
                    probs = F.softmax(logits, dim=-1)
                    next_id = torch.multinomial(probs, num_samples=1, generator=generator)
                idx = torch.cat((idx, next_id), dim=1)
        finally:
            self.train(was_training)
        return idx


def flops_per_token(config: GPTConfig) -> int:
    """Training FLOPs per token (forward and backward), counted in the PaLM paper's way.

    6·N for the N weights that take part in matmuls (the tied head counted once; position
    embeddings, biases and LayerNorm gains do none), plus 12·n_layer·block_size·n_embd for the
    attention scores and their weighted sums at full context. nanoGPT's ``estimate_mfu`` uses the
    same formula with N = every parameter but the position embedding (biases and gains too):
    1.5 % more FLOPs for the CPU preset (chapter 4).
    """
    c = config
    matmul_weights = c.n_layer * 12 * c.n_embd**2 + c.vocab_size * c.n_embd
    return 6 * matmul_weights + 12 * c.n_layer * c.block_size * c.n_embd
