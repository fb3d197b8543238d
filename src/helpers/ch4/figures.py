"""The figures of chapter 4 (train a tiny GPT with a λ slider), drawn from the stored λ sweep.

:func:`hero` returns a figure and its ``update(λ)`` for the kernel-free slider;
:class:`LiveRunFigure` is the same loss panel with a run being trained drawn over the stored
curves (the live panel of :mod:`helpers.ch4.panel`). Every λ has one colour throughout
(:func:`helpers.plots.lambda_colors`, λ = 0 black).
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from helpers.ch4.sweep import RULE_LAMBDA, Sweep, tau
from helpers.plots import RULE_COLORS, lambda_colors
from helpers.train import History

RULE_NAMES = {"nanogpt": "nanoGPT rule", "mingpt": "minGPT rule"}


def lambda_label(lam: float) -> str:
    return f"λ = {lam:g}"


def _loss_ylim(sweep: Sweep) -> tuple[float, float]:
    top = max(max(p["val_loss"]) for p in sweep.points.values())
    return 0.0, top + 0.3


def _stored_loss_curves(ax: Axes, sweep: Sweep, colours: dict) -> None:
    """Every stored λ's validation curve, faint: the background a chosen run is compared with."""
    for lam in sweep.lambdas:
        point = sweep.run(lam)
        ax.plot(point["step"], point["val_loss"], color=colours[lam], lw=1, alpha=0.3)
    ax.set(xlabel="training step", ylabel="loss (nats per character)", ylim=_loss_ylim(sweep))
    ax.set_xlim(0, sweep.steps)


def _lambda_ticks(ax: Axes, lambdas) -> None:
    """λ on an axis of evenly spaced categories (0, 0.1, 0.3, …), since λ = 0 has no log."""
    ax.set_xticks(range(len(lambdas)), [f"{lam:g}" for lam in lambdas])
    ax.set_xlabel("weight decay λ")


def hero(sweep: Sweep) -> tuple[Figure, Callable[[float], None]]:
    """Left: training (dashed) and validation (solid) loss over training for one λ (seed 0), over
    every λ's validation curve (faint). Right: the losses at the end of training against λ, the
    mean over the stored seeds with their range as a band."""
    lambdas = sweep.lambdas
    colours = lambda_colors(lambdas)
    fig, (ax_run, ax_end) = plt.subplots(
        1, 2, figsize=(8.6, 3.5), gridspec_kw={"width_ratios": [1.25, 1], "wspace": 0.28}
    )
    _stored_loss_curves(ax_run, sweep, colours)
    (val_line,) = ax_run.plot([], [], lw=2.4, label="validation")
    (train_line,) = ax_run.plot([], [], lw=2.0, ls="--", label="training")

    x = np.arange(len(lambdas))
    # [λ, seed] arrays over every stored seed; the lines are their means, the bands their ranges
    runs = [[sweep.run(lam, seed=seed) for seed in sweep.seeds] for lam in lambdas]
    val_ends = np.array([[run["val_loss"][-1] for run in at] for at in runs])
    train_ends = np.array([[run["train_loss"][-1] for run in at] for at in runs])
    val_bests = np.array([[min(run["val_loss"]) for run in at] for at in runs])
    for values, colour in ((val_ends, "0.2"), (val_bests, "0.55"), (train_ends, "0.2")):
        ax_end.fill_between(x, values.min(1), values.max(1), color=colour, alpha=0.15, lw=0)
    val_end, val_best, train_end = val_ends.mean(1), val_bests.mean(1), train_ends.mean(1)
    ax_end.plot(x, val_end, "o-", color="0.2", label="validation, end")
    ax_end.plot(x, val_best, "v:", color="0.55", ms=5, label="validation, best step")
    ax_end.plot(x, train_end, "s--", color="0.2", ms=5, mfc="white", label="training, end")
    _lambda_ticks(ax_end, lambdas)
    ax_end.set(ylabel="loss (nats): end of run, best step", ylim=_loss_ylim(sweep))
    ax_end.legend(loc="upper right", fontsize=8)
    ax_end.set_title(f"every λ: mean of {len(sweep.seeds)} seeds (band: their range)", fontsize=10)
    # the chosen λ: a ring around each of its three points
    (rings,) = ax_end.plot([], [], "o", ms=13, mfc="none", mew=2.2, zorder=5)

    def update(lam: float) -> None:
        point = sweep.run(lam)
        for line, key in ((val_line, "val_loss"), (train_line, "train_loss")):
            line.set_data(point["step"], point[key])
            line.set_color(colours[lam])
        ax_run.set_title(
            f"{lambda_label(lam)}, seed 0: validation {point['val_loss'][-1]:.2f}, "
            f"training {point['train_loss'][-1]:.2f}"
        )
        ax_run.legend(loc="lower left")
        i = lambdas.index(lam)
        rings.set_data([i] * 3, [val_end[i], val_best[i], train_end[i]])
        rings.set_color(colours[lam])

    update(lambdas[0])
    return fig, update


class LiveRunFigure:
    """The live panel's figure: a run being trained (bold) over the stored sweep (faint).

    Left: training (dashed) and validation (solid) loss; right: the norm of the decayed
    parameter group, the stored runs labelled with their λ. ``start(λ)`` clears the live lines,
    ``show(history)`` draws a run's history so far.
    """

    def __init__(self, sweep: Sweep):
        self.sweep = sweep
        self.colours = lambda_colors(sweep.lambdas)
        self.fig, (self.ax_loss, self.ax_norm) = plt.subplots(
            1, 2, figsize=(8.6, 3.5), gridspec_kw={"wspace": 0.3}
        )
        _stored_loss_curves(self.ax_loss, sweep, self.colours)
        top = 0.0
        for lam in sweep.lambdas:
            point = sweep.run(lam)
            norms = point["group_norm"]["decay"]
            top = max(top, max(norms))
            self.ax_norm.plot(point["step"], norms, color=self.colours[lam], lw=1, alpha=0.35)
            self.ax_norm.annotate(
                f"{lam:g}",
                (point["step"][-1], norms[-1]),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=7,
                color=self.colours[lam],
            )
        self.ax_norm.set(
            xlabel="training step", ylabel="‖θ‖ of the decayed group", xlim=(0, sweep.steps * 1.08)
        )
        self.ax_norm.set_ylim(0, top * 1.25)
        # markers too: a run that diverges at once has a single evaluation to show
        (self.val_line,) = self.ax_loss.plot([], [], "o-", ms=3, lw=2.4, label="validation")
        (self.train_line,) = self.ax_loss.plot([], [], "o--", ms=3, lw=2.0, label="training")
        (self.norm_line,) = self.ax_norm.plot([], [], "o-", ms=3, lw=2.4)
        self._legend("0.3")
        self.fig.suptitle("choose λ and press Run", fontsize=11)
        self.ax_loss.set_title("faint: the stored runs' validation loss", fontsize=9)
        self.ax_norm.set_title("faint: the stored runs, labelled with λ", fontsize=9)

    def _legend(self, colour) -> None:
        for line in (self.val_line, self.train_line, self.norm_line):
            line.set_color(colour)
        self.ax_loss.legend(loc="lower left", fontsize=8, title="this run", title_fontsize=8)

    def start(self, lam: float) -> None:
        for line in (self.val_line, self.train_line, self.norm_line):
            line.set_data([], [])
        self._legend(self.colours.get(lam, "C3"))
        self.fig.suptitle(f"training {lambda_label(lam)} …", fontsize=11)

    def show(self, history: History) -> None:
        steps = history.step
        self.val_line.set_data(steps, history.val_loss)
        self.train_line.set_data(steps, history.train_loss)
        self.norm_line.set_data(steps, history.group_norm["decay"])
        lam = history.settings["weight_decay"]
        total = history.settings["steps"]
        title = f"{lambda_label(lam)} · step {len(history.loss)} of {total}"
        if history.stopped:
            title += f" · {history.stopped}"
        if history.val_loss:
            title += f" · validation {history.val_loss[-1]:.2f}"
        self.fig.suptitle(title, fontsize=11)


def norms_figure(sweep: Sweep) -> Figure:
    """The norm of each parameter group over training, one line per λ."""
    colours = lambda_colors(sweep.lambdas)
    fig, axes = plt.subplots(1, 2, figsize=(8.6, 3.4), gridspec_kw={"wspace": 0.3})
    titles = {
        "decay": "decayed: matrices and embeddings",
        "no_decay": "not decayed: biases and LayerNorm gains",
    }
    for ax, (group, title) in zip(axes, titles.items(), strict=True):
        for lam in sweep.lambdas:
            point = sweep.run(lam)
            ax.plot(
                point["step"],
                point["group_norm"][group],
                color=colours[lam],
                label=lambda_label(lam),
            )
        ax.set(xlabel="training step", ylabel="‖θ‖ of the group", title=title, ylim=(0, None))
        ax.set_xlim(0, sweep.steps)
    axes[0].legend(ncols=2, fontsize=8, loc="upper left")
    return fig


def timescale_figure(sweep: Sweep) -> Figure:
    """Left: how much of the initial weights survives, against (1 − ηλ)^t. Right: the decayed
    group's norm against training time measured in units of τ = 1/(ηλ)."""
    colours = lambda_colors(sweep.lambdas)
    fig, (ax_init, ax_tau) = plt.subplots(1, 2, figsize=(8.6, 3.5), gridspec_kw={"wspace": 0.3})
    for lam in sweep.lambdas:
        point = sweep.run(lam)
        steps = np.array(point["step"])
        overlap = np.array(point["init_overlap"])
        shown = overlap > 1e-3  # below that the overlap is noise around zero
        ax_init.plot(
            steps[shown], overlap[shown], "o-", ms=3, color=colours[lam], label=lambda_label(lam)
        )
        if lam > 0:
            t = np.linspace(0, sweep.steps, 200)
            ax_init.plot(t, (1 - sweep.lr * lam) ** t, ":", color=colours[lam], lw=1.2)
            ax_tau.plot(
                steps[1:] / tau(sweep.lr, lam),
                point["group_norm"]["decay"][1:],
                color=colours[lam],
                label=lambda_label(lam),
            )
    ax_init.set_yscale("log")
    ax_init.set(
        ylim=(1e-3, 1.5),
        xlim=(0, sweep.steps),
        xlabel="training step",
        ylabel="⟨θₜ, θ₀⟩ / ‖θ₀‖²",
        title="what is left of the initial weights\n(dotted: (1 − ηλ)ᵗ)",
    )
    ax_init.legend(ncols=2, fontsize=7, loc="lower left")
    ax_tau.set_xscale("log")
    for k, label in ((1, "τ"), (3, "3τ")):
        ax_tau.axvline(k, color="0.6", lw=0.8, ls="--")
        ax_tau.text(
            k * 1.08,
            0.97,
            label,
            transform=ax_tau.get_xaxis_transform(),
            fontsize=8,
            va="top",
            color="0.4",
        )
    ax_tau.set(
        xlabel="training time in units of τ = 1/(ηλ)",
        ylabel="‖θ‖ of the decayed group",
        title="the more τ, the less the norm still grows\n(λ = 0 has no τ)",
        ylim=(0, None),
    )
    return fig


def rules_figure(sweep: Sweep, lam: float = RULE_LAMBDA) -> Figure:
    """The same run under the nanoGPT and the minGPT rule (and λ = 0 for reference): losses, and
    the norms of the token embedding (= the tied output head) and the position embedding."""
    fig, (ax_loss, ax_emb) = plt.subplots(1, 2, figsize=(8.6, 3.5), gridspec_kw={"wspace": 0.3})
    runs = [("λ = 0 (either rule)", sweep.run(0.0), "black")] + [
        (f"{RULE_NAMES[rule]}, λ = {lam:g}", sweep.run(lam, rule), RULE_COLORS[rule])
        for rule in RULE_NAMES
    ]
    for label, point, colour in runs:
        ax_loss.plot(point["step"], point["val_loss"], color=colour, lw=2, label=label)
        ax_loss.plot(point["step"], point["train_loss"], color=colour, lw=1.2, ls="--")
        norms = point["tensor_norm"]
        ax_emb.plot(point["step"], norms["transformer.wte.weight"], color=colour, lw=2)
        ax_emb.plot(point["step"], norms["transformer.wpe.weight"], color=colour, lw=1.2, ls=":")
    ax_loss.set(xlabel="training step", ylabel="loss (nats per character)", ylim=_loss_ylim(sweep))
    ax_loss.set_title("validation (solid) and training (dashed) loss", fontsize=10)
    ax_loss.legend(fontsize=8, loc="lower left")
    ax_emb.set(xlabel="training step", ylabel="‖W‖ (Frobenius norm)", ylim=(0, None))
    ax_emb.set_title(
        "token embedding = output head (solid),\nposition embedding (dotted)", fontsize=10
    )
    for ax in (ax_loss, ax_emb):
        ax.set_xlim(0, sweep.steps)
    return fig
