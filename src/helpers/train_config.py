"""The tiny GPT's training settings: a validated dataclass and two presets.

:class:`TrainConfig` holds everything that decides a training run's numbers (with the data and
the thread count); every field is checked when it is set, with a message that names it and its
allowed range. :data:`CPU_PRESET` is the chapters' model, :data:`GPU_PRESET` nanoGPT's "baby
GPT". :func:`helpers.train.train` takes either, with any field overridden by keyword.

Introduced in chapter 4 (train a tiny GPT with a λ slider).
"""

from __future__ import annotations

from dataclasses import dataclass

from helpers.checks import (
    check_betas,
    check_bool,
    check_choice,
    check_int,
    check_real,
    check_seed,
)
from helpers.model import GPTConfig
from helpers.param_groups import RULES

OPTIMIZERS = ("torch", "book")
SCHEDULES = ("constant", "cosine")
# TrainConfig's fields that are GPTConfig's
MODEL_FIELDS = ("n_layer", "n_head", "n_embd", "block_size", "dropout", "bias")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run's numbers (with the data and the thread count)."""

    # the model (GPTConfig's fields; vocab_size comes from the data)
    n_layer: int = 2  # transformer blocks
    n_head: int = 4  # attention heads per block
    n_embd: int = 64  # width of the residual stream
    block_size: int = 64  # context length in characters
    dropout: float = 0.0  # dropout while training (0: let weight decay be the only regulariser)
    bias: bool = True  # biases in Linear layers and LayerNorms
    # the data
    batch_size: int = 32  # sequences per step; tokens per step = batch_size·block_size
    train_chars: int | None = 3000  # train on the first N characters of the training part only
    # the optimizer
    lr: float = 3e-3  # η, the peak learning rate
    weight_decay: float = 0.1  # λ for the decayed group; AdamW shrinks θ by η_t·λ each step
    rule: str = "nanogpt"  # which tensors decay: "nanogpt", "mingpt", "olmo2", "all" (chapter 3)
    optimizer: str = "torch"  # "torch": torch.optim, fused kernel; "book": helpers.optim
    decoupled: bool = True  # True: AdamW's shrink; False: Adam with λθ added to the gradient (L2)
    betas: tuple[float, float] = (0.9, 0.99)  # β₁, β₂ of Adam's moment averages
    eps: float = 1e-8  # ε in √v̂ + ε
    grad_clip: float = 0.0  # clip the gradients' global norm to this value; 0 turns it off
    # the schedule: η_t = s_t·lr
    steps: int = 400  # optimizer steps
    warmup_steps: int = 0  # s_t rises linearly from 1/warmup_steps to 1 over these steps
    schedule: str = "constant"  # after warmup: "constant" s_t = 1, or "cosine" down to min_lr_ratio
    min_lr_ratio: float = 0.1  # the cosine schedule's final s_t
    # evaluation
    eval_every: int = 50  # evaluate every N steps (and at step 0 and the last step)
    eval_batches: int = 4  # fixed batches each for the training and the validation loss
    # where and how
    seed: int = 0  # model init, batch order and dropout
    device: str = "auto"  # "auto" (cuda → mps → cpu), "cpu", "cuda", "cuda:N" or "mps"
    # bf16 autocast. Off by default: tiny models are launch-bound on a GPU, so the extra cast
    # kernels can cost more than the cheaper matmuls save (`python bench/bench_gpu.py` times both)
    bf16: bool = False

    def __post_init__(self):
        model = self.gpt_config(vocab_size=1)  # GPTConfig checks the model's fields
        checked = {name: getattr(model, name) for name in MODEL_FIELDS}
        block = checked["block_size"]
        checked.update(
            batch_size=check_int("batch_size", self.batch_size, low=1),
            train_chars=None
            if self.train_chars is None
            else check_int("train_chars", self.train_chars, low=block + 1),
            lr=check_real("lr", self.lr, low=0, low_open=True),
            weight_decay=check_real("weight_decay", self.weight_decay, low=0),
            rule=check_choice("rule", self.rule, RULES),
            optimizer=check_choice("optimizer", self.optimizer, OPTIMIZERS),
            decoupled=check_bool("decoupled", self.decoupled),
            betas=check_betas("betas", self.betas),
            eps=check_real("eps", self.eps, low=0),
            grad_clip=check_real("grad_clip", self.grad_clip, low=0),
            steps=check_int("steps", self.steps, low=1),
            warmup_steps=check_int("warmup_steps", self.warmup_steps, low=0),
            schedule=check_choice("schedule", self.schedule, SCHEDULES),
            min_lr_ratio=check_real("min_lr_ratio", self.min_lr_ratio, low=0, high=1),
            eval_every=check_int("eval_every", self.eval_every, low=1),
            eval_batches=check_int("eval_batches", self.eval_batches, low=1),
            seed=check_seed("seed", self.seed),
            bf16=check_bool("bf16", self.bf16),
        )
        if not isinstance(self.device, str):
            raise ValueError(f"device must be a string such as 'cpu', got {self.device!r}")
        for name, value in checked.items():  # plain Python types: asdict() is JSON-ready
            object.__setattr__(self, name, value)

    def gpt_config(self, vocab_size: int) -> GPTConfig:
        """The model's configuration for a vocabulary of ``vocab_size`` characters."""
        return GPTConfig(
            vocab_size=vocab_size,
            block_size=self.block_size,
            n_layer=self.n_layer,
            n_head=self.n_head,
            n_embd=self.n_embd,
            dropout=self.dropout,
            bias=self.bias,
        )


# The chapters' CPU model: 2 layers, 64 wide, 4 heads, 64 characters of context, 32 sequences per
# step, trained on the first 3,000 characters of the training text (the small-data setting, where
# weight decay visibly regularises) at a constant η = 3e-3 for 400 steps. Chapter 4 shows what it
# learns at each λ; `python bench/bench_train.py --end-to-end` times it.
CPU_PRESET = TrainConfig()

# nanoGPT's "baby GPT" (config/train_shakespeare_char.py): 6 layers × 384 wide, 6 heads, block 256,
# batch 64, dropout 0.2, η = 1e-3 with warmup and cosine decay, β₂ = 0.99, on the whole training
# text; ≈ 10.7 M parameters with this book's 103-character vocabulary.
# `python bench/bench_gpu.py` measures its speed and loss on a GPU.
GPU_PRESET = TrainConfig(
    n_layer=6,
    n_head=6,
    n_embd=384,
    block_size=256,
    dropout=0.2,
    batch_size=64,
    train_chars=None,
    lr=1e-3,
    weight_decay=0.1,
    grad_clip=1.0,
    steps=2000,
    warmup_steps=100,
    schedule="cosine",
    min_lr_ratio=0.1,
    eval_every=250,
    eval_batches=20,
)
