"""What a stored λ sweep measures: the best λ per seed, and how it moves with N or B.

- :func:`best_lambda`: the minimum of the final test loss against log λ, refined by the parabola
  through the grid's lowest point and its two neighbours (the grid is ×√2 apart, so the vertex
  usually falls between grid points); flagged when the lowest point is at an edge of the grid.
- :func:`exponent`: per seed, the least-squares slope of log λ* against log(setting): λ* ∝ N^slope.
- :func:`log_spread`: ln(max/min) of a list: how far apart the settings' optima are.

Introduced in chapter 7 (how λ should scale).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def best_lambda(lambdas: Sequence[float], losses: Sequence[float]) -> tuple[float, bool]:
    """(λ*, interior): the vertex of the parabola in log λ through the lowest loss and its
    neighbours; ``interior`` is False (and λ* the grid point) when the lowest loss is at an edge."""
    if len(lambdas) != len(losses) or len(lambdas) < 3 or min(lambdas) <= 0:
        raise ValueError("lambdas must be ≥ 3 positive values, one per loss")
    x, y = np.log(np.asarray(lambdas, float)), np.asarray(losses, float)
    j = int(np.argmin(y))
    if j in (0, len(y) - 1):
        return float(lambdas[j]), False
    # loss ≈ a·x² + b·x + c near the minimum: the vertex is at x = −b/(2a)
    a, b, _ = np.polyfit(x[j - 1 : j + 2], y[j - 1 : j + 2], 2)
    vertex = float(np.clip(-b / (2 * a), x[j - 1], x[j + 1])) if a > 0 else float(x[j])
    return math.exp(vertex), True


def best_per_seed(stored, setting: tuple) -> list[float]:
    """λ* of each seed of one stored setting (N, B, η); ValueError if one is at a grid edge."""
    lams, seeds, table, _ = stored.final_losses(*setting)
    out = []
    for seed, row in zip(seeds, table, strict=True):
        lam, interior = best_lambda(lams, row)
        if not interior:
            raise ValueError(f"setting {setting}, seed {seed}: the best λ is at the grid's edge")
        out.append(lam)
    return out


def exponent(settings: Sequence[float], optima: Sequence[Sequence[float]]) -> list[float]:
    """Per seed, the slope of log λ* against log(setting): ``optima[i][k]`` is seed k's λ* at
    ``settings[i]``."""
    x = np.log(np.asarray(settings, float))
    y = np.log(np.asarray(optima, float))  # (settings, seeds)
    return [float(np.polyfit(x, y[:, k], 1)[0]) for k in range(y.shape[1])]


def log_spread(values: Sequence[float]) -> float:
    """ln(max/min): 0 when all values are equal, ln 2 when they span a factor 2."""
    return math.log(max(values) / min(values))


def geometric_mean(values: Sequence[float]) -> float:
    """exp(mean(ln v))."""
    return math.exp(float(np.mean(np.log(values))))
