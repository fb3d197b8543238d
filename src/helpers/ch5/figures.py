"""Figures of chapter 5's grokking runs: accuracy and weight norm over training, and the λ sweep.

Introduced in chapter 5 ("Beyond regularization").
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

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


def sweep_figure(
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
    positive = [lam for lam in lambdas if lam > 0]
    grokked = [lam for lam in positive if sweep[lam]["grok_step"] is not None]
    last_step = max(run["history"]["step"][-1] for run in sweep.values())
    fig, (ax_acc, ax_time) = plt.subplots(1, 2, figsize=(10, 3.8))

    # Right panel, fixed: steps to grok against λ, runs that hit their step cap drawn at the cap
    # (they would grok later, if ever), and the timescale τ = 1/(ηλ) for comparison.
    ax_time.loglog(
        grokked, [sweep[lam]["grok_step"] for lam in grokked], "o-", color="0.4", label="groks at"
    )
    capped = [lam for lam in positive if sweep[lam]["grok_step"] is None]
    ax_time.loglog(
        capped,
        [sweep[lam]["history"]["step"][-1] for lam in capped],
        "^",
        color="0.4",
        mfc="none",
        label="not grokked by then",
    )
    # Every stored seed's grok step, and the range of those that grokked.
    label = "each seed"
    for lam, steps in (seeds or {}).items():
        grokked_steps = [step for step in steps if step is not None]
        if lam > 0 and grokked_steps:
            ax_time.loglog([lam] * 2, [min(grokked_steps), max(grokked_steps)], color="0.7")
            ax_time.loglog([lam] * len(grokked_steps), grokked_steps, ".", color="0.6", label=label)
            label = None  # one legend entry
    grid = np.geomspace(min(positive), max(positive), 50)
    for k, style in ((1, ":"), (2, "--")):
        ax_time.loglog(
            grid, k / (lr * grid), style, color="0.55", lw=1, label="τ = 1/(ηλ)" if k == 1 else "2τ"
        )
    (marker,) = ax_time.loglog([], [], "o", ms=13, mfc="none", mew=2)
    ax_time.set_xticks(positive, [format_value(lam) for lam in positive], minor=False)
    ax_time.xaxis.set_minor_locator(plt.NullLocator())
    ax_time.set(
        xlabel="weight decay λ (λ = 0 has no place on a log axis)",
        ylabel="steps to grok (test acc ≥ 99 %)",
    )
    ax_time.legend(loc="lower left", fontsize=8)

    def update(lam: float) -> None:
        lam = check_choice("lam", lam, lambdas)  # the stored λ only
        run, colour = sweep[lam], colours[lam]
        history, grok_step = run["history"], run["grok_step"]
        ax_acc.clear()
        steps = np.maximum(history["step"], 1)  # log axis: step 0 is drawn at 1
        ax_acc.semilogx(steps, history["train_acc"], "--", color=colour, label="train")
        ax_acc.semilogx(steps, history["test_acc"], "-", color=colour, label="test")
        ax_acc.axhline(0.99, color="grey", lw=0.8, ls=":")
        if grok_step is None:
            title = f"λ = {format_value(lam)}: not grokked in {history['step'][-1]:,} steps"
            marker.set_data([lam] if lam > 0 else [], [history["step"][-1]] if lam > 0 else [])
        else:
            ax_acc.axvline(grok_step, color="crimson", lw=1.2, label=f"groks at {grok_step:,}")
            title = f"λ = {format_value(lam)}: groks at step {grok_step:,}"
            marker.set_data([lam], [grok_step])
        marker.set_color(colour if lam > 0 else "black")
        ax_acc.set(xlim=(1, last_step * 1.1), ylim=(-0.02, 1.02), title=title)
        ax_acc.set(xlabel="step (full batch, log scale)", ylabel="accuracy")
        ax_acc.legend(loc="upper left")

    fig.tight_layout()
    return fig, update
