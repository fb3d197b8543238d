"""The figures of chapter 6 (One pass over the data), drawn from the stored sweep.

:func:`hero` returns a figure and its ``update(λ)`` for the one slider (λ = 0 included): the
excess loss over training for a constant learning rate and for its warmup-stable-decay twin, and
where every λ ends. :func:`mechanism` shows the weight norm, the angle turned per step and the
control run. Curves are the mean over the stored seeds; bands and error bars span the seeds
(min to max). Every λ has one colour throughout (:func:`helpers.plots.lambda_colors`).
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, NullLocator, ScalarFormatter

from helpers import precomputed
from helpers.ch6.sweep import CONTROL_LAMBDA, LAMBDAS, final, seeds_in
from helpers.checks import check_choice
from helpers.plots import lambda_colors

SCHEDULE_STYLE = {"constant": "--", "wsd": "-"}
SCHEDULE_NAME = {"constant": "constant η", "wsd": "warmup-stable-decay"}


def curves(stored: precomputed.Stored, lam: float, run: str, key: str, steps: str = "step"):
    """(steps, the seeds' values as rows) of ``key`` in run ``run`` of λ."""
    points = [stored.point(lam, seed)[run] for seed in seeds_in(stored)]
    return np.array(points[0][steps]), np.array([p[key] for p in points])


LOSS_TICKS = (0.2, 0.3, 0.4, 0.6, 1.0)  # the excess-loss axes: log scale, plain numbers


def _loss_axis(ax, bottom: float, top: float) -> None:
    ax.set_yscale("log")
    ax.set_ylim(bottom, top)
    ax.yaxis.set_major_locator(FixedLocator(LOSS_TICKS))
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.yaxis.set_minor_locator(NullLocator())


def _band(ax, x, rows, colour, style="-", label=None, lw=1.8):
    ax.fill_between(x, rows.min(0), rows.max(0), color=colour, alpha=0.18, lw=0)
    ax.plot(x, rows.mean(0), style, color=colour, lw=lw, label=label)


def hero(stored: precomputed.Stored) -> tuple[Figure, Callable[[float], None]]:
    """Left: the held-out excess loss over training at the chosen λ, constant η (dashed) and
    WSD (solid), over λ = 0's (grey). Right: the final excess loss against λ, both schedules."""
    colours = lambda_colors(LAMBDAS)
    fig, (ax_run, ax_end) = plt.subplots(
        1, 2, figsize=(8.8, 3.6), gridspec_kw={"width_ratios": [1.3, 1], "wspace": 0.3}
    )
    ends = {run: final(stored, run) for run in SCHEDULE_STYLE}
    x = np.arange(len(LAMBDAS))
    for run, style in SCHEDULE_STYLE.items():
        values = np.array([ends[run][lam] for lam in LAMBDAS])
        mean = values.mean(1)
        ax_end.errorbar(
            x,
            mean,
            yerr=[mean - values.min(1), values.max(1) - mean],
            fmt="o",
            ls=style,
            color="tab:blue" if run == "wsd" else "tab:red",
            capsize=3,
            label=SCHEDULE_NAME[run],
        )
    ax_end.set_xticks(x, [f"{lam:g}" for lam in LAMBDAS])
    ax_end.set_xlim(-0.5, len(LAMBDAS) - 0.5)
    ax_end.set(xlabel="weight decay λ", ylabel="final excess loss (nats/token)")
    ax_end.set_ylim(0, None)
    ax_end.legend(fontsize=8, loc="upper left")
    marker = ax_end.axvspan(-0.3, 0.3, color="0.85", zorder=0)
    top = max(curves(stored, lam, "constant", "excess")[1][:, 2:].max() for lam in LAMBDAS)

    def update(lam: float) -> None:
        check_choice("λ", lam, LAMBDAS)
        ax_run.clear()
        for run, style in SCHEDULE_STYLE.items():
            steps, rows = curves(stored, 0.0, run, "excess")
            if lam != 0:
                ax_run.plot(
                    steps,
                    rows.mean(0),
                    style,
                    color="0.6",
                    lw=1.2,
                    label="λ = 0" if run == "wsd" else None,
                )
            steps, rows = curves(stored, lam, run, "excess")
            _band(ax_run, steps, rows, colours[lam], style, f"λ = {lam:g}, {SCHEDULE_NAME[run]}")
        ax_run.set(
            xlabel="training step (each a fresh batch)",
            ylabel="held-out excess loss (nats/token)",
            xlim=(0, steps[-1]),
        )
        _loss_axis(ax_run, 0.15, top * 1.05)
        ax_run.legend(fontsize=7.5, loc="lower left")
        i = LAMBDAS.index(lam)
        marker.set_x(i - 0.3)

    update(LAMBDAS[0])
    return fig, update


def mechanism(stored: precomputed.Stored) -> Figure:
    """The WSD runs of every λ: ‖θ‖ of the decayed tensors (left), the angle turned per step
    (middle); the excess loss of λ = 0, λ = CONTROL_LAMBDA and the control (right)."""
    colours = lambda_colors(LAMBDAS)
    fig, (ax_norm, ax_angle, ax_ctrl) = plt.subplots(
        1, 3, figsize=(12, 3.5), gridspec_kw={"wspace": 0.45}
    )
    for lam in LAMBDAS:
        steps, rows = curves(stored, lam, "wsd", "norm", steps="norm_step")
        _band(ax_norm, steps, rows, colours[lam], label=f"λ = {lam:g}")
        steps, rows = curves(stored, lam, "wsd", "angle", steps="norm_step")
        _band(ax_angle, steps[1:], rows[:, 1:], colours[lam])
    steps, rows = curves(stored, CONTROL_LAMBDA, "control", "norm", steps="norm_step")
    _band(ax_norm, steps, rows, "tab:orange", ":", "control")
    steps, rows = curves(stored, CONTROL_LAMBDA, "control", "angle", steps="norm_step")
    _band(ax_angle, steps[1:], rows[:, 1:], "tab:orange", ":")
    ax_norm.set(xlabel="training step", ylabel="‖θ‖ of the decayed tensors", yscale="log")
    ax_norm.legend(fontsize=7.5)
    ax_angle.set(xlabel="training step", ylabel="angle turned per step (rad)", yscale="log")
    for lam, name, colour, style in (
        (0.0, "λ = 0", colours[0.0], "-"),
        (CONTROL_LAMBDA, f"λ = {CONTROL_LAMBDA:g}", colours[CONTROL_LAMBDA], "-"),
    ):
        steps, rows = curves(stored, lam, "wsd", "excess")
        _band(ax_ctrl, steps, rows, colour, style, name)
    steps, rows = curves(stored, CONTROL_LAMBDA, "control", "excess")
    _band(
        ax_ctrl,
        steps,
        rows,
        "tab:orange",
        ":",
        f"control: λ = 0, λ = {CONTROL_LAMBDA:g}'s η_eff",
        lw=2.2,
    )
    ax_ctrl.set(xlabel="training step", ylabel="held-out excess loss (nats/token)")
    _loss_axis(ax_ctrl, 0.15, 1.2)
    ax_ctrl.legend(fontsize=7.5, loc="lower left")
    for ax in (ax_norm, ax_angle, ax_ctrl):
        ax.set_xlim(0, steps[-1])
    return fig
