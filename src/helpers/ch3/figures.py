"""Chapter 3's hero figure: where each decay rule leaves the model, against λ, over the seeds.

:func:`hero` draws, for each rule of :func:`helpers.param_groups.param_groups`, the end of the
stored runs of :mod:`helpers.ch3.rules_sweep` against λ: the token embedding's norm (also the
tied output head), the RMS LayerNorm gain and the validation loss. A line is the mean over the
stored seeds and its band runs from the lowest to the highest seed. The slider marks one λ.

Introduced in chapter 3 (Which weights to decay).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

from helpers import precomputed
from helpers.ch3.rules_sweep import SEEDS, SWEEP_LAMBDAS, SWEEP_TRAIN, curves
from helpers.checks import check_choice
from helpers.param_groups import RULES
from helpers.plots import RULE_COLORS, RULE_LABELS

# The three panels: what curves() returns, and its title.
PANELS = {
    "wte": "‖W_E‖ (token embedding = head)",
    "gain_rms": "RMS LayerNorm gain (log scale)",
    "val_loss": "validation loss (nats)",
}


def final_values(
    stored: precomputed.Stored, seeds: Sequence[int] = SEEDS
) -> dict[tuple[str, float], np.ndarray]:
    """(rule, λ) → array [seed, panel] of the values after the last step (λ = 0: any rule)."""
    return {
        (rule, lam): np.array(
            [[curves(stored, rule, lam, seed)[key][-1] for key in PANELS] for seed in seeds]
        )
        for rule in RULES
        for lam in SWEEP_LAMBDAS
    }


def hero(stored: precomputed.Stored, value: float = 3.0, seeds: Sequence[int] = SEEDS):
    """Three panels against λ, one line and seed band per rule; ``update(λ)`` marks one λ.

    λ sits at evenly spaced positions (0 included, which a log axis could not show). Returns
    ``(fig, update)`` for :func:`helpers.widgets.slider`.
    """
    value = check_choice("value", value, SWEEP_LAMBDAS)
    ends = final_values(stored, seeds)
    x = np.arange(len(SWEEP_LAMBDAS))
    fig, axes = plt.subplots(1, 3, figsize=(9.6, 3.6), constrained_layout=True)
    markers = {}
    for k, (ax, title) in enumerate(zip(axes, PANELS.values(), strict=True)):
        for rule in RULES:
            rows = np.array([ends[rule, lam][:, k] for lam in SWEEP_LAMBDAS])  # [λ, seed]
            colour = RULE_COLORS[rule]
            ax.fill_between(x, rows.min(1), rows.max(1), color=colour, alpha=0.18, lw=0)
            ax.plot(
                x, rows.mean(1), color=colour, lw=1.8, marker="o", ms=3.5, label=RULE_LABELS[rule]
            )
            (markers[rule, k],) = ax.plot([], [], "o", ms=9, mfc="none", mec=colour, mew=2)
        markers["line", k] = ax.axvline(0, color="0.4", lw=1, ls="--")
        ax.set_title(title)
        ax.set_xticks(x, [f"{lam:g}" for lam in SWEEP_LAMBDAS])
        ax.set_xlabel("λ")
        if k == 1:
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(FixedLocator([0.1, 0.2, 0.5, 1, 2]))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}"))
            ax.yaxis.set_minor_formatter(NullFormatter())
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=4, fontsize=8)
    suptitle = fig.suptitle("")

    def update(lam: float) -> None:
        i = SWEEP_LAMBDAS.index(check_choice("lam", lam, SWEEP_LAMBDAS))
        for k in range(len(PANELS)):
            markers["line", k].set_xdata([i, i])
            for rule in RULES:
                markers[rule, k].set_data([i], [ends[rule, lam][:, k].mean()])
        seeds_text = f"seeds {seeds[0]}–{seeds[-1]}" if len(seeds) > 1 else f"seed {seeds[0]}"
        suptitle.set_text(
            f"After {SWEEP_TRAIN.steps} AdamW steps, λ = {lam:g} marked "
            f"(mean and range over {seeds_text})"
        )

    update(value)
    return fig, update
