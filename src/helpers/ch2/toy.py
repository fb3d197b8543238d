"""The curvature toy of chapter 2: Adam + L2 and AdamW on a two-dimensional toy.

Introduced in chapter 2 (L2 inside Adam is not weight decay), for its hero figure.

The loss is f(w) = ½·Σ_i h_i·(w_i − c_i)² with one steep and one flat direction, curvatures
h = (100, 0.01), target c = (1, 1). Adding the L2 penalty (λ/2)·‖w‖² moves the minimiser to
h_i·c_i/(h_i + λ), so Adam + L2, which minimises the penalised loss, shrinks the flat
coordinate almost to zero; AdamW minimises nothing of the kind and shrinks both alike.

:func:`adam_path` is a float64 NumPy twin of :class:`helpers.optim.Adam`, written in PyTorch's
order of operations so that the two agree to rounding (the tests and the chapter check it
against :func:`torch_path`, which runs ``helpers.optim``). It exists for speed: a slider redraw
needs two 5000-step runs, and NumPy takes a few milliseconds per thousand steps where a
``torch.optim.Optimizer`` takes tens.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from helpers.checks import check_betas, check_bool, check_int, check_real, check_tuple


@dataclass(frozen=True)
class ToyConfig:
    """The chapter's quadratic and the Adam settings of its hero figure (the fact sheet's toy)."""

    curvatures: tuple[float, float] = (100.0, 0.01)  # h_i: one steep, one flat direction
    target: tuple[float, float] = (1.0, 1.0)  # c: the minimiser of the data loss f
    start: tuple[float, float] = (0.0, 0.0)  # w_0
    lr: float = 1e-2  # η, constant
    weight_decay: float = 0.1  # λ, the same number for Adam + L2 and AdamW
    steps: int = 5000  # T
    betas: tuple[float, float] = (0.9, 0.999)  # β1, β2
    eps: float = 1e-8  # ε

    def __post_init__(self):
        pair = dict(check=check_real, length=2)
        checked = dict(
            # h_i > 0: with h_i ≤ 0 the loss has no minimiser to move
            curvatures=check_tuple("curvatures", self.curvatures, **pair, low=0, low_open=True),
            target=check_tuple("target", self.target, **pair),
            start=check_tuple("start", self.start, **pair),
            lr=check_real("lr", self.lr, low=0, low_open=True),
            weight_decay=check_real("weight_decay", self.weight_decay, low=0),
            steps=check_int("steps", self.steps, low=1),
            betas=check_betas("betas", self.betas),
            eps=check_real("eps", self.eps, low=0),
        )
        for name, value in checked.items():
            object.__setattr__(self, name, value)


def gradient(config: ToyConfig, w: np.ndarray) -> np.ndarray:
    """∇f(w) = h ⊙ (w − c)."""
    return np.asarray(config.curvatures) * (np.asarray(w) - np.asarray(config.target))


def ridge_optimum(config: ToyConfig, lam: float) -> np.ndarray:
    """The minimiser of f(w) + (λ/2)·‖w‖²: w_i = h_i·c_i/(h_i + λ), where Adam + L2 converges."""
    lam = check_real("lam", lam, low=0)
    h, c = np.asarray(config.curvatures), np.asarray(config.target)
    return h * c / (h + lam)


def adam_paths(
    config: ToyConfig,
    lr: float | None = None,
    lam: float | None = None,
    decoupled: tuple[bool, ...] = (False, True),
    steps: int | None = None,
) -> np.ndarray:
    """The iterates w_0, …, w_T of Adam + L2 and AdamW, shape (len(decoupled), T + 1, 2).

    Row k runs Adam + L2 (``decoupled[k]`` false) or AdamW (true); ``lr``, ``lam`` and
    ``steps`` default to the config's. Same equations and order of operations as
    :class:`helpers.optim.Adam` with a constant learning rate. The runs share one loop (a
    redraw needs both); a run's switches are exactly 0 or 1, so each row is bit-for-bit the
    run it would be alone.
    """
    lr = config.lr if lr is None else check_real("lr", lr, low=0, low_open=True)
    lam = config.weight_decay if lam is None else check_real("lam", lam, low=0)
    steps = config.steps if steps is None else check_int("steps", steps, low=1)
    decoupled = check_tuple("decoupled", decoupled, check_bool)
    beta1, beta2 = config.betas
    h, c = np.asarray(config.curvatures, dtype=np.float64), np.asarray(config.target, np.float64)
    shrink = np.array([[1 - lr * lam if d else 1.0] for d in decoupled])  # 1 − η·λ, or 1
    l2 = np.array([[0.0 if d else lam] for d in decoupled])  # λ for Adam + L2, else 0
    w = np.tile(np.asarray(config.start, dtype=np.float64), (len(decoupled), 1))
    m, v = np.zeros_like(w), np.zeros_like(w)  # m_0 = v_0 = 0
    paths = np.empty((len(decoupled), steps + 1, w.shape[1]))
    paths[:, 0] = w
    for t in range(1, steps + 1):
        g = h * (w - c)  # g_t = ∇f(w_{t−1})
        g = g + l2 * w  # Adam + L2: g_t ← g_t + λ·w_{t−1}
        w = w * shrink  # AdamW: w ← (1 − η·λ)·w_{t−1}
        m = m + (1 - beta1) * (g - m)  # m_t = β1·m_{t−1} + (1 − β1)·g_t (as torch's lerp)
        v = v * beta2 + (1 - beta2) * (g * g)  # v_t = β2·v_{t−1} + (1 − β2)·g_t²
        # w_t = w − η·m̂_t/(√v̂_t + ε), with m̂_t = m_t/(1 − β1^t) and v̂_t = v_t/(1 − β2^t)
        denom = np.sqrt(v) / math.sqrt(1 - beta2**t) + config.eps
        w = w - lr / (1 - beta1**t) * (m / denom)
        paths[:, t] = w
    return paths


def adam_path(
    config: ToyConfig,
    lr: float | None = None,
    lam: float | None = None,
    decoupled: bool = False,
    steps: int | None = None,
) -> np.ndarray:
    """One run of :func:`adam_paths`: Adam + L2 or (``decoupled=True``) AdamW, shape (T + 1, 2)."""
    return adam_paths(config, lr, lam, (decoupled,), steps)[0]


def torch_path(
    config: ToyConfig,
    make_optimizer: Callable[[list[torch.Tensor]], torch.optim.Optimizer],
    steps: int | None = None,
) -> np.ndarray:
    """The same iterates from a real optimizer: ``make_optimizer([w])`` on the float64 toy.

    For the checks that :func:`adam_path` is ``helpers.optim`` (and ``torch.optim``) rewritten.
    """
    steps = config.steps if steps is None else check_int("steps", steps, low=1)
    h = torch.tensor(config.curvatures, dtype=torch.float64)
    c = torch.tensor(config.target, dtype=torch.float64)
    w = torch.tensor(config.start, dtype=torch.float64, requires_grad=True)
    optimizer = make_optimizer([w])
    path = np.empty((steps + 1, 2))
    path[0] = w.detach().numpy()
    for t in range(1, steps + 1):
        w.grad = h * (w.detach() - c)  # g_t = ∇f(w_{t−1}), exactly as adam_path computes it
        optimizer.step()
        path[t] = w.detach().numpy()
    return path
