"""Chapter 4's λ sweep of the tiny GPT: what it trains, what it keeps, and how the chapter reads it.

The chapter plots a sweep that takes minutes to train, so it is trained once by

    python scripts/sweep_tiny_gpt.py

and stored in ``helpers/data/tiny_gpt_sweep.json`` with :mod:`helpers.precomputed`. Each point
is one run of :data:`SWEEP_CONFIG` (the CPU preset, evaluated every 20 steps) on the CPU with
:data:`THREADS` torch threads: every λ of :data:`LAMBDAS` under the nanoGPT rule, and
:data:`RULE_LAMBDA` once more under the minGPT rule. A point keeps only what the chapter shows:
losses, weight norms and the overlap with the initial weights at each evaluation, and a sample
of generated text. ``tests/test_gpt_sweep.py`` re-trains one point and compares.

The training text is Python's own help text, which changes with Python's minor version, so the
stored file records the data's fingerprint; on another Python the chapter still plots the stored
sweep, and its live runs train on that Python's text.

Introduced in chapter 4 (train a tiny GPT with a λ slider).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import torch

from helpers.checks import check_int
from helpers.data import CharData, char_data
from helpers.param_groups import param_groups
from helpers.precomputed import load_results
from helpers.train import CPU_PRESET, History, TrainConfig, train

NAME = "tiny_gpt_sweep"
COMMAND = "python scripts/sweep_tiny_gpt.py"
THREADS = 2  # torch threads of every stored run (and of the test that re-runs one)
# The slider's values: λ = 0, then roughly ×3 apart up to 30, where this model's validation loss
# turns up again. With η = 3e-3, τ = 1/(ηλ) runs from 3,333 steps (λ = 0.1, far longer than the
# 400-step run) down to 11 steps (λ = 30).
LAMBDAS = (0.0, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
# The decay rules this sweep trains, two of helpers.param_groups.RULES: nanoGPT's for every λ,
# minGPT's once more at RULE_LAMBDA.
SWEEP_RULES = ("nanogpt", "mingpt")
RULE_LAMBDA = 10.0
TRACK = ("transformer.wte.weight", "transformer.wpe.weight")  # wte is also the tied output head
# The CPU preset, evaluated every 20 steps instead of 50 for smoother curves (evaluation does not
# change the training: its batches come from their own generator).
SWEEP_CONFIG = replace(CPU_PRESET, eval_every=20, device="cpu")


@dataclass(frozen=True)
class SampleSettings:
    """How each trained model writes its sample (chapter 4, "Samples")."""

    prompt: str = "The "  # the text the sample continues
    length: int = 240  # characters generated after the prompt
    temperature: float = 0.8  # < 1 sharpens the distribution a little
    seed: int = 0  # the sampler's own generator: the same model writes the same text


SAMPLE = SampleSettings()


def sweep_config() -> dict:
    """Everything that decides the stored numbers, as the dict whose hash the file records.

    The Python version (and with it the training text) is not part of it: on another Python the
    stored sweep still loads, and the file's ``python`` and data fingerprint say what it used.
    """
    return {
        "train": asdict(SWEEP_CONFIG),
        "lambdas": list(LAMBDAS),
        "rules": list(SWEEP_RULES),
        "rule_lambda": RULE_LAMBDA,
        "track": list(TRACK),
        "sample": asdict(SAMPLE),
        "threads": THREADS,
    }


def point_key(lam: float, rule: str = "nanogpt") -> str:
    """The name of a stored run, e.g. ``"nanogpt/3"``."""
    return f"{rule}/{lam:g}"


def sample_text(history: History, settings: SampleSettings = SAMPLE) -> str:
    """A seeded sample of ``settings.length`` characters from a trained run, prompt included."""
    vocab = history.data.vocab
    device = next(history.model.parameters()).device
    idx = vocab.encode(settings.prompt, unknown=" ")[None].to(device)
    out = history.model.generate(
        idx, settings.length, temperature=settings.temperature, seed=settings.seed
    )
    return vocab.decode(out[0].cpu())


def longest_copied(text: str, source: str) -> str:
    """The longest piece of ``text`` that appears verbatim in ``source``.

    A measure of memorisation: a model that learned its training text by heart writes long
    stretches of it back.
    """
    best = ""
    for start in range(len(text)):
        # only a match longer than the best so far matters; grow it while it still occurs
        end = start + len(best) + 1
        while end <= len(text) and text[start:end] in source:
            best = text[start:end]
            end += 1
    return best


def copied_fraction(text: str, source: str, length: int = 8) -> float:
    """The fraction of ``text``'s ``length``-character pieces that appear verbatim in ``source``.

    A steadier measure of memorisation than :func:`longest_copied`, which one lucky phrase can
    decide. Pieces that are only whitespace (indentation) are left out: any model copies those.
    """
    length = check_int("length", length, low=1)
    pieces = [text[i : i + length] for i in range(len(text) - length + 1)]
    pieces = [piece for piece in pieces if piece.strip()]
    if not pieces:
        return 0.0
    return sum(piece in source for piece in pieces) / len(pieces)


class InitOverlap:
    """A ``train()`` callback that records how much of the initial weights a group still holds.

    ``overlap_t = ⟨θ_t, θ_0⟩ / ‖θ_0‖²`` over the parameters of one decay group, at every
    evaluation. AdamW multiplies θ by (1 − ηλ) each step, so if the updates were uncorrelated
    with θ_0 the overlap would be exactly (1 − ηλ)^t ≈ exp(−t/τ) with τ = 1/(ηλ). θ_0 is read
    from the run itself: ``train()`` calls back at step 0, before any update.
    """

    def __init__(self, group: str = "decay"):
        self.group = group
        self.initial: dict[str, torch.Tensor] = {}  # θ_0 of the group, by parameter name
        self.values: list[float] = []  # overlap_t at each evaluation of the run

    def __call__(self, step: int, history: History) -> None:
        if history.step[-1] != step:
            return
        named = dict(history.model.named_parameters())
        if step == 0:
            rule = history.settings["rule"]
            groups = param_groups(history.model, 1.0, rule=rule)
            chosen = next(g for g in groups if g["name"] == self.group)
            self.initial = {n: named[n].detach().cpu().clone() for n in chosen["param_names"]}
            self.norm2 = sum(p.pow(2).sum().item() for p in self.initial.values())
            self.values = [1.0]  # ⟨θ_0, θ_0⟩/‖θ_0‖²
            return
        inner = sum(
            (named[name].detach().cpu() * p0).sum().item() for name, p0 in self.initial.items()
        )
        self.values.append(inner / self.norm2)


def _rounded(values):
    """Six significant digits: far below the 1e-3 re-run tolerance, and a small file."""
    return [float(f"{v:.6g}") for v in values]


def run_point(
    lam: float,
    rule: str = "nanogpt",
    data: CharData | None = None,
    config: TrainConfig = SWEEP_CONFIG,
) -> dict:
    """Train one point of the sweep and return what the file stores for it."""
    data = (char_data() if data is None else data).with_train_chars(config.train_chars)
    config = replace(config, weight_decay=lam, rule=rule)
    overlap = InitOverlap()
    history = train(config, data=data, track=TRACK, callback=overlap)
    if history.stopped == "interrupted":  # Ctrl-C: stop the sweep, keep nothing of this run
        raise KeyboardInterrupt(history.message)
    decayed = param_groups(history.model, lam, rule=rule)[0]["params"]
    return {
        "lambda": lam,
        "rule": rule,
        "stopped": history.stopped,
        "step": history.step,
        "train_loss": _rounded(history.train_loss),
        "val_loss": _rounded(history.val_loss),
        "group_norm": {k: _rounded(v) for k, v in history.group_norm.items()},
        "tensor_norm": {k: _rounded(v) for k, v in history.tensor_norm.items()},
        "init_overlap": _rounded(overlap.values),
        "decay_params": sum(p.numel() for p in decayed),
        "sample": sample_text(history),
    }


def run_sweep(data: CharData | None = None, log=print) -> dict:
    """Every point of the sweep, keyed by :func:`point_key`, and the data they trained on."""
    data = char_data() if data is None else data
    points = {}
    runs = [(lam, "nanogpt") for lam in LAMBDAS] + [
        (RULE_LAMBDA, rule) for rule in SWEEP_RULES if rule != "nanogpt"
    ]
    for lam, rule in runs:
        point = run_point(lam, rule, data)
        points[point_key(lam, rule)] = point
        log(
            f"{point_key(lam, rule):12s} train {point['train_loss'][-1]:.3f} "
            f"val {point['val_loss'][-1]:.3f} decay-group norm "
            f"{point['group_norm']['decay'][-1]:.2f}"
        )
    train_part = data.with_train_chars(SWEEP_CONFIG.train_chars)
    return {
        "data": {
            "source": data.source,
            "fingerprint": data.fingerprint,
            "train_chars": len(train_part.train),
            "vocab_size": data.vocab.size,
            "train_text": data.vocab.decode(train_part.train),
        },
        "points": points,
    }


@dataclass(frozen=True)
class Sweep:
    """The stored sweep as the chapter uses it."""

    record: dict  # the whole file: command, config, versions, results

    @property
    def points(self) -> dict[str, dict]:
        return self.record["results"]["points"]

    @property
    def data(self) -> dict:
        return self.record["results"]["data"]

    @property
    def lambdas(self) -> list[float]:
        return list(self.record["config"]["lambdas"])

    @property
    def lr(self) -> float:
        return self.record["config"]["train"]["lr"]

    @property
    def steps(self) -> int:
        return self.record["config"]["train"]["steps"]

    def point(self, lam: float, rule: str = "nanogpt") -> dict:
        try:
            return self.points[point_key(lam, rule)]
        except KeyError:
            raise KeyError(
                f"no stored run for λ = {lam:g} with the {rule} rule; "
                f"stored: {', '.join(self.points)}"
            ) from None

    def final(self, key: str, group: str | None = None) -> dict[float, float]:
        """λ → the last value of ``key`` (e.g. ``"val_loss"``, or ``"group_norm"`` and a group)
        over the nanoGPT-rule sweep."""
        out = {}
        for lam in self.lambdas:
            values = self.point(lam)[key]
            out[lam] = (values[group] if group else values)[-1]
        return out


def load_sweep() -> Sweep:
    """The stored sweep; an error naming the regeneration command if the code's configuration
    changed since it was made."""
    return Sweep(load_results(NAME, sweep_config()))


def tau(lr: float, lam: float) -> float:
    """τ = 1/(ηλ): the number of steps over which AdamW's shrink forgets a factor e (∞ at λ = 0)."""
    return math.inf if lam == 0 else 1.0 / (lr * lam)
