"""Figures of chapter 5's grokking runs: accuracy and weight norm over training, and the λ sweep.

Introduced in chapter 5 ("Beyond regularization").
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from helpers.checks import check_choice
from helpers.plots import lambda_colors
from helpers.widgets import format_value


def history_figure(runs: Sequence[tuple[str, dict, tuple]]) -> Figure:
    """Train/test accuracy (left) and weight norm ‖θ‖ (right) over steps, one colour per run.

    ``runs``: (label, history, colour) triples; a history is what ``train_grokking`` records.
    """
    fig, (ax_acc, ax_norm) = plt.subplots(1, 2, figsize=(10, 3.6))
    for label, history, colour in runs:
        steps = history["step"]
        ax_acc.plot(steps, history["train_acc"], "--", color=colour, label=f"{label}, train")
        ax_acc.plot(steps, history["test_acc"], "-", color=colour, label=f"{label}, test")
        ax_norm.plot(steps, history["weight_norm"], color=colour, label=label)
    ax_acc.set(xlabel="step (full batch)", ylabel="accuracy", ylim=(-0.02, 1.02))
    ax_acc.axhline(0.99, color="grey", lw=0.8, ls=":")
    ax_acc.legend(loc="center right")
    ax_norm.set(xlabel="step (full batch)", ylabel="weight norm ‖θ‖")
    ax_norm.legend()
    fig.tight_layout()
    return fig


def _draw_seed_ranges(ax: Axes, seeds: dict[float, Sequence[int | None]]) -> None:
    """Every stored seed's grok step as a dot, and the range of those that grokked as a bar."""
    label = "each seed"
    for lam, steps in seeds.items():
        grokked_steps = [step for step in steps if step is not None]
        if lam > 0 and grokked_steps:
            ax.loglog([lam] * 2, [min(grokked_steps), max(grokked_steps)], color="0.7")
            ax.loglog([lam] * len(grokked_steps), grokked_steps, ".", color="0.6", label=label)
            label = None  # one legend entry


def _draw_grok_steps(
    ax: Axes, sweep: dict[float, dict], lr: float, seeds: dict[float, Sequence[int | None]]
) -> Line2D:
    """The sweep's fixed panel: steps to grok against λ > 0, with τ = 1/(ηλ) and 2τ beside them.

    Runs that hit their step cap are drawn at the cap (they would grok later, if ever). Returns
    the empty ring that marks the slider's λ.
    """
    positive = [lam for lam in sorted(sweep) if lam > 0]
    grokked = [lam for lam in positive if sweep[lam]["grok_step"] is not None]
    ax.loglog(
        grokked, [sweep[lam]["grok_step"] for lam in grokked], "o-", color="0.4", label="groks at"
    )
    capped = [lam for lam in positive if sweep[lam]["grok_step"] is None]
    ax.loglog(
        capped,
        [sweep[lam]["history"]["step"][-1] for lam in capped],
        "^",
        color="0.4",
        mfc="none",
        label="not grokked by then",
    )
    _draw_seed_ranges(ax, seeds)
    grid = np.geomspace(min(positive), max(positive), 50)
    for k, style in ((1, ":"), (2, "--")):
        ax.loglog(
            grid, k / (lr * grid), style, color="0.55", lw=1, label="τ = 1/(ηλ)" if k == 1 else "2τ"
        )
    (marker,) = ax.loglog([], [], "o", ms=13, mfc="none", mew=2)
    ax.set_xticks(positive, [format_value(lam) for lam in positive], minor=False)
    ax.xaxis.set_minor_locator(plt.NullLocator())
    ax.set(
        xlabel="weight decay λ (λ = 0 has no place on a log axis)",
        ylabel="steps to grok (test acc ≥ 99 %)",
    )
    ax.legend(loc="lower left", fontsize=8)
    return marker


def _draw_accuracy(ax: Axes, history: dict, colour, grok_step: int | None, last_step: int) -> None:
    """One run's train and test accuracy on a log step axis, and a red line where it groks."""
    ax.clear()
    steps = np.maximum(history["step"], 1)  # log axis: step 0 is drawn at 1
    ax.semilogx(steps, history["train_acc"], "--", color=colour, label="train")
    ax.semilogx(steps, history["test_acc"], "-", color=colour, label="test")
    ax.axhline(0.99, color="grey", lw=0.8, ls=":")
    if grok_step is not None:
        ax.axvline(grok_step, color="crimson", lw=1.2, label=f"groks at {grok_step:,}")
    ax.set(xlim=(1, last_step * 1.1), ylim=(-0.02, 1.02))
    ax.set(xlabel="step (full batch, log scale)", ylabel="accuracy")
    ax.legend(loc="upper left")


def hero(
    sweep: dict[float, dict], lr: float, seeds: dict[float, Sequence[int | None]] | None = None
):
    """The λ sweep: one run's accuracy curves (left) and steps-to-grok against λ (right).

    ``sweep`` maps λ to a stored run (``grok_step`` and ``history``). ``seeds`` (optional) maps
    λ to the grok steps of every stored seed (None: not grokked); the right panel draws each as
    a small dot and the range of the seeds that grokked as a bar. Returns ``(fig, update)``
    with ``update(λ)`` redrawing both panels for that λ, for the live and the static slider.
    """
    lambdas = sorted(sweep)
    colours = lambda_colors(lambdas)
    last_step = max(run["history"]["step"][-1] for run in sweep.values())
    fig, (ax_acc, ax_time) = plt.subplots(1, 2, figsize=(10, 3.8))
    marker = _draw_grok_steps(ax_time, sweep, lr, seeds or {})

    def update(lam: float) -> None:
        lam = check_choice("lam", lam, lambdas)  # the stored λ only
        run, colour = sweep[lam], colours[lam]
        grok_step, steps_run = run["grok_step"], run["history"]["step"][-1]
        _draw_accuracy(ax_acc, run["history"], colour, grok_step, last_step)
        if grok_step is None:
            ax_acc.set_title(f"λ = {format_value(lam)}: not grokked in {steps_run:,} steps")
            marker.set_data([lam] if lam > 0 else [], [steps_run] if lam > 0 else [])
        else:
            ax_acc.set_title(f"λ = {format_value(lam)}: groks at step {grok_step:,}")
            marker.set_data([lam], [grok_step])
        marker.set_color(colour if lam > 0 else "black")

    fig.tight_layout()
    return fig, update
