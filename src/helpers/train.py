"""Train the tiny GPT: a settings dataclass, two presets, ``train()`` and the history it returns.

``train(CPU_PRESET, weight_decay=3.0)`` trains the chapter-4 model for a few seconds on a laptop
CPU and returns a :class:`History`: losses at intervals, weight norms per decay group and per
tracked tensor, update-to-weight ratios, speed, and why it stopped. A loss that turns NaN/inf, an
interrupt (the notebook's stop button) or a callback asking to stop ends the run early with a
message; the history so far comes back either way.

Introduced in chapter 4 (train a tiny GPT with a λ slider); chapter 3 uses the per-tensor norms
to compare decay rules.
"""

from __future__ import annotations

import fnmatch
import math
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace

import torch

from helpers.data import CharData, char_data, get_batch
from helpers.model import GPT, GPTConfig, flops_per_token
from helpers.optim import Adam, AdamW
from helpers.param_groups import RULES, param_groups
from helpers.runtime import get_device, set_seed

OPTIMIZERS = ("torch", "book")
SCHEDULES = ("constant", "cosine")
# The fixed evaluation batches come from their own seed, so runs with different training seeds
# are scored on exactly the same text.
EVAL_SEED = 1234


def _check_int(name: str, value, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} must be an integer ≥ {low}, got {value!r}")


def _check_float(
    name: str, value, low: float, high: float = math.inf, *, open_low=False, open_high=False
) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value > low if open_low else value >= low)
    ok = ok and (value < high if open_high else value <= high)
    if not ok:
        if high == math.inf:
            allowed = f"a finite number {'>' if open_low else '≥'} {low:g}"
        else:
            allowed = f"in {'(' if open_low else '['}{low:g}, {high:g}{')' if open_high else ']'}"
        raise ValueError(f"{name} must be {allowed}, got {value!r}")


def _check_choice(name: str, value, choices: Sequence[str]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")


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
    # kernels cost more than the cheaper matmuls save (the 2-layer preset takes ≈ 4.4 ms/step on
    # an H100 in fp32 and longer with bf16); on the CPU the preset ran 2× slower with it, even on
    # a Xeon with bf16 matrix units (AMX).
    bf16: bool = False

    def __post_init__(self):
        self.gpt_config(vocab_size=1)  # the model's fields are checked by GPTConfig
        for name in ("batch_size", "steps", "eval_every", "eval_batches"):
            _check_int(name, getattr(self, name), 1)
        _check_int("warmup_steps", self.warmup_steps, 0)
        _check_int("seed", self.seed, 0)
        if self.train_chars is not None:
            _check_int("train_chars", self.train_chars, self.block_size + 1)
        _check_float("lr", self.lr, 0, open_low=True)
        _check_float("weight_decay", self.weight_decay, 0)
        if not (isinstance(self.betas, (tuple, list)) and len(self.betas) == 2):
            raise ValueError(f"betas must be a pair (β₁, β₂), got {self.betas!r}")
        for i, beta in enumerate(self.betas):
            _check_float(f"betas[{i}]", beta, 0, 1, open_high=True)
        _check_float("eps", self.eps, 0)
        _check_float("grad_clip", self.grad_clip, 0)
        _check_float("min_lr_ratio", self.min_lr_ratio, 0, 1)
        _check_choice("rule", self.rule, RULES)
        _check_choice("optimizer", self.optimizer, OPTIMIZERS)
        _check_choice("schedule", self.schedule, SCHEDULES)
        for name in ("bias", "decoupled", "bf16"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if not isinstance(self.device, str):
            raise ValueError(f"device must be a string such as 'cpu', got {self.device!r}")

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
# step, trained on the first 3,000 characters of Python's help text (the small-data setting, where
# weight decay visibly regularises) at a constant η = 3e-3 for 400 steps.
# Measured (2 quiet CPU cores, torch 2.13, Python 3.11.7; `python bench/bench_train.py
# --end-to-end`): ≈ 14 ms per step, 400 steps with 9 evaluations in ≈ 6.3 s. It overfits the
# 3,000 characters: at λ = 0.1 train loss 0.62, validation loss 4.31 (best 2.98 at step 150);
# the final validation loss falls with λ to 2.98 at λ = 10 and rises again at λ = 30 (3.04),
# while the decayed weights' norm falls from 23.9 (λ = 0) to 4.8 (λ = 10).
CPU_PRESET = TrainConfig()

# nanoGPT's "baby GPT" (config/train_shakespeare_char.py): 6 layers × 384 wide, 6 heads, block 256,
# batch 64, dropout 0.2, η = 1e-3 with warmup and cosine decay, β₂ = 0.99, on the whole training
# text; ≈ 10.7 M parameters with this book's 103-character vocabulary.
# Expected on one GPU: NOT MEASURED HERE (no GPU in the session that wrote it). From the plain
# implementation's ≈ 1.1 M tokens/s on an H100 with TF32, 2,000 steps × 16,384 tokens ≈ 30 s of
# training; the loss is not measured. `python bench/bench_gpu.py` measures both.
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


def lr_multiplier(step: int, config: TrainConfig) -> float:
    """s_t = η_t/η_0 for the step with index ``step`` (0-based): linear warmup, then constant or
    cosine from 1 down to ``min_lr_ratio`` at the last step."""
    if step < config.warmup_steps:
        return (step + 1) / config.warmup_steps
    if config.schedule == "constant":
        return 1.0
    decay_steps = max(1, config.steps - 1 - config.warmup_steps)
    progress = min(1.0, (step - config.warmup_steps) / decay_steps)
    r = config.min_lr_ratio
    return r + (1 - r) * 0.5 * (1 + math.cos(math.pi * progress))


@dataclass
class History:
    """What a training run measured. Lists under "at eval" have one entry per ``step``."""

    settings: dict  # the TrainConfig as a dict
    environment: dict  # device, versions, threads, data source and fingerprint, parameter count
    step: list[int] = field(default_factory=list)  # steps at which the model was evaluated
    train_loss: list[float] = field(default_factory=list)  # at eval: mean loss, fixed train batches
    val_loss: list[float] = field(default_factory=list)  # at eval: mean loss, fixed val batches
    lr: list[float] = field(default_factory=list)  # at eval: η_t of the last step (step 0: first)
    weight_norm: list[float] = field(default_factory=list)  # at eval: ‖θ‖ over all parameters
    group_norm: dict[str, list[float]] = field(default_factory=dict)  # at eval: ‖θ‖ per group
    # at eval: ‖θ_t − θ_{t−1}‖/‖θ_{t−1}‖ per group for the step just taken (NaN at step 0)
    update_ratio: dict[str, list[float]] = field(default_factory=dict)
    tensor_norm: dict[str, list[float]] = field(default_factory=dict)  # at eval: tracked tensors
    loss: list[float] = field(default_factory=list)  # every step: the loss of its own batch
    wall_s: float = 0.0  # the whole run, evaluation included
    ms_per_step: float = math.nan  # training steps only (the first one's warm-up included)
    tokens_per_s: float = math.nan  # training tokens per second of training steps
    stopped: str = ""  # "finished", "diverged", "interrupted" or "callback"
    message: str = ""  # one line saying how the run ended
    model: GPT | None = field(default=None, repr=False, compare=False)  # the trained model
    data: CharData | None = field(default=None, repr=False, compare=False)  # ... and its data

    def to_dict(self) -> dict:
        """Every measurement as plain JSON-ready values (without the model and the data)."""
        return {
            f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("model", "data")
        }


@torch.no_grad()
def _mean_loss(model: GPT, batches, autocast) -> float:
    model.eval()
    with autocast():
        total = sum(model(x, y)[1].float() for x, y in batches)
    model.train()
    return (total / len(batches)).item()


def _norm(tensors) -> float:
    return math.sqrt(sum(t.detach().float().pow(2).sum().item() for t in tensors))


def _update_ratios(before: dict[str, list], after: dict[str, list]) -> dict[str, float]:
    """‖θ_t − θ_{t−1}‖/‖θ_{t−1}‖ for each group (NaN for an empty group)."""
    return {
        name: _norm([a - b for a, b in zip(after[name], old, strict=True)])
        / (_norm(old) or math.nan)
        for name, old in before.items()
    }


def _tracked(model: GPT, track: Sequence[str]) -> dict[str, torch.Tensor]:
    """The parameters whose names match any of the names or glob patterns in ``track``."""
    if isinstance(track, str):
        track = [track]
    named = dict(model.named_parameters())
    chosen = {}
    for pattern in track:
        hits = [n for n in named if fnmatch.fnmatchcase(n, pattern)]
        if not hits:
            raise ValueError(
                f"track: {pattern!r} matches no parameter; names are: {', '.join(named)}"
            )
        chosen.update((n, named[n]) for n in hits)
    return chosen


def _divergence_message(step: int, loss: float, config: TrainConfig) -> str:
    message = (
        f"stopped at step {step}: the training loss is {loss} (lr={config.lr:g}, "
        f"weight_decay={config.weight_decay:g}); the model keeps the weights of step {step - 1}. "
        f"Try a smaller lr"
    )
    if config.decoupled and config.lr * config.weight_decay >= 1:
        message += " or λ: with lr·λ ≥ 1 each step multiplies θ by 1 − lr·λ ≤ 0"
    return message + "."


def _optimizer(groups: list[dict], config: TrainConfig, device: torch.device):
    kwargs = dict(lr=config.lr, betas=tuple(config.betas), eps=config.eps)
    if config.optimizer == "book":
        if config.decoupled:
            return AdamW(groups, **kwargs)
        return Adam(groups, decoupled=False, **kwargs)
    # PyTorch's fused kernel updates every tensor in one pass: one launch on CUDA, and on the
    # CPU 0.25 ms instead of 0.8 ms (foreach) per step for the CPU preset's 28 tensors
    # (`python bench/bench_optim.py --threads 2`)
    fused = device.type in ("cuda", "cpu")
    if config.decoupled:
        return torch.optim.AdamW(groups, fused=fused, **kwargs)
    return torch.optim.Adam(groups, fused=fused, **kwargs)


def train(
    config: TrainConfig = CPU_PRESET,
    *,
    data: CharData | None = None,
    track: Sequence[str] = (),
    callback: Callable[[int, History], bool | None] | None = None,
    progress: bool = False,
    **overrides,
) -> History:
    """Train a fresh GPT and return its :class:`History` (``history.model`` is the model).

    ``config`` holds the settings (default: :data:`CPU_PRESET`); any of its fields can be
    overridden by keyword, e.g. ``train(weight_decay=3.0, lr=1e-3, steps=200, rule="mingpt",
    optimizer="book", device="cpu", seed=1)``. Bad values raise ``ValueError`` naming the
    setting and its allowed range.

    - ``data``: a :class:`~helpers.data.CharData` (default: Python's help topics); training uses
      its first ``train_chars`` characters.
    - ``track``: parameter names or glob patterns (``"transformer.wte.weight"``, ``"*ln_*.weight"``)
      whose norms ``history.tensor_norm`` records at each evaluation.
    - ``callback(step, history)``: called after every step (e.g. to move a progress bar);
      returning ``True`` stops the run.
    - ``progress``: print one line per evaluation.

    ``optimizer="torch"`` uses PyTorch's fused Adam/AdamW on the CPU and on CUDA. On the CPU the
    same settings, seed and thread count give identical numbers (another thread count gives
    slightly different ones). On CUDA the run also uses TF32 matmuls.
    """
    unknown = sorted(set(overrides) - {f.name for f in fields(TrainConfig)})
    if unknown:
        raise TypeError(
            f"unknown setting(s) {unknown}; TrainConfig has: "
            f"{', '.join(f.name for f in fields(TrainConfig))}"
        )
    config = replace(config, **overrides)
    device = get_device(config.device)
    if device.type == "cuda":
        # TF32 tensor cores for fp32 matmuls: ≈ 10 bits of mantissa, ample for training
        torch.set_float32_matmul_precision("high")

    data = (char_data() if data is None else data).with_train_chars(config.train_chars)
    set_seed(config.seed)
    model = GPT(config.gpt_config(data.vocab.size)).to(device)
    groups = param_groups(model, config.weight_decay, rule=config.rule)
    group_params = {g["name"]: g["params"] for g in groups}
    optimizer = _optimizer(groups, config, device)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: lr_multiplier(t, config))
    tracked = _tracked(model, track)

    train_ids, val_ids = data.train.to(device), data.val.to(device)
    batches = torch.Generator().manual_seed(config.seed)
    fixed = torch.Generator().manual_seed(EVAL_SEED)
    eval_sets = {
        name: [
            get_batch(ids, config.batch_size, config.block_size, fixed)
            for _ in range(config.eval_batches)
        ]
        for name, ids in (("train", train_ids), ("val", val_ids))
    }

    def autocast():
        return torch.autocast(device.type, dtype=torch.bfloat16, enabled=config.bf16)

    history = History(
        settings=asdict(config),
        environment=dict(
            device=str(device) if device.type != "cuda" else torch.cuda.get_device_name(device),
            python=platform.python_version(),
            torch=torch.__version__,
            torch_threads=torch.get_num_threads(),
            data_source=data.source,
            data_fingerprint=data.fingerprint,
            train_chars=len(data.train),
            vocab_size=data.vocab.size,
            n_params=model.num_params(),
            flops_per_token=flops_per_token(model.config),
            track=sorted(tracked),
        ),
        group_norm={name: [] for name in group_params},
        update_ratio={name: [] for name in group_params},
        tensor_norm={name: [] for name in tracked},
        model=model,
        data=data,
    )

    def evaluate(step: int, ratios: dict[str, float]) -> None:
        history.step.append(step)
        history.train_loss.append(_mean_loss(model, eval_sets["train"], autocast))
        history.val_loss.append(_mean_loss(model, eval_sets["val"], autocast))
        history.lr.append(config.lr * lr_multiplier(max(step - 1, 0), config))
        history.weight_norm.append(_norm(model.parameters()))
        for name, params in group_params.items():
            history.group_norm[name].append(_norm(params))
            history.update_ratio[name].append(ratios.get(name, math.nan))
        for name, p in tracked.items():
            history.tensor_norm[name].append(_norm([p]))
        if progress:
            print(
                f"step {step:>5}/{config.steps} · train {history.train_loss[-1]:.3f} · "
                f"val {history.val_loss[-1]:.3f} · lr {history.lr[-1]:.2e}"
            )

    start = time.perf_counter()
    train_time, stopped, message = 0.0, "finished", ""
    step = 0
    try:
        evaluate(0, {})
        model.train()
        for step in range(1, config.steps + 1):
            evaluating = step % config.eval_every == 0 or step == config.steps
            t0 = time.perf_counter()
            x, y = get_batch(train_ids, config.batch_size, config.block_size, batches)
            with autocast():
                _, loss = model(x, y)
            loss_value = loss.item()
            history.loss.append(loss_value)
            if not math.isfinite(loss_value):
                stopped, message = "diverged", _divergence_message(step, loss_value, config)
                break
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if config.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            if evaluating:  # keep θ_{t−1} to measure this step's ‖Δθ‖/‖θ‖
                before = {n: [p.detach().clone() for p in ps] for n, ps in group_params.items()}
            optimizer.step()
            scheduler.step()
            train_time += time.perf_counter() - t0
            if evaluating:
                evaluate(step, _update_ratios(before, group_params))
            if callback is not None and callback(step, history):
                stopped, message = "callback", f"stopped by the callback after step {step}"
                break
    except KeyboardInterrupt:
        stopped = "interrupted"
        message = f"interrupted during step {step}; the history holds what was measured so far"

    steps_done = len(history.loss) - (stopped == "diverged")
    history.wall_s = time.perf_counter() - start
    if steps_done:
        history.ms_per_step = 1000 * train_time / steps_done
        history.tokens_per_s = steps_done * config.batch_size * config.block_size / train_time
    history.stopped = stopped
    history.message = message or (
        f"finished {steps_done} steps in {history.wall_s:.1f} s; "
        f"val loss {history.val_loss[-1]:.3f}"
    )
    model.eval()
    if progress or stopped in ("diverged", "interrupted"):
        print(history.message)
    return history
