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
:func:`run_point` trains the chapter-4 CPU preset under one rule, λ and seed and keeps the norms
of those tensors; ``python scripts/sweep_decay_rules.py`` stores every point of :data:`STORED`
(each rule at each λ, over three seeds), which the chapter plots with
:func:`helpers.ch3.figures.hero`.

:func:`load_state_dict_checked` is the resume that refuses a state saved in another order:
PyTorch's ``Optimizer.load_state_dict`` pairs saved moments with parameters by position only.

Introduced in chapter 3 (Which weights to decay).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, replace

import torch

from helpers import corpus, optim_state, precomputed
from helpers.checks import check_choice
from helpers.optim import WeightDecayOptimizer
from helpers.param_groups import RULES
from helpers.spreads import Check
from helpers.train import CPU_PRESET, train

# One thread: on the busy 2-core machine two threads were slower, and the count must be fixed
# for the stored numbers to be reproducible.
THREADS = 1
# The chapter-4 CPU preset, evaluated twice as often for smoother norm curves.
SWEEP_TRAIN = replace(CPU_PRESET, eval_every=25, device="cpu")
SWEEP_LAMBDAS = (0.0, 0.1, 0.3, 1.0, 3.0)
SEEDS = (0, 1, 2)  # every point over these seeds (model initialisation and batch order)
# At λ = 0 no rule decays anything: one run, under this name, stands for every rule.
ANY_RULE = "any"
# What the sweep records besides the losses: the token table (also the output head), the
# position table and every LayerNorm gain.
TRACK = ("transformer.wte.weight", "transformer.wpe.weight", "*ln_*.weight")
WTE, WPE = TRACK[0], TRACK[1]
GAINS = tuple(
    f"transformer.h.{layer}.ln_{i}.weight" for layer in range(SWEEP_TRAIN.n_layer) for i in (1, 2)
) + ("transformer.ln_f.weight",)  # what "*ln_*.weight" matches


def _points(seeds: Sequence[int]) -> tuple[tuple[str, float, int], ...]:
    """(rule, λ, seed) to train: λ = 0 once per seed (under ANY_RULE), every rule at each λ > 0."""
    per_seed = [(ANY_RULE, 0.0)] if 0.0 in SWEEP_LAMBDAS else []
    per_seed += [(rule, float(lam)) for lam in SWEEP_LAMBDAS if lam > 0 for rule in RULES]
    return tuple((rule, lam, seed) for seed in seeds for rule, lam in per_seed)


# The curves a point keeps, one value per evaluation (paths inside a point).
CURVES = ("train_loss", "val_loss", *(f"norms/{name}" for name in (WTE, WPE, *GAINS)))


def _check_point(point: dict) -> None:
    precomputed.check_curves(point, CURVES)
    if point.get("data_fingerprint") != corpus.FINGERPRINT:
        raise ValueError(f"data_fingerprint is {point.get('data_fingerprint')!r}, not the corpus's")


def _point_config(rule: str, lam: float, seed: int) -> dict:
    return {"train": asdict(SWEEP_TRAIN), "track": list(TRACK), "data": corpus.FINGERPRINT}


def spec(seeds: Sequence[int] = SEEDS) -> precomputed.Spec:
    """The stored sweep for ``seeds`` (the book's file: :data:`STORED`)."""
    return precomputed.Spec(
        name="decay_rules",
        command="python scripts/sweep_decay_rules.py",
        threads=THREADS,
        config={
            "train": asdict(SWEEP_TRAIN),
            "lambdas": [float(lam) for lam in SWEEP_LAMBDAS],
            "rules": list(RULES),
            "seeds": list(seeds),
            "track": list(TRACK),
            "data": corpus.FINGERPRINT,
            "threads": THREADS,
        },
        axes=("rule", "λ", "seed"),
        points=_points(seeds),
        check=_check_point,
        point_config=_point_config,
    )


STORED = spec()
# What a live run is compared on (helpers.spreads): the first 100 steps of OLMo 2's rule at λ = 1.
CHECKS = {"first 100 steps": Check(point=("olmo2", 1.0, 0), series=CURVES, until=100)}


def run_point(rule: str, lam: float, seed: int, until: int | None = None) -> dict[str, list]:
    """Train one (rule, λ, seed) and return its curves: steps, losses and the tracked norms.

    ``until`` ends the run after that step (the history up to there is identical to the full
    run's, which is how the tests re-check a stored run cheaply).
    """
    callback = None if until is None else (lambda step, _history: step >= until)
    train_rule = "nanogpt" if rule == ANY_RULE else rule  # at λ = 0 every rule trains alike
    config = replace(SWEEP_TRAIN, rule=train_rule, weight_decay=lam, seed=seed)
    history = train(config, track=TRACK, callback=callback)
    precomputed.stop_if_interrupted(history.stopped, STORED.key(rule, lam, seed))
    if history.stopped not in ("finished", "callback"):
        raise RuntimeError(f"{STORED.key(rule, lam, seed)}: {history.message}")
    return {
        "step": history.step,
        "train_loss": history.train_loss,
        "val_loss": history.val_loss,
        "norms": history.tensor_norm,
        "data_fingerprint": history.environment["data_fingerprint"],
    }


def load() -> precomputed.Stored:
    """The stored sweep, checked; an error naming the command if the configuration changed or
    the file is damaged."""
    return precomputed.load(STORED)


def point(stored: precomputed.Stored, rule: str, lam: float, seed: int = 0) -> dict:
    """The stored run of ``rule`` at λ (any rule at λ = 0: they are one run)."""
    rule = check_choice("rule", rule, RULES)
    return stored.point(ANY_RULE if lam == 0 else rule, float(lam), seed)


def curves(
    stored: precomputed.Stored, rule: str, lam: float, seed: int = 0
) -> dict[str, list[float]]:
    """One run's plotted series: ‖W_E‖, the RMS LayerNorm gain and the validation loss.

    The RMS gain is √(Σ‖g‖²/count) over every LayerNorm gain g; it is 1 at initialisation,
    when every gain is 1.
    """
    run = point(stored, rule, lam, seed)
    gains = [run["norms"][name] for name in run["norms"] if ".ln_" in name]
    count = SWEEP_TRAIN.n_embd * len(gains)  # every gain has n_embd entries
    return {
        "step": run["step"],
        "wte": run["norms"][WTE],
        "gain_rms": [math.sqrt(sum(g**2 for g in at) / count) for at in zip(*gains, strict=True)],
        "val_loss": run["val_loss"],
    }


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
