"""Figures of chapter 7: loss against λ at several data and batch sizes, with the λ axis rescaled
by a chosen exponent (the hero), and the best λ against N and B with the seeds' spread.

Introduced in chapter 7 (how λ should scale).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from helpers.ch7 import optimum
from helpers.ch7.sweep import SWEEPS
from helpers.plots import lambda_colors

# The hero slider's values: the exponent α of the rescaled axis (1 is the τ_epoch rule).
ALPHAS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5)


def _curves(stored, setting):
    """(λ grid, mean, min and max over seeds of the final test loss) of one setting."""
    lams, _, table, _ = stored.final_losses(*setting)
    table = np.asarray(table)
    return np.asarray(lams), table.mean(0), table.min(0), table.max(0)


def hero(stored) -> tuple[Figure, callable]:
    """Final test loss against λ·(D/D₀)^α (left, the data sweep) and λ·(B₀/B)^α (right, the
    batch sweep at fixed η), mean over seeds with the min–max band. α = 0 is λ itself; α = 1 is
    the τ_epoch rule's coordinate (the λ that gives the same τ_epoch at D₀ = 1024, B₀ = 32): if
    the rule held exactly, the curves would lie on top of each other there.
    Returns ``(fig, update)``; ``update(α)`` redraws both panels."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    sweeps = (("data", 0, "D", +1), ("batch", 1, "B", -1))
    reference = {"D": 1024, "B": 32}

    def update(alpha: float) -> None:
        for (name, index, symbol, sign), ax in zip(sweeps, axes, strict=True):
            ax.clear()
            settings = SWEEPS[name]
            colours = lambda_colors([float(s[index]) for s in settings], cmap="plasma")
            optima = []
            for s in settings:
                lams, mean, low, high = _curves(stored, s)
                scale = (s[index] / reference[symbol]) ** (sign * alpha)
                colour = colours[float(s[index])]
                ax.fill_between(lams * scale, low, high, color=colour, alpha=0.2, lw=0)
                ax.plot(lams * scale, mean, "o-", ms=3, color=colour, label=f"{symbol} = {s[index]}")
                optima.append(optimum.geometric_mean(optimum.best_per_seed(stored, s)) * scale)
            spread = optimum.log_spread(optima)
            ax.set_xscale("log")
            coordinate = "λ" if alpha == 0 else f"λ·({symbol}/{reference[symbol]})^{sign * alpha:g}"
            ax.set_xlabel(coordinate)
            ax.set_title(
                f"{'data' if name == 'data' else 'batch'} sweep: best λ's spread "
                f"×{np.exp(spread):.2f}",
                fontsize=10,
            )
            ax.legend(fontsize=8, loc="upper left")
        axes[0].set_ylabel("final test loss (nats)")
        fig.tight_layout()

    update(1.0)
    return fig, update


def optimum_figure(stored) -> Figure:
    """λ* against D (left) and against B (right, fixed η and η ∝ √B): each seed as a dot, the
    geometric mean as a line, and the τ_epoch rule's slope through the middle setting."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    panels = (
        (axes[0], "data", 0, "D (training samples)", -1.0, "λ ∝ 1/D (τ_epoch rule)"),
        (axes[1], "batch", 1, "B (batch size)", 1.0, "λ ∝ B (τ_epoch rule, fixed η)"),
        (axes[1], "batch_sqrt_lr", 1, "B (batch size)", 0.5, "λ ∝ √B (τ_epoch rule, η ∝ √B)"),
    )
    colours = {"data": "C0", "batch": "C1", "batch_sqrt_lr": "C2"}
    for ax, name, index, xlabel, slope, rule in panels:
        settings = SWEEPS[name]
        x = np.array([s[index] for s in settings], float)
        per_seed = [optimum.best_per_seed(stored, s) for s in settings]
        centre = [optimum.geometric_mean(v) for v in per_seed]
        offset = {"batch": -0.03, "batch_sqrt_lr": 0.03}.get(name, 0.0)
        for xi, values in zip(x, per_seed, strict=True):
            ax.plot([xi * (1 + offset)] * len(values), values, ".", color=colours[name], alpha=0.6)
        ax.plot(x, centre, "-", color=colours[name], label=f"measured ({name})")
        middle = len(x) // 2
        ax.plot(x, centre[middle] * (x / x[middle]) ** slope, "--", color=colours[name],
                alpha=0.7, label=rule)
        ax.set(xscale="log", yscale="log", xlabel=xlabel, ylabel="best λ")
        ax.set_xticks(x, [f"{v:g}" for v in x])
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def recipes_figure(recipes: Sequence) -> Figure:
    """τ_epoch = B/(ηλD) at the peak η of each real recipe, on a log axis."""
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(recipes) + 0.8))
    names = [r.model for r in recipes]
    ax.barh(names, [r.tau_epoch for r in recipes], color="C0")
    ax.set(xscale="log", xlabel="τ_epoch = B/(ηλD) at the peak η (fraction of the data)")
    ax.invert_yaxis()
    fig.tight_layout()
    return fig
