"""Figures of chapter 8 (Decay with other optimizers): the optimizers against λ (the hero), the
equilibrium norm, cautious decay on the toy and λ schedules.

Introduced in chapter 8.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from helpers.ch8 import sweep as ch8_sweep
from helpers.checks import check_choice

COLOURS = {"adamw": "tab:green", "muon": "tab:blue", "lion": "tab:orange"}
NAMES = {"adamw": "AdamW", "muon": "Muon + AdamW", "lion": "Lion"}


def _band(ax, x, runs: Sequence[Sequence[float]], colour, label, marker=None):
    """Mean of ``runs`` (one list per seed) with the min–max band over them."""
    runs = np.asarray(runs)
    ax.fill_between(x, runs.min(0), runs.max(0), color=colour, alpha=0.25, lw=0)
    (line,) = ax.plot(x, runs.mean(0), color=colour, label=label, marker=marker)
    return line


def position_label(position: int) -> str:
    """The tick label of a slider position: each optimizer's λ there."""
    lams = {opt: ch8_sweep.LAMBDAS[opt][position] for opt in ch8_sweep.LAMBDAS}
    return f"{lams['adamw']:g}\n(Lion {lams['lion']:g})"


def hero(stored: ch8_sweep.Sweep):
    """Final validation loss against λ per optimizer (left) and the validation curves at the
    chosen λ (right), each as the mean and min–max band over the stored seeds.

    Returns ``(fig, update)``; ``update(λ)`` takes AdamW's λ (one of ``LAMBDAS["adamw"]``): Lion
    is then at its own λ of the same position (3× larger, with a 3× smaller η: the same η·λ).
    """
    seeds = stored.record["config"]["seeds"]
    positions = range(len(ch8_sweep.LAMBDAS["adamw"]))
    fig, (ax_lam, ax_curve) = plt.subplots(1, 2, figsize=(10.5, 3.9))
    for opt, lams in ch8_sweep.LAMBDAS.items():
        finals = np.array([stored.final(opt, lam) for lam in lams]).T  # (seeds, positions)
        _band(ax_lam, list(positions), finals, COLOURS[opt], NAMES[opt], marker="o")
    ax_lam.set_xticks(list(positions), [position_label(p) for p in positions])
    ax_lam.set(xlabel="weight decay λ", ylabel=f"validation loss at the end ({len(seeds)} seeds)")
    ax_lam.legend(loc="upper left", fontsize=8)
    marker = ax_lam.axvline(0, color="crimson", lw=1.2)

    def update(lam: float) -> None:
        position = ch8_sweep.LAMBDAS["adamw"].index(float(lam))
        marker.set_xdata([position, position])
        ax_curve.clear()
        for opt, lams in ch8_sweep.LAMBDAS.items():
            runs = [stored.run(opt, lams[position], seed) for seed in seeds]
            label = f"{NAMES[opt]}, λ = {lams[position]:g}"
            _band(ax_curve, runs[0]["step"], [r["val_loss"] for r in runs], COLOURS[opt], label)
        ax_curve.set(xlabel="step", ylabel="validation loss", ylim=(1.5, 3.6))
        ax_curve.set_title(
            f"AdamW and Muon at λ = {lam:g}, Lion at λ = {ch8_sweep.LAMBDAS['lion'][position]:g}",
            fontsize=10,
        )
        ax_curve.legend(loc="upper right", fontsize=8)
        fig.tight_layout()

    update(ch8_sweep.LAMBDAS["adamw"][1])
    return fig, update


def equilibrium_figure(rows: Sequence[Mapping]) -> Figure:
    """Measured ‖θ‖ of each hidden matrix against the balance (left) and the random walk
    (right). ``rows``: dicts with optimizer, measured, balance and random_walk."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.9), sharey=True)
    for ax, key, title in (
        (axes[0], "balance", "exact balance, with ⟨θ, u⟩"),
        (axes[1], "random_walk", "random walk, ⟨θ, u⟩ = 0"),
    ):
        for opt in COLOURS:
            mine = [r for r in rows if r["optimizer"] == opt]
            ax.loglog(
                [r[key] for r in mine],
                [r["measured"] for r in mine],
                "o",
                ms=4,
                color=COLOURS[opt],
                alpha=0.7,
                label=NAMES[opt],
            )
        low = min(min(r[key], r["measured"]) for r in rows) / 1.3
        high = max(max(r[key], r["measured"]) for r in rows) * 1.3
        ax.plot([low, high], [low, high], color="0.4", lw=1, ls="--", label="measured = predicted")
        ax.set(xlabel="predicted ‖θ‖", title=title)
        for axis in (ax.xaxis, ax.yaxis):  # labels at the decades only
            axis.set_minor_formatter(NullFormatter())
    axes[0].set_ylabel("measured ‖θ‖ (end of run)")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def cautious_figure(paths: Mapping[str, np.ndarray], lam: float, target: float = 1.0) -> Figure:
    """The toy's two coordinates over the steps for each run in ``paths`` (label → (T + 1, 2))."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
    styles = {"AdamW": "tab:green", "cautious AdamW": "tab:purple", "Adam, no decay": "0.6"}
    for i, ax in enumerate(axes):
        for label, path in paths.items():
            steps = np.arange(1, len(path) + 1)
            ax.plot(steps, path[:, i], color=styles.get(label, None), label=label)
        ax.axhline(min(1.0, 1 / lam) if lam > 0 else 1.0, color="k", lw=0.6, ls=":")
        ax.axhline(target, color="k", lw=0.6)
        ax.set(xscale="log", xlabel="step + 1", title=f"w{i + 1}")
    axes[0].set_ylabel("w_i")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def schedules_figure(stored: ch8_sweep.Sweep, runs: Sequence[tuple[str, float, str]]) -> Figure:
    """Validation loss (left) and the hidden matrices' norm (right) over the steps for Muon runs
    (optimizer, λ, schedule), mean and min–max band over the seeds."""
    seeds = stored.record["config"]["seeds"]
    fig, (ax_loss, ax_norm) = plt.subplots(1, 2, figsize=(10, 3.8))
    colours = plt.get_cmap("tab10")
    for i, (opt, lam, schedule) in enumerate(runs):
        check_choice("schedule", schedule, ("constant", "linear", "cosine"))
        points = [stored.run(opt, lam, seed, schedule) for seed in seeds]
        label = f"λ = {lam:g}" + (" → 0, linear" if schedule == "linear" else ", constant")
        steps = points[0]["step"]
        _band(ax_loss, steps, [p["val_loss"] for p in points], colours(i), label)
        _band(ax_norm, steps, [p["group_norm"]["hidden"] for p in points], colours(i), label)
    ax_loss.set(xlabel="step", ylabel="validation loss", ylim=(1.5, 3.0))
    ax_norm.set(xlabel="step", ylabel="‖hidden matrices‖ (Frobenius)")
    ax_loss.legend(fontsize=8)
    fig.tight_layout()
    return fig
