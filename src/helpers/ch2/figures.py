"""The figures of chapter 2 (L2 inside Adam is not weight decay).

:func:`hero` returns a figure and its ``update(lam, lr)``: the live sliders (Jupyter,
Colab) and the kernel-free twin (the static page) both call it, so they show the same thing.
The other builders take numbers the chapter computed and only draw them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, NullLocator

from helpers.ch2.grid import LABELS, Grid, best_lambda_per_lr
from helpers.ch2.toy import ToyConfig, adam_paths, ridge_optimum
from helpers.plots import decade_label

# One colour per optimizer, the same in every figure of the chapter.
COLORS = {"adam_l2": "#d95f02", "adamw": "#1b9e77", "adamw_independent": "#7570b3"}

# The hero's sliders: λ = 0 and the decades around the fact sheet's λ = 0.1; η around 10⁻².
HERO_LAMBDAS = (0.0, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
HERO_LRS = (1e-3, 3e-3, 1e-2, 3e-2, 1e-1)


@lru_cache(maxsize=128)
def _toy_paths(config: ToyConfig, lr: float, lam: float) -> tuple[np.ndarray, np.ndarray]:
    """(Adam + L2, AdamW) iterates; cached, so moving a slider back costs nothing."""
    l2, w = adam_paths(config, lr, lam)
    return l2, w


def _optimizer_lines(plane: Axes, time: Axes, color: str) -> dict[str, Line2D]:
    """One optimizer's empty lines in the hero: its path and end point in the plane, and its w₂
    (solid) and w₁ (dashed) over the steps."""
    return {
        "plane": plane.plot([], [], color=color, lw=1.8)[0],
        "end": plane.plot([], [], "o", color=color, ms=7, mec="white", zorder=5)[0],
        "w2": time.plot([], [], color=color, lw=2)[0],
        "w1": time.plot([], [], color=color, lw=1, ls="--", alpha=0.8)[0],
    }


def _draw_fixed_layers(plane: Axes, time: Axes, config: ToyConfig) -> None:
    """What no slider moves: the start and the minimum in the plane, the axes, and w = 1."""
    h = config.curvatures
    plane.plot(*config.start, "s", color="grey", ms=6)
    plane.plot(*config.target, "*", color="black", ms=13, zorder=6)
    plane.annotate("start", config.start, xytext=(6, 6), textcoords="offset points", fontsize=8)
    plane.annotate(
        "minimum of the loss",
        config.target,
        xytext=(0, 9),
        textcoords="offset points",
        ha="center",
        fontsize=8,
    )
    plane.set(
        xlim=(-0.1, 1.3),
        ylim=(-0.1, 1.3),
        aspect="equal",
        xlabel=f"w₁  (steep: h₁ = {h[0]:g})",
        ylabel=f"w₂  (flat: h₂ = {h[1]:g})",
    )
    time.set(
        xscale="log",
        xlim=(1, config.steps),
        ylim=(-0.1, 1.3),
        xlabel="step t",
        ylabel="w₂ (solid), w₁ (dashed)",
    )
    # plain-text tick labels and no minor ticks: mathtext would be re-parsed on every redraw
    time.xaxis.set_major_formatter(FuncFormatter(decade_label))
    time.xaxis.set_minor_locator(NullLocator())
    time.axhline(1.0, color="black", lw=0.8, alpha=0.4)


def _draw_box(box: Rectangle, box_edge: Line2D, lam: float, view: float) -> str:
    """Set AdamW's box ‖w‖∞ ≤ 1/λ and its edge 1/λ for ``lam`` (hidden at λ = 0); return its
    legend label. ``view``: the largest w₁ the plane shows."""
    has_box = lam > 0
    box.set_visible(has_box)
    box_edge.set_visible(has_box)
    if not has_box:
        return "no box at λ = 0 (1/λ = ∞)"
    edge = 1 / lam
    box.set_bounds(-edge, -edge, 2 * edge, 2 * edge)
    box_edge.set_ydata([edge, edge])
    beyond = " (beyond the view)" if edge > view else ""
    return f"AdamW's box ‖w‖∞ ≤ 1/λ = {edge:.3g}{beyond}"


def hero(
    config: ToyConfig | None = None,
) -> tuple[Figure, Callable[[float, float], None]]:
    """Adam + L2 and AdamW on the curvature toy: the paths in the plane, and w₂ over the steps.

    Every frame also draws the box ‖w‖∞ ≤ 1/λ that AdamW stays inside (Xie & Li 2024: if
    full-batch AdamW converges, it is to a KKT point of the loss constrained to that box; hidden
    at λ = 0, where there is no box), and its edge 1/λ over the steps.

    Returns ``(fig, update)``; ``update(lam, lr)`` redraws for one λ and η (about 0.1 s: two
    5000-step NumPy runs, cached). ``config`` defaults to :class:`ToyConfig`'s values.
    """
    config = ToyConfig() if config is None else config
    fig, (plane, time) = plt.subplots(1, 2, figsize=(9.0, 4.5), width_ratios=(1, 1.25))
    lines = {name: _optimizer_lines(plane, time, COLORS[name]) for name in ("adam_l2", "adamw")}
    ridge_mark = plane.plot([], [], "x", color="black", ms=9, mew=2, zorder=6)[0]
    ridge_line = time.axhline(np.nan, color="black", lw=1, ls=":")
    # AdamW's box ‖w‖∞ ≤ 1/λ (Xie & Li), and its edge 1/λ over the steps
    box_style = {"color": COLORS["adamw"], "lw": 1.3, "ls": "--", "alpha": 0.9}
    box = plane.add_patch(Rectangle((0, 0), 1, 1, fill=False, gid="adamw-box", **box_style))
    box_edge = time.axhline(np.nan, gid="adamw-box-edge", **box_style)
    _draw_fixed_layers(plane, time, config)
    title = fig.suptitle("")
    # one legend below both panels, where no curve can hide it; update() rewrites its labels
    handles = [lines["adam_l2"]["plane"], lines["adamw"]["plane"], ridge_mark, ridge_line, box]
    legend = fig.legend(handles, [""] * len(handles), loc="lower center", ncols=2, fontsize=9)
    steps = np.arange(config.steps + 1)

    def update(lam: float, lr: float) -> None:
        l2, w = _toy_paths(config, lr, lam)
        for name, path in (("adam_l2", l2), ("adamw", w)):
            lines[name]["plane"].set_data(path[:, 0], path[:, 1])
            lines[name]["end"].set_data([path[-1, 0]], [path[-1, 1]])
            lines[name]["w2"].set_data(steps, path[:, 1])
            lines[name]["w1"].set_data(steps, path[:, 0])
        ridge = ridge_optimum(config, lam)
        ridge_mark.set_data([ridge[0]], [ridge[1]])
        ridge_line.set_ydata([ridge[1], ridge[1]])
        labels = (
            f"Adam + L2, λ = {lam:g}",
            f"AdamW, λ = {lam:g}",
            f"ridge optimum h/(h + λ) = ({ridge[0]:.3g}, {ridge[1]:.3g})",
            "its w₂, h₂/(h₂ + λ)",
            _draw_box(box, box_edge, lam, view=plane.get_xlim()[1]),
        )
        for text, label in zip(legend.get_texts(), labels, strict=True):
            text.set_text(label)
        title.set_text(
            f"η = {lr:g}, λ = {lam:g}, {config.steps} steps:  Adam + L2 ends at "
            f"({l2[-1, 0]:.3f}, {l2[-1, 1]:.3f}),  AdamW at ({w[-1, 0]:.3f}, {w[-1, 1]:.3f})"
        )

    update(config.weight_decay, config.lr)
    fig.tight_layout(rect=(0, 0.15, 1, 1))
    return fig, update


def endpoints_figure(
    lambdas: np.ndarray, ends: Mapping[str, np.ndarray], ridge: np.ndarray, lr: float
) -> Figure:
    """Where each optimizer ends on the toy, per λ: ``ends[name]`` is (len(λ), 2)."""
    fig, axes = plt.subplots(1, 2, figsize=(8.0, 3.2), sharey=True)
    for k, ax in enumerate(axes):
        ax.plot(lambdas, ridge[:, k], color="black", ls=":", lw=1.5, label="h/(h + λ)")
        ax.plot(lambdas, np.minimum(1, 1 / lambdas), color="grey", lw=1, label="min(1, 1/λ)")
        for name, end in ends.items():
            ax.plot(lambdas, end[:, k], "o-", color=COLORS[name], ms=4, label=LABELS[name])
        ax.set(xscale="log", xlabel="λ", title=f"w{'₁₂'[k]} after the run (η = {lr:g})")
    axes[0].set_ylabel("final value")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    return fig


def effective_decay_figure(decays: Mapping[str, np.ndarray], lr: float, lam: float) -> Figure:
    """Histograms of the per-weight shrink of one step, on a log axis (chapter 2, §3)."""
    fig, ax = plt.subplots(figsize=(7.0, 3.4))
    values = np.concatenate([np.asarray(d, dtype=float) for d in decays.values()])
    low, high = np.log10(values.min()) - 0.2, np.log10(values.max()) + 0.2
    bins = np.logspace(low, high, 60)
    for name, decay in decays.items():
        decay = np.asarray(decay, dtype=float)
        if np.ptp(decay) == 0:
            ax.axvline(
                decay[0], color=COLORS[name], lw=3, label=f"{LABELS[name]}: all {decay[0]:.1e}"
            )
        else:
            ax.hist(decay, bins=bins, color=COLORS[name], alpha=0.85, label=LABELS[name])
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="shrink per step, a fraction of each weight",
        ylabel="number of weights",
        title=f"Effective weight decay of every weight (η = {lr:g}, λ = {lam:g})",
    )
    ax.legend()
    fig.tight_layout()
    return fig


def grid_figure(grids: Sequence[Grid], top: int = 5) -> Figure:
    """Loshchilov & Hutter's Fig. 2 for our task: validation loss over (η, λ), one panel each.

    λ = 0 is the first column, left of a white gap; the best cell gets a star, the next
    ``top - 1`` a circle; the white dots mark the best λ > 0 of each row (what
    :func:`helpers.ch2.grid.basin_slope` fits); grey cells with × diverged.
    """
    finite = np.concatenate([g.mean_val[np.isfinite(g.mean_val)] for g in grids])
    norm = LogNorm(vmin=finite.min(), vmax=min(finite.max(), 4 * finite.min()))
    cmap = plt.get_cmap("viridis").with_extremes(bad="#d9d9d9", over="#fde725")
    # narrow enough that the page (about 750 px) shows it near full size
    fig, axes = plt.subplots(
        1, len(grids), figsize=(3.2 * len(grids) + 0.8, 3.6), squeeze=False, layout="constrained"
    )
    for ax, grid in zip(axes[0], grids, strict=True):
        loss = grid.mean_val
        image = ax.imshow(loss, origin="lower", cmap=cmap, norm=norm, aspect="auto")
        rows, cols = loss.shape
        ax.axvline(0.5, color="white", lw=4)
        # label λ = 0 and every other decade, so that the labels never touch
        decades = [decade_label(v) for v in grid.lambdas[1:]]
        decades = [d if d and k % 4 == 2 else "" for k, d in enumerate(decades)]
        ax.set_xticks(range(cols), ["0", *decades])
        ax.set_yticks(range(rows), [decade_label(v) for v in grid.lrs])
        for i, j in zip(*np.nonzero(np.isnan(loss)), strict=True):
            ax.text(j, i, "×", ha="center", va="center", color="black", fontsize=9)
        order = np.argsort(np.where(np.isnan(loss), np.inf, loss), axis=None)[:top]
        best_i, best_j = np.unravel_index(order, loss.shape)
        ax.plot(best_j[1:], best_i[1:], "o", mfc="none", mec="white", ms=9, mew=1.5)
        ax.plot(best_j[:1], best_i[:1], "*", color="white", mec="black", ms=14)
        per_row = best_lambda_per_lr(grid)
        rows_best = np.flatnonzero(~np.isnan(per_row))
        cols_best = [np.flatnonzero(grid.lambdas == per_row[i])[0] for i in rows_best]
        ax.plot(cols_best, rows_best, ".", color="white", ms=5)
        unit = "per step at s_t = 1" if grid.name == "adamw_independent" else "PyTorch's units"
        ax.set_title(f"{LABELS[grid.name]}: best {np.nanmin(loss):.3f}", fontsize=10)
        ax.set_xlabel(f"λ ({unit})", fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(False)
    axes[0][0].set_ylabel("peak learning rate η₀")
    bar = fig.colorbar(image, ax=axes[0].tolist(), extend="max", shrink=0.9)
    bar.set_label("validation loss (cross-entropy)")
    ticks = [t for t in (0.6, 0.7, 0.8, 1.0, 1.5, 2.0, 2.5) if norm.vmin <= t <= norm.vmax]
    bar.set_ticks(ticks, labels=[f"{t:g}" for t in ticks])
    bar.ax.minorticks_off()
    return fig


def curves_figure(
    steps: np.ndarray,
    panels: Mapping[str, Mapping[str, np.ndarray]],
    colors: Mapping[str, object],
    ylabel: str,
    title: str = "",
) -> Figure:
    """Side-by-side panels of curves over the steps: ``panels[panel title][label] = values``.

    ``colors[label]`` colours a curve the same in every panel (e.g. from
    :func:`helpers.plots.lambda_colors`), so equal labels can be compared across panels.
    """
    width = 4.0 * len(panels) if len(panels) > 1 else 7.0
    fig, axes = plt.subplots(1, len(panels), figsize=(width, 3.3), sharey=True, squeeze=False)
    for ax, (panel, curves) in zip(axes[0], panels.items(), strict=True):
        for label, curve in curves.items():
            ax.plot(steps, curve, color=colors[label], lw=2, label=label)
        ax.set(title=panel, xlabel="step t")
        ax.legend(fontsize=8)
    axes[0][0].set_ylabel(ylabel)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
