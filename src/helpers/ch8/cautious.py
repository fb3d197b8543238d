"""Cautious weight decay on chapter 2's two-coordinate toy.

Cautious decay (Chen et al. 2025, arXiv:2510.12402, Algorithm 1) shrinks a coordinate only where
the optimizer's update already pulls it towards zero:

    w_t = w_{t−1} − η·(u_t + λ·𝕀(u_t ⊙ w_{t−1} ≥ 0) ⊙ w_{t−1}),   u_t = m̂_t/(√v̂_t + ε).

On the toy f(w) = ½·Σ h_i·(w_i − 1)² started below the target, u_t < 0 < w: the mask is 0 and
the run is Adam without decay until a coordinate first passes 1; past 1 the update and the decay
both pull down. So it heads for the data's minimiser (1, 1) whatever λ, where AdamW heads for
min(1, 1/λ) per coordinate.

:func:`cautious_adamw_path` is a float64 NumPy twin of ``helpers.optim.AdamW(cautious=True)``
(checked against it in the chapter and in tests/test_ch8_cautious.py), fast enough for a slider.

Introduced in chapter 8 (Decay with other optimizers).
"""

from __future__ import annotations

import math

import numpy as np

from helpers.ch2.toy import ToyConfig
from helpers.checks import check_int, check_real


def cautious_adamw_path(config: ToyConfig, lam: float, steps: int | None = None) -> np.ndarray:
    """The iterates w_0, …, w_T of cautious AdamW on the toy, shape (T + 1, 2)."""
    lam = check_real("lam", lam, low=0)
    steps = config.steps if steps is None else check_int("steps", steps, low=1)
    lr, (beta1, beta2) = config.lr, config.betas
    h, c = np.asarray(config.curvatures), np.asarray(config.target)
    w = np.asarray(config.start, dtype=np.float64).copy()
    m, v = np.zeros(2), np.zeros(2)
    path = np.empty((steps + 1, 2))
    path[0] = w
    for t in range(1, steps + 1):
        g = h * (w - c)  # g_t = ∇f(w_{t−1})
        m = m + (1 - beta1) * (g - m)  # m_t = β1·m_{t−1} + (1 − β1)·g_t (as torch's lerp)
        v = v * beta2 + (1 - beta2) * (g * g)  # v_t
        denom = np.sqrt(v) / math.sqrt(1 - beta2**t) + config.eps
        # w ← w − η·λ·𝕀(u_t ⊙ w ≥ 0) ⊙ w  (u_t has the sign of m_t)
        w = w - lr * lam * (m * w >= 0) * w
        # w_t = w − η·m̂_t/(√v̂_t + ε)
        w = w - lr / (1 - beta1**t) * (m / denom)
        path[t] = w
    return path


def first_crossing(path: np.ndarray, level: float = 1.0) -> int:
    """The first step at which any coordinate exceeds ``level`` (len(path) if none does)."""
    above = np.nonzero((path > level).any(axis=1))[0]
    return int(above[0]) if len(above) else len(path)
