"""The figures of chapter 1 ("The L2 penalty, derived").

:func:`hero` returns a figure and its ``update(λ)``; the live slider (Jupyter/Colab) and
its kernel-free twin (the static page) both call that one function, so they show the same thing.
λ axes hold λ = 0 one decade left of the smallest positive λ, on a tick labelled "0".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullLocator

from helpers.ch1.ridge import (
    RidgeData,
    check_lambda,
    mse,
    polynomial_features,
    ridge_svd,
    shrinkage_factors,
    true_function,
)
from helpers.plots import decade_label, lambda_colors

# The hero slider's values: λ = 0 and every decade from 10⁻¹² to 10 (tiny λ already matter here:
# the flattest direction of X has d²/N ≈ 10⁻¹²).
HERO_LAMBDAS = (0.0, *(10.0**k for k in range(-12, 2)))

# The hero's axes stay fixed while λ moves, so frames can be compared by eye.
FIT_YLIM = (-2.2, 2.2)
COEF_YLIM = (1e-3, 1e5)
# The fit's legend sits where the data are sparse, on a white box so the curve never hides it.
LEGEND = dict(loc="upper left", ncols=2, fontsize=8, frameon=True, framealpha=0.9, edgecolor="none")


class LambdaAxis:
    """Positions on a log-λ axis that also has a place for λ = 0 (log10 λ; 0 one decade left)."""

    def __init__(self, lambdas: Sequence[float]):
        positive = [lam for lam in lambdas if lam > 0]
        if not positive:
            raise ValueError("lambdas must contain at least one λ > 0")
        self.low = int(np.floor(np.log10(min(positive))))
        self.high = int(np.ceil(np.log10(max(positive))))
        self.zero = self.low - 1

    def position(self, lam) -> np.ndarray:
        lam = np.asarray(lam, dtype=np.float64)
        return np.log10(lam, out=np.full_like(lam, float(self.zero)), where=lam > 0)

    def decorate(self, ax: Axes, every: int = 1) -> None:
        """Ticks 0, 10^low, …, 10^high; a break mark between 0 and the positive decades."""
        decades = list(range(self.low, self.high + 1, every))
        ax.set_xticks([self.zero, *decades])
        ax.set_xticklabels(["0", *[f"$10^{{{k}}}$" for k in decades]])
        ax.set_xlim(self.zero - 0.4, self.high + 0.3)
        ax.text(
            (self.zero + self.low) / 2,
            0,
            "//",
            transform=ax.get_xaxis_transform(),
            ha="center",
            va="center",
            zorder=4,
            fontsize=9,
            clip_on=False,
        )
        ax.set_xlabel("penalty strength λ")


def hero(data: RidgeData, lambdas: Sequence[float]) -> tuple[Figure, Callable[[float], None]]:
    """The fit (left) and the size of every coefficient (right) for one λ of ``lambdas``."""
    colours = lambda_colors(lambdas)
    grid = np.linspace(-1, 1, 400)
    grid_features = polynomial_features(grid, data.config.degree)
    fig, (ax_fit, ax_w) = plt.subplots(
        1, 2, figsize=(8.0, 3.4), gridspec_kw={"width_ratios": [1.5, 1], "wspace": 0.3}
    )

    ax_fit.plot(data.x_val, data.y_val, ".", color="0.75", ms=3, label="validation points")
    ax_fit.plot(grid, true_function(grid), "--", color="0.45", lw=1, label="true function")
    ax_fit.plot(data.x_train, data.y_train, "o", color="C3", ms=5, label="training points")
    (fit_line,) = ax_fit.plot(grid, np.zeros_like(grid), lw=2.2, label="fit")
    ax_fit.set(xlim=(-1.05, 1.05), ylim=FIT_YLIM, xlabel="input x", ylabel="target y")
    ax_fit.set_yticks([-2, -1, 0, 1, 2])
    ax_fit.legend(**LEGEND)

    degrees = np.arange(data.config.degree + 1)
    bars = ax_w.bar(degrees, np.ones_like(degrees, dtype=float), width=0.75)
    ax_w.set_yscale("log")
    # Redraw time: 70 minor ticks would triple it, mathtext labels would double it.
    ax_w.yaxis.set_minor_locator(NullLocator())
    ax_w.set_yticks(10.0 ** np.arange(-3, 6, 2))
    ax_w.yaxis.set_major_formatter(FuncFormatter(decade_label))
    ax_w.set(ylim=COEF_YLIM, xlabel="power k of the feature xᵏ", ylabel="coefficient size |wₖ|")
    ax_w.set_xticks(degrees[::2])

    def update(lam: float) -> None:
        lam = check_lambda(lam)
        w = ridge_svd(data.X_train, data.y_train, lam)
        colour = colours.get(lam, "C0")
        fit_line.set_ydata(grid_features @ w)
        fit_line.set_color(colour)
        fit_line.set_label(f"fit, λ = {lam:g}")
        ax_fit.legend(**LEGEND)
        for bar, size in zip(bars, np.abs(w), strict=True):
            bar.set_height(max(size, COEF_YLIM[0] / 10))  # below the axis: drawn as nothing
            bar.set_color(colour)
        train = mse(data.X_train, data.y_train, w)
        val = mse(data.X_val, data.y_val, w)
        ax_fit.set_title(f"λ = {lam:g}:  train MSE {train:.3g},  validation MSE {val:.3g}")
        ax_w.set_title(f"‖w‖ = {np.linalg.norm(w):.3g}")

    update(lambdas[0])
    return fig, update


def shrinkage_figure(d: np.ndarray, n: int, lambdas: np.ndarray) -> Figure:
    """d_j²/(d_j² + Nλ) against λ, one line per singular direction of X; dots where it is ½."""
    fig, ax = plt.subplots(figsize=(7.0, 3.4), layout="constrained")
    colours = plt.get_cmap("viridis")(np.linspace(0, 0.85, len(d)))
    factors = np.stack([shrinkage_factors(d, lam, n) for lam in lambdas])  # (λ, j)
    for j, (dj, colour) in enumerate(zip(d, colours, strict=True)):
        label = f"j = {j + 1}, $d_j^2/N$ = {dj**2 / n:.2g}" if j in (0, len(d) - 1) else None
        ax.plot(lambdas, factors[:, j], color=colour, lw=1.6, label=label)
        # The factor is exactly ½ at λ = d_j²/N.
        ax.plot(
            dj**2 / n,
            0.5,
            "o",
            color=colour,
            ms=4,
            label=r"$\frac{1}{2}$ at $\lambda = d_j^2/N$" if j == 0 else None,
        )
    ax.set_xscale("log")
    ax.set(
        xlim=(lambdas[0], lambdas[-1]),
        ylim=(-0.02, 1.02),
        xlabel="penalty strength λ",
        ylabel=r"kept fraction $d_j^2/(d_j^2+N\lambda)$",
    )
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3)
    return fig


def validation_figure(path: dict[str, np.ndarray], noise: float, title: str = "") -> Figure:
    """Train and validation MSE against λ (λ = 0 on the left), the validation minimum starred."""
    lambdas = path["lambdas"]
    axis = LambdaAxis(lambdas)
    x = axis.position(lambdas)
    order = np.argsort(x)
    fig, ax = plt.subplots(figsize=(7.0, 3.6), layout="constrained")
    positive = lambdas[order] > 0
    for key, colour, label in (("train_mse", "C0", "training"), ("val_mse", "C1", "validation")):
        values = path[key][order]
        ax.plot(x[order][positive], values[positive], color=colour, lw=2, label=label)
        ax.plot(x[order][~positive], values[~positive], "o", color=colour, ms=6)
    best = int(np.argmin(path["val_mse"]))
    ax.plot(
        x[best],
        path["val_mse"][best],
        "*",
        color="C3",
        ms=15,
        zorder=5,
        label=f"validation minimum, λ = {lambdas[best]:.2g}",
    )
    ax.axhline(noise**2, color="0.4", ls=":", lw=1.2, label=f"noise variance σ² = {noise**2:g}")
    ax.set_yscale("log")
    ax.set_ylabel("mean squared error")
    axis.decorate(ax, every=2)
    ax.legend(loc="upper center", ncols=2)
    ax.set_title(title)
    return fig


def distance_figure(
    paths: dict[str, np.ndarray], reference: np.ndarray, reference_label: str, title: str = ""
) -> Figure:
    """‖w_t − reference‖ against the step t for each trajectory; ``reference_label`` is TeX."""
    fig, ax = plt.subplots(figsize=(7.0, 3.2), layout="constrained")
    for (label, path), colour in zip(paths.items(), ("C0", "C1", "C2", "C3"), strict=False):
        distance = np.linalg.norm(path - reference, axis=1)
        ax.plot(np.arange(len(path)), np.maximum(distance, 1e-16), color=colour, lw=2, label=label)
    ax.set_yscale("log")
    ax.set(xlabel="step $t$", ylabel=rf"distance $\|w_t - {reference_label}\|$", title=title)
    ax.legend()
    return fig
