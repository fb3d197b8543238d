"""Figures of chapter 7: loss against λ at several data and batch sizes, with the λ axis rescaled
by a chosen exponent (the hero), and the best λ against N and B with the seeds' spread.

Introduced in chapter 7 (how λ should scale).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter, NullLocator

from helpers.ch7 import optimum
from helpers.ch7.sweep import BASE, SWEEPS
from helpers.plots import lambda_colors

# The hero slider's values: the exponent α of the rescaled axis (1 is the τ_epoch rule).
ALPHAS = (0.0, 0.5, 0.75, 1.0, 1.25)  # five frames: the page carries each
PLAIN = FuncFormatter(lambda value, _position: f"{value:g}")  # 20, not 2×10¹
REFERENCE = (1024, 32, 1e-3)  # (D, B, η) the hero's axis translates λ to


def _curves(stored, setting):
    """(λ grid, mean, min and max over seeds of the final test loss) of one setting."""
    lams, _, table, _ = stored.final_losses(*setting)
    table = np.asarray(table)
    return np.asarray(lams), table.mean(0), table.min(0), table.max(0)


def rule_factor(setting: tuple, reference: tuple = REFERENCE) -> float:
    """λ_ref/λ: the factor that turns a λ at ``setting`` (D, B, η) into the λ with the same
    τ_epoch = B/(ηλD) at ``reference``: (η·D·B_ref)/(η_ref·D_ref·B)."""
    (d, b, lr), (d0, b0, lr0) = setting, reference
    return (lr * d * b0) / (lr0 * d0 * b)


def hero(stored) -> tuple[Figure, callable]:
    """Final test loss against λ·ρ^α, ρ = :func:`rule_factor`, for the data sweep (left) and
    the batch sweep with η ∝ √B (right): mean over seeds and the min–max band. α = 0 is λ
    itself; at α = 1 every curve is drawn against the λ that gives the same τ_epoch at the
    reference setting (D = 1024, B = 32, η = 1e-3), so under the τ_epoch rule the curves would
    coincide. Returns ``(fig, update)``; ``update(α)`` redraws both panels."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    panels = (
        ("data", 0, "D", "data sweep (B = 32, η = 1e-3)"),
        ("batch_sqrt_lr", 1, "B", "batch sweep, η ∝ √B (D = 1024)"),
    )

    def update(alpha: float) -> None:
        for (name, index, symbol, title), ax in zip(panels, axes, strict=True):
            ax.clear()
            settings = SWEEPS[name]
            colours = lambda_colors([float(s[index]) for s in settings], cmap="plasma")
            optima = []
            for s in settings:
                lams, mean, low, high = _curves(stored, s)
                scale = rule_factor(s) ** alpha
                colour = colours[float(s[index])]
                ax.fill_between(lams * scale, low, high, color=colour, alpha=0.25, lw=0)
                ax.plot(
                    lams * scale, mean, "o-", ms=3, color=colour, label=f"{symbol} = {s[index]}"
                )
                optima.append(optimum.geometric_mean(optimum.best_per_seed(stored, s)) * scale)
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.set_xlabel(
                "λ" if alpha == 0 else f"λ · ρ^{alpha:g}  (ρ: τ_epoch rule to D=1024, B=32)"
            )
            spread = np.exp(optimum.log_spread(optima))
            ax.set_title(f"{title}\nbest λ's spread ×{spread:.2f}", fontsize=10)
            ax.legend(fontsize=8, loc="upper left")
        axes[0].set_ylabel("final test loss (nats)")
        fig.tight_layout()

    update(1.0)
    return fig, update


def batch_figure(stored) -> Figure:
    """The batch sweep at fixed η: final test loss against λ for each B (mean and min–max band
    over seeds), and each B's loss at λ = 0 as a dotted line."""
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    settings = SWEEPS["batch"]
    colours = lambda_colors([float(s[1]) for s in settings], cmap="plasma")
    for s in settings:
        lams, mean, low, high = _curves(stored, s)
        colour = colours[float(s[1])]
        ax.fill_between(lams, low, high, color=colour, alpha=0.25, lw=0)
        ax.plot(lams, mean, "o-", ms=3, color=colour, label=f"B = {s[1]} ({sweep_steps(s)} steps)")
        zero = np.mean(stored.final_losses(*s)[3])
        ax.axhline(zero, color=colour, ls=":", lw=1.2)
    ax.set(
        xscale="log",
        xlabel="λ",
        ylabel="final test loss (nats)",
        title="fixed η = 1e-3, D = 1024; dotted: λ = 0",
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def sweep_steps(setting: tuple) -> int:
    """T = E·(D // B) of a stored setting."""
    d, b, _ = setting
    return BASE.epochs * (d // b)


def optimum_figure(stored) -> Figure:
    """λ* against D (left) and against B (right: η ∝ √B, and fixed η where λ* is inside the
    grid): each seed as a dot, the geometric mean as a line, the τ_epoch rule's slope dashed."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    panels = (
        (axes[0], "data", 0, "D (training samples)", -1.0, "λ ∝ 1/D (τ_epoch rule)"),
        (axes[1], "batch_sqrt_lr", 1, "B (batch size)", 0.5, "λ ∝ √B (rule, η ∝ √B)"),
        (axes[1], "batch", 1, "B (batch size)", 1.0, "λ ∝ B (rule, fixed η)"),
    )
    colours = {"data": "C0", "batch": "C1", "batch_sqrt_lr": "C2"}
    labels = {"data": "measured", "batch": "measured, fixed η", "batch_sqrt_lr": "measured, η ∝ √B"}
    for ax, name, index, xlabel, slope, rule in panels:
        settings = []
        for s in SWEEPS[name]:
            try:
                settings.append((s, optimum.best_per_seed(stored, s)))
            except ValueError:  # the best λ is at the grid's edge: no optimum to draw
                continue
        x = np.array([s[index] for s, _ in settings], float)
        centre = [optimum.geometric_mean(v) for _, v in settings]
        offset = {"batch": 0.97, "batch_sqrt_lr": 1.03}.get(name, 1.0)
        for xi, (_, values) in zip(x, settings, strict=True):
            ax.plot([xi * offset] * len(values), values, ".", color=colours[name], alpha=0.6)
        ax.plot(x, centre, "-", color=colours[name], label=labels[name])
        ax.plot(
            x, centre[0] * (x / x[0]) ** slope, "--", color=colours[name], alpha=0.7, label=rule
        )
        ax.set(xscale="log", yscale="log", xlabel=xlabel, ylabel="best λ")
        ticks = [s[index] for s in SWEEPS[name]]
        ax.set_xticks(ticks, [f"{v:g}" for v in ticks])
        ax.xaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_major_formatter(PLAIN)
        ax.yaxis.set_minor_formatter(PLAIN)
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
