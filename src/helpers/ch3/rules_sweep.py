"""Chapter 3's experiments: what each decay rule does to embeddings and norm gains; a safe resume.

The four rules of :func:`helpers.param_groups.param_groups` form a 2 × 2 on the book's tiny GPT:

============  ======================  ===========================
rule          token/position tables   LayerNorm gains, biases
============  ======================  ===========================
``mingpt``    not decayed             not decayed
``nanogpt``   decayed                 not decayed
``olmo2``     not decayed             decayed
``all``       decayed                 decayed
============  ======================  ===========================

(Linear weights are decayed by all four; the output head is the token table, tied.)
:func:`run_sweep` trains the chapter-4 CPU preset under each rule and several λ and keeps the
norms of those tensors; ``python scripts/sweep_decay_rules.py`` stores the result, which the
chapter plots with :func:`norms_figure`.

:func:`load_state_dict_checked` is the resume that refuses a state saved in another order:
PyTorch's ``Optimizer.load_state_dict`` pairs saved moments with parameters by position only.

Introduced in chapter 3 (Which weights to decay).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace

import matplotlib.pyplot as plt
import torch
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

from helpers import optim_state, precomputed
from helpers.checks import check_choice
from helpers.optim import WeightDecayOptimizer
from helpers.param_groups import RULES
from helpers.train import CPU_PRESET, TrainConfig, train

SWEEP_NAME = "decay_rules"
SWEEP_COMMAND = "python scripts/sweep_decay_rules.py"
# One thread: on the busy 2-core machine two threads were slower, and the count must be fixed
# for the stored numbers to be reproducible.
SWEEP_THREADS = 1
# The chapter-4 CPU preset, evaluated twice as often for smoother norm curves.
SWEEP_TRAIN = replace(CPU_PRESET, eval_every=25, device="cpu")
SWEEP_LAMBDAS = (0.0, 0.1, 0.3, 1.0, 3.0)
# What the sweep records besides the losses: the token table (also the output head), the
# position table and every LayerNorm gain.
TRACK = ("transformer.wte.weight", "transformer.wpe.weight", "*ln_*.weight")
WTE, WPE = TRACK[0], TRACK[1]

RULE_COLORS = {"mingpt": "#1b9e77", "nanogpt": "#d95f02", "olmo2": "#7570b3", "all": "#e7298a"}
RULE_LABELS = {
    "mingpt": "minGPT: Linear weights",
    "nanogpt": "nanoGPT: ≥ 2-D tensors",
    "olmo2": "OLMo 2: all but embeddings",
    "all": "all parameters",
}


def sweep_config(
    train_config: TrainConfig = SWEEP_TRAIN, lambdas: Sequence[float] = SWEEP_LAMBDAS
) -> dict:
    """Everything that decides the stored numbers (its hash guards the data file)."""
    return {
        "train": asdict(train_config),
        "lambdas": [float(lam) for lam in lambdas],
        "rules": list(RULES),
        "track": list(TRACK),
    }


def sweep_points(lambdas: Sequence[float] = SWEEP_LAMBDAS) -> list[tuple[str, float]]:
    """(rule, λ) pairs to train. At λ = 0 no rule decays anything, so one run stands for all."""
    points = [("nanogpt", 0.0)] if 0.0 in lambdas else []
    return points + [(rule, float(lam)) for lam in lambdas if lam > 0 for rule in RULES]


def point_key(rule: str, lam: float) -> str:
    """The results key of one run: ``"olmo2 λ=1"``; every rule at λ = 0 is ``"λ=0"``."""
    return "λ=0" if lam == 0 else f"{rule} λ={lam:g}"


def run_point(
    rule: str,
    lam: float,
    train_config: TrainConfig = SWEEP_TRAIN,
    stop_after: int | None = None,
) -> dict[str, list]:
    """Train one (rule, λ) and return its curves: steps, losses and the tracked norms.

    ``stop_after`` ends the run after that many steps (the history up to there is identical to
    the full run's, which is how the tests re-check a stored run cheaply).
    """
    callback = None if stop_after is None else (lambda step, _history: step >= stop_after)
    history = train(train_config, rule=rule, weight_decay=lam, track=TRACK, callback=callback)
    if history.stopped == "interrupted":  # Ctrl-C: stop the sweep, keep nothing of this run
        raise KeyboardInterrupt(history.message)
    if history.stopped not in ("finished", "callback"):
        raise RuntimeError(f"{point_key(rule, lam)}: {history.message}")
    return {
        "step": history.step,
        "train_loss": history.train_loss,
        "val_loss": history.val_loss,
        "norms": history.tensor_norm,
        "data_fingerprint": history.environment["data_fingerprint"],
    }


def run_sweep(
    train_config: TrainConfig = SWEEP_TRAIN,
    lambdas: Sequence[float] = SWEEP_LAMBDAS,
    run: Callable[[str, float], dict] | None = None,
) -> dict[str, dict]:
    """Every point of :func:`sweep_points`, keyed by :func:`point_key`."""
    run = run or (lambda rule, lam: run_point(rule, lam, train_config))
    return {point_key(rule, lam): run(rule, lam) for rule, lam in sweep_points(lambdas)}


def load_sweep() -> dict:
    """The stored sweep; fails, naming the command, if the code's configuration has changed."""
    return precomputed.load_results(SWEEP_NAME, sweep_config())


def curves(results: dict[str, dict], rule: str, lam: float) -> dict[str, list[float]]:
    """One run's plotted series: ‖W_E‖, the RMS LayerNorm gain and the validation loss.

    The RMS gain is √(Σ‖g‖²/count) over every LayerNorm gain g; it is 1 at initialisation,
    when every gain is 1.
    """
    rule = check_choice("rule", rule, RULES)
    key = point_key(rule, lam)
    if key not in results:
        stored = sorted({0.0} | {float(k.split("λ=")[1]) for k in results})
        check_choice("lam", lam, stored)  # names the stored λ
    run = results[key]
    gains = [run["norms"][name] for name in run["norms"] if ".ln_" in name]
    count = SWEEP_TRAIN.n_embd * len(gains)  # every gain has n_embd entries
    return {
        "step": run["step"],
        "wte": run["norms"][WTE],
        "gain_rms": [math.sqrt(sum(g**2 for g in at) / count) for at in zip(*gains, strict=True)],
        "val_loss": run["val_loss"],
    }


def norms_figure(results: dict[str, dict], lambdas: Sequence[float], value: float | None = None):
    """Three panels over training steps for one λ: ‖W_E‖, RMS LayerNorm gain, validation loss.

    One line per rule, and λ = 0 dashed in black for reference. The axes are fixed over all of
    ``lambdas``, so moving between λ never rescales them. Returns ``(fig, update)`` with
    ``update(lam)`` redrawing every line for another λ (for the chapter's sliders).
    """
    fig, axes = plt.subplots(1, 3, figsize=(9.6, 3.5), constrained_layout=True)
    panels = {
        "wte": "‖W_E‖ (token embedding = head)",
        "gain_rms": "RMS LayerNorm gain (log scale)",
        "val_loss": "validation loss (nats)",
    }
    every = [curves(results, rule, lam) for rule in RULES for lam in lambdas]
    reference = curves(results, "nanogpt", 0.0)
    lines = {}
    for ax, (key, title) in zip(axes, panels.items(), strict=True):
        ax.plot(reference["step"], reference[key], "k--", lw=1.2, label="λ = 0 (any rule)")
        for rule in RULES:
            (lines[rule, key],) = ax.plot(
                [],
                [],
                color=RULE_COLORS[rule],
                lw=2.4 if rule == "all" else 1.8,
                ls=":" if rule == "all" else "-",  # "all" often lies on another rule's line
                label=RULE_LABELS[rule],
            )
        low = min(min(c[key]) for c in every)
        high = max(max(c[key]) for c in every)
        ax.set_title(title)
        ax.set_xlabel("step")
        ax.set_xlim(0, reference["step"][-1])
        if key == "gain_rms":
            ax.set_yscale("log")
            ax.set_ylim(low / 1.2, high * 1.2)
            ax.yaxis.set_major_locator(FixedLocator([0.1, 0.2, 0.5, 1, 2]))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}"))
            ax.yaxis.set_minor_formatter(NullFormatter())
        else:
            margin = 0.05 * (high - low)
            ax.set_ylim(low - margin, high + margin)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=5, fontsize=8)
    suptitle = fig.suptitle("")

    def update(lam: float) -> None:
        for rule in RULES:
            series = curves(results, rule, lam)
            for key in panels:
                lines[rule, key].set_data(series["step"], series[key])
        suptitle.set_text(f"Four decay rules at λ = {lam:g} (AdamW, η = {SWEEP_TRAIN.lr:g})")

    update(lambdas[-1] if value is None else value)
    return fig, update


def load_state_dict_checked(optimizer: torch.optim.Optimizer, state_dict: dict) -> None:
    """``optimizer.load_state_dict(state_dict)``, after checking that it fits this optimizer.

    PyTorch pairs the saved state with the optimizer's parameters by position and checks only
    the group sizes. Here every group must carry ``param_names`` (as
    :func:`helpers.param_groups.param_groups` makes them), the saved names must equal the
    optimizer's, in order, and each saved moment must have its parameter's shape. The state must
    also come from an optimizer that can continue it (:mod:`helpers.optim_state`): the same
    ``torch.optim`` class, or for the book's optimizers their own class or ``torch.optim``'s of
    the same name; and its hyperparameters must be in range (a saved ``lr=-5`` is refused).
    Otherwise ``ValueError`` names the first mismatch and nothing is loaded.
    """
    saved_groups, groups = state_dict["param_groups"], optimizer.param_groups
    if len(saved_groups) != len(groups):
        raise ValueError(
            f"state_dict has {len(saved_groups)} param groups, the optimizer {len(groups)}"
        )
    for i, (saved, group) in enumerate(zip(saved_groups, groups, strict=True)):
        _check_names(i, saved, group)
        for param_id, name, param in zip(
            saved["params"], group["param_names"], group["params"], strict=True
        ):
            for key, value in state_dict["state"].get(param_id, {}).items():
                if torch.is_tensor(value) and value.dim() > 0 and value.shape != param.shape:
                    raise ValueError(
                        f"{name}: saved {key} has shape {tuple(value.shape)}, the parameter "
                        f"{tuple(param.shape)}"
                    )
    if isinstance(optimizer, WeightDecayOptimizer):
        optimizer.load_state_dict(state_dict)  # converts torch.optim's state, or refuses it
        return
    optim_state.check_for_torch(optimizer, state_dict)
    optimizer.load_state_dict(state_dict)


def _check_names(i: int, saved: dict, group: dict) -> None:
    """The saved group ``i`` holds the same parameter names as the optimizer's, in order."""
    if "param_names" not in saved or "param_names" not in group:
        raise ValueError(
            f"param group {i} has no param_names to check; build the groups with "
            "helpers.param_groups.param_groups or named_parameters()"
        )
    old_names, new_names = list(saved["param_names"]), list(group["param_names"])
    if old_names != new_names:
        pairs = zip(old_names, new_names, strict=False)
        position = next(
            (j for j, (old, new) in enumerate(pairs) if old != new),
            min(len(old_names), len(new_names)),
        )
        old = old_names[position] if position < len(old_names) else "nothing"
        new = new_names[position] if position < len(new_names) else "nothing"
        raise ValueError(
            f"param group {i}, position {position}: the state was saved for {old!r}, "
            f"the optimizer holds {new!r} there"
        )
