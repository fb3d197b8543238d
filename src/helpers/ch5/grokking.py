"""Grokking on modular addition: a one-layer transformer in the style of Nanda et al. (2023).

The task is (a + b) mod p, shown to the model as the three tokens "a b =" and read at "=".
A fraction of the p² pairs is used for training; the rest is the test set. With AdamW and a
large weight decay the network first memorises the training pairs and, hundreds to thousands of
full-batch steps later, suddenly generalises ("groks").

The model follows Nanda et al.'s official code: one layer, learned positional embeddings,
ReLU MLP, no LayerNorm, untied embedding and unembedding, every parameter decayed. Two
departures, both stated in chapter 5: the unembedding has p outputs (the "=" token is never an
answer), and only the "=" position is computed after the attention keys and values, since in a
one-layer model nothing else reaches the read-out (the gradients are the same).

Training uses ``torch.optim.AdamW`` (decoupled decay, θ ← θ − ηλθ − η·m̂/(√v̂ + ε)), full batch,
a linear warmup, and a float64 log-softmax for the loss. That last choice is ours: Nanda et al.'s
``cross_entropy_high_precision`` (``helpers.py``, commit 23d2c64) has a comment about casting to
float64 but casts the logits to float32, so their loss is float32. (``helpers.optim.AdamW`` of
chapter 2 is tested to take the same steps; PyTorch's keeps the stored runs independent of it.)

Introduced in chapter 5 ("Beyond regularization").
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from helpers.checks import check_betas, check_bool, check_int, check_real, check_seed
from helpers.history import norm
from helpers.runtime import (
    cpu_threads,
    flush_denormals,
    get_device,
    grad_mode_kept,
    interrupts_gated,
    interrupts_held,
    set_seed,
)
from helpers.schedules import warmup


@dataclass(frozen=True)
class GrokConfig:
    """One grokking run. Defaults: groks after 1,770–2,190 steps (seeds 0–2), ~1 min on 1 core."""

    p: int = 97  # modulus; the vocabulary is 0 … p−1 plus "=" (token p)
    train_frac: float = 0.4  # fraction of the p² pairs in the training set
    d_model: int = 64  # width of the residual stream
    n_heads: int = 4  # attention heads, each of width d_model / n_heads
    d_mlp: int = 256  # hidden ReLU units of the MLP
    lr: float = 1e-3  # η after warmup (constant: no decay schedule)
    weight_decay: float = 1.0  # λ of AdamW, applied to every parameter as in Nanda et al.
    betas: tuple[float, float] = (0.9, 0.98)  # (β1, β2), as in Power et al. and Nanda et al.
    warmup_steps: int = 10  # η rises linearly over these steps
    max_steps: int = 3000  # full-batch steps (one step = one epoch)
    eval_every: int = 10  # evaluate (and record the history) every this many steps
    target_acc: float = 0.99  # "grokked" = first evaluation with test accuracy ≥ this
    stop_at_target: bool = True  # stop training at that evaluation (early stopping)
    seed: int = 0  # seeds both the train/test split and the initialisation

    def __post_init__(self):
        checked = dict(
            p=check_int("p", self.p, low=2),
            train_frac=_check_fraction(self.train_frac),
            d_model=check_int("d_model", self.d_model, low=1),
            n_heads=check_int("n_heads", self.n_heads, low=1),
            d_mlp=check_int("d_mlp", self.d_mlp, low=1),
            lr=check_real("lr", self.lr, low=0, low_open=True),
            weight_decay=check_real("weight_decay", self.weight_decay, low=0),
            betas=check_betas("betas", self.betas),
            warmup_steps=check_int("warmup_steps", self.warmup_steps, low=0),
            max_steps=check_int("max_steps", self.max_steps, low=1),
            eval_every=check_int("eval_every", self.eval_every, low=1),
            target_acc=check_real("target_acc", self.target_acc, low=0, high=1, low_open=True),
            stop_at_target=check_bool("stop_at_target", self.stop_at_target),
            seed=check_seed("seed", self.seed),
        )
        if checked["d_model"] % checked["n_heads"]:
            raise ValueError(
                f"d_model must be divisible by n_heads, got d_model={self.d_model}, "
                f"n_heads={self.n_heads}"
            )
        _check_split(checked["p"], checked["train_frac"])
        for name, value in checked.items():  # plain Python types: to_dict() is JSON-ready
            object.__setattr__(self, name, value)

    def to_dict(self) -> dict:
        """JSON-ready form (what precomputed results hash)."""
        return {**asdict(self), "betas": list(self.betas)}


def _check_fraction(train_frac) -> float:
    return check_real("train_frac", train_frac, low=0, high=1, low_open=True, high_open=True)


def _check_split(p: int, train_frac: float) -> None:
    n_train = round(train_frac * p * p)
    if not 0 < n_train < p * p:
        raise ValueError(
            f"train_frac={train_frac} of p²={p * p} pairs leaves an empty train or test set"
        )


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------


@dataclass
class ModularAdditionData:
    """Token sequences "a b =" (shape (n, 3)) and answers (a + b) mod p, split into train/test."""

    p: int
    train_idx: torch.Tensor  # indices into the p² pairs, pair k = (k // p, k % p)
    test_idx: torch.Tensor
    train_x: torch.Tensor = field(repr=False)
    train_y: torch.Tensor = field(repr=False)
    test_x: torch.Tensor = field(repr=False)
    test_y: torch.Tensor = field(repr=False)


def split_pairs(p: int, train_frac: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A seeded random partition of the p² pair indices into train and test (sorted)."""
    p, train_frac = check_int("p", p, low=2), _check_fraction(train_frac)
    seed = check_seed("seed", seed)
    _check_split(p, train_frac)
    n_train = round(train_frac * p * p)
    order = torch.randperm(p * p, generator=torch.Generator().manual_seed(seed))
    return order[:n_train].sort().values, order[n_train:].sort().values


def modular_addition_data(p: int, train_frac: float, seed: int) -> ModularAdditionData:
    """All p² problems (a + b) mod p as tokens [a, b, p], split by :func:`split_pairs`."""
    train_idx, test_idx = split_pairs(p, train_frac, seed)
    pairs = torch.arange(p * p)
    a, b = pairs // p, pairs % p
    x = torch.stack([a, b, torch.full_like(a, p)], dim=1)  # token p is "="
    y = (a + b) % p
    return ModularAdditionData(
        p, train_idx, test_idx, x[train_idx], y[train_idx], x[test_idx], y[test_idx]
    )


# ---------------------------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------------------------


class OneLayerTransformer(nn.Module):
    """Embed → one attention layer → ReLU MLP → unembed, residual, no LayerNorm (Nanda et al.).

    ``forward(x)`` takes tokens of shape (batch, 3) and returns the logits over the p answers
    at the last ("=") position, shape (batch, p).
    """

    def __init__(self, p: int, d_model: int, n_heads: int, d_mlp: int):
        super().__init__()
        self.n_heads, self.d_head = n_heads, d_model // n_heads
        d_vocab, n_ctx = p + 1, 3

        # Nanda et al.'s initialisation: N(0, 1/d_model), biases 0, unembedding N(0, 1/d_vocab).
        def normal(*shape, fan):
            return nn.Parameter(torch.randn(*shape) / math.sqrt(fan))

        self.W_E = normal(d_vocab, d_model, fan=d_model)  # token embedding
        self.W_pos = normal(n_ctx, d_model, fan=d_model)  # learned positions
        # Query, key and value maps of all heads side by side (head h owns columns h·d_head …).
        self.W_Q = normal(d_model, d_model, fan=d_model)
        self.W_K = normal(d_model, d_model, fan=d_model)
        self.W_V = normal(d_model, d_model, fan=d_model)
        self.W_O = normal(d_model, d_model, fan=d_model)
        self.W_in = normal(d_model, d_mlp, fan=d_model)
        self.b_in = nn.Parameter(torch.zeros(d_mlp))
        self.W_out = normal(d_mlp, d_model, fan=d_model)
        self.b_out = nn.Parameter(torch.zeros(d_model))
        self.W_U = normal(d_model, p, fan=d_vocab)  # untied: its own matrix

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        resid = self.W_E[tokens] + self.W_pos  # (batch, 3, d_model)
        batch, heads = resid.shape[0], (self.n_heads, self.d_head)
        # Attention of the "=" position over all three positions (causal for the last one).
        q = (resid[:, -1] @ self.W_Q).view(batch, 1, *heads)
        k = (resid @ self.W_K).view(batch, 3, *heads)
        v = (resid @ self.W_V).view(batch, 3, *heads)
        attn = torch.softmax((q * k).sum(-1) / math.sqrt(self.d_head), dim=1)  # (batch, 3, heads)
        z = (attn[..., None] * v).sum(1).reshape(batch, -1)  # heads side by side
        x = resid[:, -1] + z @ self.W_O
        x = x + torch.relu(x @ self.W_in + self.b_in) @ self.W_out + self.b_out
        return x @ self.W_U


def cross_entropy_float64(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy computed with a float64 log-softmax (chapter 5).

    In float32, very confident predictions round the correct class's probability to exactly 1,
    so its loss and gradient become 0 (Prieto et al. 2025 call this Softmax Collapse). Nanda et
    al.'s code, whose comment asks for float64, computes this loss in float32.
    """
    if logits.device.type == "mps":  # no float64 on Apple GPUs: this one step runs on the CPU
        logits, labels = logits.cpu(), labels.cpu()
    log_probs = logits.to(torch.float64).log_softmax(dim=-1)
    return -log_probs.gather(-1, labels[:, None]).mean()


def weight_norm(model: nn.Module) -> float:
    """‖θ‖: the L2 norm of all parameters together."""
    return norm(model.parameters())


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------

HISTORY_KEYS = (
    "step",
    "train_loss",
    "test_loss",
    "train_acc",
    "test_acc",
    "weight_norm",  # ‖θ‖ over all parameters
    "train_collapsed",  # fraction of training examples whose float32 loss is exactly 0
)


@dataclass
class GrokResult:
    """What :func:`train_grokking` returns: the history and when (if ever) the model grokked."""

    config: GrokConfig
    history: dict[str, list]  # HISTORY_KEYS → one value per evaluation
    grok_step: int | None  # first evaluated step with test accuracy ≥ target_acc
    stopped: str  # "grokked", "max_steps", "interrupted" or "diverged: …"
    seconds: float  # wall-clock training time
    model: OneLayerTransformer = field(repr=False)


@torch.no_grad()
def _evaluate(model, x, y) -> tuple[float, float, float]:
    """Loss (float64), accuracy, and the fraction of examples in Softmax Collapse."""
    logits = model(x)
    # Prieto et al.'s Softmax Collapse: in float32 the correct class's probability rounds to 1,
    # so the example's loss, and its gradient, are exactly 0.
    f32_losses = nn.functional.cross_entropy(logits.float(), y, reduction="none")
    return (
        float(cross_entropy_float64(logits, y)),
        float((logits.argmax(-1) == y).float().mean()),
        float((f32_losses == 0).float().mean()),
    )


def train_grokking(
    config: GrokConfig = GrokConfig(),
    device: str | torch.device = "cpu",
    num_threads: int | None = None,
) -> GrokResult:
    """Train one model full-batch with AdamW; evaluate every ``eval_every`` steps.

    The history starts at step 0 (the initialisation). Training stops at the first evaluation
    with test accuracy ≥ ``target_acc`` when ``stop_at_target``, after ``max_steps``, as soon
    as the loss is not finite, or at Ctrl-C; ``stopped`` says which, and the history so far is
    kept, with one entry per evaluation in every list.

    ``num_threads`` sets torch's CPU threads for this run only (``None``: leave them as they
    are). The stored runs (:mod:`helpers.ch5.sweep`) used ``sweep.THREADS``; the same count gives
    the same float32 sums.
    Subnormal floats (below 1.2e-38) are flushed to zero during the run, and the caller's
    setting is restored after: once the network is confident, the loss's gradient with respect
    to the logits holds the wrong answers' probabilities, many of them subnormal, and some CPUs
    compute with subnormals very slowly. ``python bench/bench_denormal.py`` measures what
    flushing does to the time and the loss on the machine at hand.
    """
    if not isinstance(config, GrokConfig):
        raise ValueError(f"config must be a GrokConfig, got {config!r}")
    dev = get_device(device)
    # Ctrl-C stops the loop, never the setup or the wrap-up (restoring the settings): no run is
    # lost between the two
    with interrupts_gated() as loop_may_stop:
        with cpu_threads(num_threads), flush_denormals(), grad_mode_kept():
            return _train(config, dev, loop_may_stop)


def _setup(config: GrokConfig, dev: torch.device):
    """The data on ``dev``, the seeded model, AdamW and its warmup schedule."""
    data = modular_addition_data(config.p, config.train_frac, config.seed)
    tensors = (data.train_x, data.train_y, data.test_x, data.test_y)
    set_seed(config.seed)
    model = OneLayerTransformer(config.p, config.d_model, config.n_heads, config.d_mlp).to(dev)
    optimizer = torch.optim.AdamW(
        model.parameters(),
        lr=config.lr,
        betas=config.betas,
        weight_decay=config.weight_decay,
        fused=dev.type == "cuda",
    )
    # η_t = η·s_t with s_t = min(1, (t + 1)/warmup_steps): linear warmup, then constant
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda t: warmup(t, config.warmup_steps)
    )
    return [t.to(dev) for t in tensors], model, optimizer, schedule


def _train(config: GrokConfig, dev: torch.device, loop_may_stop) -> GrokResult:
    """The training loop of :func:`train_grokking`, on ``dev`` with the threads as they are;
    Ctrl-C stops it inside ``loop_may_stop()`` only."""
    history, grok_step, stopped = {key: [] for key in HISTORY_KEYS}, None, "max_steps"
    start = time.perf_counter()
    (train_x, train_y, test_x, test_y), model, optimizer, schedule = _setup(config, dev)
    try:
        with loop_may_stop():
            for step in range(config.max_steps + 1):
                if step % config.eval_every == 0 or step == config.max_steps:
                    train_loss, train_acc, collapsed = _evaluate(model, train_x, train_y)
                    test_loss, test_acc, _ = _evaluate(model, test_x, test_y)
                    theta = weight_norm(model)
                    values = (step, train_loss, test_loss, train_acc, test_acc, theta, collapsed)
                    with interrupts_held():  # the row is added whole or not at all
                        for key, value in zip(HISTORY_KEYS, values, strict=True):
                            history[key].append(value)
                    if not (math.isfinite(train_loss) and math.isfinite(test_loss)):
                        stopped = f"diverged: loss is {train_loss} at step {step}"
                        break
                    if grok_step is None and test_acc >= config.target_acc:
                        grok_step = step
                        if config.stop_at_target:
                            stopped = "grokked"
                            break
                if step == config.max_steps:
                    break
                loss = cross_entropy_float64(model(train_x), train_y)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                with interrupts_held():  # a step is taken whole or not at all
                    optimizer.step()
                    schedule.step()
    except KeyboardInterrupt:
        stopped = "interrupted"
    if stopped == "max_steps" and grok_step is not None:
        stopped = "grokked"
    return GrokResult(config, history, grok_step, stopped, time.perf_counter() - start, model)
