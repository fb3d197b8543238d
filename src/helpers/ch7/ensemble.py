"""Many small networks trained at once: every (λ, seed) run of one setting as one stacked model.

Why not the tiny GPT: a λ sweep at three data sizes and three batch sizes over five seeds is
hundreds of runs, and one tiny-GPT run takes seconds to minutes on a busy 2-core machine. The
runs here are small MLPs, so a step of one of them is mostly Python overhead; stacking K
independent models along a leading axis (weights of shape (K, fan_in, fan_out), ``torch.bmm``)
does K steps in one. AdamW is written out for the stack (:func:`stacked_adamw_step`, the order
of operations of ``torch.optim.AdamW``) so that each model k has its own λ_k. Model k never sees
another model's data, weights or moments: the stack is K separate runs, computed together.

The task stands in for next-token prediction: x ~ N(0, I_d); a fixed random teacher network
gives logits over C classes, and the label is *sampled* from softmax(teacher logits), so even the
teacher has a loss floor (its entropy), as a language has. Each seed draws its own N training
pairs; one test set of fresh pairs, the same for every run, measures the cross-entropy. With
N = 512 to 2048 pairs and 50 epochs the student overfits without weight decay: the regime where
the best λ depends on the data size.

Notation (the book's): η = lr (peak), λ = weight decay, B = batch size, N = training samples,
E = epochs, T = E·N/B steps, τ_iter = 1/(ηλ), τ_epoch = τ_iter·B/N.

Introduced in chapter 7 (how λ should scale).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from helpers.checks import check_choice, check_int, check_real, check_tuple


@dataclass(frozen=True)
class Task:
    """The synthetic data: the same teacher for every run."""

    dim: int = 16  # d, input dimension
    classes: int = 8  # C, number of labels
    teacher_width: int = 32  # hidden units of the teacher
    teacher_scale: float = 3.0  # std of the teacher's logits: larger = less label noise
    teacher_seed: int = 1234  # the teacher's weights
    test_samples: int = 8192  # fresh pairs for the test loss (one set for every run)
    test_seed: int = 999  # the test set's generator


@dataclass(frozen=True)
class Setting:
    """One (N, B, η) setting; all its λ values and seeds train together as one stack."""

    train_samples: int = 1024  # N
    batch_size: int = 32  # B
    lr: float = 1e-3  # η, the peak learning rate
    epochs: int = 50  # E: whole passes, each a fresh permutation of the N pairs
    width: int = 128  # hidden units per hidden layer of the student
    depth: int = 2  # hidden layers
    schedule: str = "linear"  # "constant", or "linear": s_t falls from 1 to 0 at the last step
    beta1: float = 0.9  # Adam's β1
    beta2: float = 0.999  # Adam's β2
    eps: float = 1e-8  # Adam's ε
    lambdas: tuple[float, ...] = (0.0, 1.0)  # the λ values (λ = 0 allowed)
    seeds: tuple[int, ...] = (0, 1, 2)  # each seed: its data sample, initial weights, batch order
    n_evals: int = 2  # evaluations along the run (plus step 0); each costs as much as ~100 steps

    def __post_init__(self):
        check_int("train_samples", self.train_samples, low=1)
        check_int("batch_size", self.batch_size, low=1, high=self.train_samples)
        check_real("lr", self.lr, low=0, low_open=True)
        check_int("epochs", self.epochs, low=1)
        check_choice("schedule", self.schedule, ("constant", "linear"))
        check_tuple("lambdas", self.lambdas, check_real, low=0)
        check_tuple("seeds", self.seeds, check_int, low=0)
        check_int("n_evals", self.n_evals, low=1)

    @property
    def steps_per_epoch(self) -> int:
        """N // B: the last incomplete batch of an epoch is dropped."""
        return self.train_samples // self.batch_size

    @property
    def steps(self) -> int:
        """T = E · (N // B)."""
        return self.epochs * self.steps_per_epoch


def teacher_logits(task: Task, x: torch.Tensor) -> torch.Tensor:
    """The teacher's logits for inputs ``x`` (n, d): tanh MLP, standardised to teacher_scale."""
    g = torch.Generator().manual_seed(task.teacher_seed)
    w1 = torch.randn(task.dim, task.teacher_width, generator=g) / math.sqrt(task.dim)
    w2 = torch.randn(task.teacher_width, task.classes, generator=g)
    # the logits' std over x ~ N(0, I), estimated on 20,000 points of the teacher's own generator
    scale = (torch.tanh(torch.randn(20_000, task.dim, generator=g) @ w1) @ w2).std()
    return torch.tanh(x @ w1) @ w2 / scale * task.teacher_scale


def sample_pairs(task: Task, n: int, gen: torch.Generator):
    """``n`` pairs (x, y) with y sampled from the teacher, and the teacher's probabilities."""
    x = torch.randn(n, task.dim, generator=gen)
    probs = F.softmax(teacher_logits(task, x), dim=-1)
    y = torch.multinomial(probs, 1, generator=gen).squeeze(1)
    return x, y, probs


class Stack:
    """K MLPs d → width (→ width)·(depth − 1) → C as stacked tensors; LayerNorm (no gain or
    bias) and ReLU after each hidden matrix; PyTorch's default initialisation U(±1/√fan_in)."""

    def __init__(self, task: Task, setting: Setting, seeds: list[int]):
        dims = [task.dim] + [setting.width] * setting.depth + [task.classes]
        self.weights, self.biases = [], []
        for i, (fan_in, fan_out) in enumerate(zip(dims[:-1], dims[1:], strict=True)):
            ws, bs = [], []
            bound = 1 / math.sqrt(fan_in)
            for seed in seeds:
                g = torch.Generator().manual_seed(7919 * seed + i)
                ws.append((torch.rand(fan_in, fan_out, generator=g) * 2 - 1) * bound)
                bs.append((torch.rand(1, fan_out, generator=g) * 2 - 1) * bound)
            self.weights.append(torch.stack(ws).requires_grad_())
            self.biases.append(torch.stack(bs).requires_grad_())

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """x: (K, n, d) → logits (K, n, C)."""
        h = x
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = torch.baddbmm(b, h, w)
            if i < last:
                h = F.relu(F.layer_norm(h, h.shape[-1:]))
        return h


@torch.no_grad()
def stacked_adamw_step(params, grads, m, v, t: int, lr: float, beta1, beta2, eps) -> None:
    """One ``torch.optim.AdamW`` step (its order of operations) for K stacked models at once.

    ``params``: pairs (tensor (K, ...), λ per model as a (K, 1, 1) tensor, or None: no decay);
    ``m``, ``v``: Adam's moments, same shapes; ``t``: the step number 1, 2, …; ``lr``: η_t.
    """
    bias1, bias2 = 1 - beta1**t, 1 - beta2**t
    for (theta, lam), g, m_, v_ in zip(params, grads, m, v, strict=True):
        if lam is not None:
            # θ ← (1 − η_t·λ_k)·θ, each model k with its own λ_k (decay first, as torch does)
            theta.mul_(1 - lr * lam)
        # m_t = β1·m_{t−1} + (1 − β1)·g_t,  v_t = β2·v_{t−1} + (1 − β2)·g_t²
        m_.lerp_(g, 1 - beta1)
        v_.mul_(beta2).addcmul_(g, g, value=1 - beta2)
        # θ ← θ − η_t·m̂_t/(√v̂_t + ε)
        denom = (v_.sqrt() / math.sqrt(bias2)).add_(eps)
        theta.addcdiv_(m_, denom, value=-lr / bias1)


def multiplier(setting: Setting, t: int) -> float:
    """s_t of step t = 1 … T: 1 (constant), or 1 − (t − 1)/T (linear decay towards 0)."""
    if setting.schedule == "constant":
        return 1.0
    return 1 - (t - 1) / setting.steps


def _mean_losses(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Each model's mean cross-entropy, shape (K,), from logits (K, n, C) and labels (K, n)."""
    return F.cross_entropy(logits.transpose(1, 2), y, reduction="none").mean(1)


def _training_pairs(task: Task, setting: Setting, seeds: list[int]):
    """The stack's training inputs (K, N, d) and labels (K, N): each seed's own N pairs, the
    same pairs for every λ with that seed."""
    data = {}
    for seed in sorted(set(seeds)):
        gen = torch.Generator().manual_seed(10**5 + seed)
        x, y, _ = sample_pairs(task, setting.train_samples, gen)
        data[seed] = (x, y)
    x_train = torch.stack([data[seed][0] for seed in seeds])
    y_train = torch.stack([data[seed][1] for seed in seeds])
    return x_train, y_train


def _recorder(task: Task, model: Stack, runs: list, x_train, y_train):
    """The curves of a stack and its ``evaluate(t)``, which appends every run's test loss (on one
    test set for all) and train loss; ``curves["test_entropy"]`` is the teacher's loss floor."""
    k = len(runs)
    x_test, y_test, p_test = sample_pairs(
        task, task.test_samples, torch.Generator().manual_seed(task.test_seed)
    )
    # the loss floor: the teacher's own entropy, −Σ p log p, averaged over the test inputs
    entropy = -(p_test * p_test.clamp_min(1e-30).log()).sum(-1).mean().item()
    curves = {"step": [], "test_entropy": entropy, "test_loss": [], "train_loss": []}

    @torch.no_grad()
    def evaluate(t: int) -> None:
        test = _mean_losses(model(x_test.expand(k, -1, -1)), y_test.expand(k, -1))
        if not torch.isfinite(test).all():
            bad = [runs[j] for j in range(k) if not math.isfinite(test[j])]
            raise ValueError(f"the loss diverged at step {t} for (λ, seed) in {bad[:4]}")
        curves["step"].append(t)
        curves["test_loss"].append(test.tolist())
        curves["train_loss"].append(_mean_losses(model(x_train), y_train).tolist())

    return curves, evaluate


def _per_run(runs: list, curves: dict) -> dict:
    """The stack's curves split into one entry per (λ, seed) run, as :func:`train_stack` returns."""
    return {
        "step": curves["step"],
        "test_entropy": curves["test_entropy"],
        "runs": [
            {
                "lam": lam,
                "seed": seed,
                "test_loss": [row[j] for row in curves["test_loss"]],
                "train_loss": [row[j] for row in curves["train_loss"]],
            }
            for j, (lam, seed) in enumerate(runs)
        ],
    }


def train_stack(task: Task, setting: Setting) -> dict:
    """Train every (λ, seed) of ``setting`` at once; per run, the test and train loss at each
    evaluation (chapter 7). Stops with a ValueError if a loss becomes NaN or infinite."""
    runs = [(lam, seed) for lam in setting.lambdas for seed in setting.seeds]
    k = len(runs)
    seeds = [seed for _, seed in runs]
    # λ_k of each model k, shaped to scale its (K, fan_in, fan_out) slice
    lam = torch.tensor([lam for lam, _ in runs]).view(k, 1, 1)
    x_train, y_train = _training_pairs(task, setting, seeds)
    model = Stack(task, setting, seeds)
    curves, evaluate = _recorder(task, model, runs, x_train, y_train)
    # matrices decay, biases do not (nanoGPT's rule)
    params = [(w, lam) for w in model.weights] + [(b, None) for b in model.biases]
    m = [torch.zeros_like(p) for p, _ in params]
    v = [torch.zeros_like(p) for p, _ in params]
    n_evals, total = setting.n_evals, setting.steps
    eval_at = sorted({round(total * j / n_evals) for j in range(n_evals + 1)})
    batch_gens = [torch.Generator().manual_seed(2 * 10**5 + seed) for seed in seeds]
    rows = torch.arange(k)[:, None]
    size, t = setting.batch_size, 0

    evaluate(0)
    for _ in range(setting.epochs):
        perms = torch.stack(
            [torch.randperm(setting.train_samples, generator=g) for g in batch_gens]
        )
        for j in range(setting.steps_per_epoch):
            t += 1
            chosen = perms[:, j * size : (j + 1) * size]
            logits = model(x_train[rows, chosen])
            # the sum over models of each model's mean loss: model k's gradient is its own
            losses = _mean_losses(logits, y_train[rows, chosen])
            grads = torch.autograd.grad(losses.sum(), [p for p, _ in params])
            # η_t = η·s_t
            eta_t = setting.lr * multiplier(setting, t)
            # θ ← (1 − η_t·λ_k)·θ − η_t·m̂_t/(√v̂_t + ε), per model k
            betas = (setting.beta1, setting.beta2)
            stacked_adamw_step(params, grads, m, v, t, eta_t, *betas, setting.eps)
            if t in eval_at:
                evaluate(t)
    return _per_run(runs, curves)
