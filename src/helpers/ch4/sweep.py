"""Chapter 4's λ sweep of the tiny GPT: what it trains, what it keeps, and how the chapter reads it.

The chapter plots a sweep that takes minutes to train, so it is trained once by

    python scripts/sweep_tiny_gpt.py

and stored in ``helpers/data/tiny_gpt_sweep.json`` by :func:`helpers.precomputed.make`. Each
point is one run of :data:`SWEEP_CONFIG` (the CPU preset, evaluated every 20 steps) on the CPU
with :data:`THREADS` torch threads, named by rule, λ and seed (``"rule=nanogpt/λ=3/seed=0"``):
every λ of :data:`LAMBDAS` under the nanoGPT rule and :data:`RULE_LAMBDA` once more under the
minGPT rule, each over the seeds of :data:`SEEDS`. A point keeps only what the chapter shows:
losses, weight norms and the overlap with the initial weights at each evaluation, and a sample
of generated text with the share of it copied from the training text. The training text is the
frozen corpus of :mod:`helpers.corpus`, the same on every Python. ``tests/test_gpt_sweep.py``
re-trains one point and compares (:data:`CHECKS`, :mod:`helpers.spreads`).

Introduced in chapter 4 (train a tiny GPT with a λ slider).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import torch

from helpers import corpus, precomputed
from helpers.checks import check_int
from helpers.data import CharData, char_data
from helpers.param_groups import param_groups
from helpers.runtime import cpu_threads
from helpers.spreads import Check
from helpers.train import CPU_PRESET, History, TrainConfig, train

# torch threads of every stored run (and of the runs compared with them). One: on a busy 2-core
# machine two threads are several times slower.
THREADS = 1
SEEDS = (0, 1, 2)  # every point over these seeds (the chapter's single runs use seed 0)
# The slider's values: λ = 0, then roughly ×3 apart up to 30, where this model's validation loss
# turns up again. With η = 3e-3, τ = 1/(ηλ) runs from 3,333 steps (λ = 0.1, far longer than the
# 400-step run) down to 11 steps (λ = 30).
LAMBDAS = (0.0, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
# The decay rules this sweep trains: nanoGPT's for every λ, minGPT's once more at RULE_LAMBDA.
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


def _points(seeds) -> tuple[tuple[str, float, int], ...]:
    runs = [("nanogpt", lam) for lam in LAMBDAS] + [("mingpt", RULE_LAMBDA)]
    return tuple((rule, lam, seed) for seed in seeds for rule, lam in runs)


# The curves a point keeps, one value per evaluation (paths inside a point).
CURVES = (
    "train_loss",
    "val_loss",
    "init_overlap",
    "group_norm/decay",
    "group_norm/no_decay",
    *(f"tensor_norm/{name}" for name in TRACK),
)


def _check_point(point: dict) -> None:
    """The shape of a stored run: a finished run with one value per evaluation in every curve."""
    if point.get("stopped") != "finished":
        raise ValueError(f"stopped is {point.get('stopped')!r}, not 'finished'")
    precomputed.check_curves(point, CURVES)
    if not isinstance(point.get("sample"), str) or not point["sample"].startswith(SAMPLE.prompt):
        raise ValueError(f"sample must be text that starts with {SAMPLE.prompt!r}")
    for key in ("decay_params", "copied"):
        if not isinstance(point.get(key), (int, float)):
            raise ValueError(f"{key} must be a number")


def _point_config(rule: str, lam: float, seed: int) -> dict:
    return {
        "train": asdict(SWEEP_CONFIG),
        "track": list(TRACK),
        "sample": asdict(SAMPLE),
        "data": corpus.FINGERPRINT,
    }


def spec(seeds=SEEDS) -> precomputed.Spec:
    """The stored sweep for ``seeds`` (the book's file: :data:`STORED`)."""
    return precomputed.Spec(
        name="tiny_gpt_sweep",
        command="python scripts/sweep_tiny_gpt.py",
        threads=THREADS,
        config={
            "train": asdict(SWEEP_CONFIG),
            "lambdas": list(LAMBDAS),
            "rules": list(SWEEP_RULES),
            "rule_lambda": RULE_LAMBDA,
            "seeds": list(seeds),
            "track": list(TRACK),
            "sample": asdict(SAMPLE),
            "data": corpus.FINGERPRINT,
            "threads": THREADS,
        },
        axes=("rule", "λ", "seed"),
        points=_points(seeds),
        check=_check_point,
        point_config=_point_config,
    )


STORED = spec()
# What a live run is compared on (helpers.spreads): the run at the best λ, as chapter 4 trains it
# live and tests/test_gpt_sweep.py re-trains it.
CHECK_LAMBDA = 10.0
CHECKS = {"λ = 10 run": Check(point=("nanogpt", CHECK_LAMBDA, 0), series=CURVES)}


def train_point(
    rule: str,
    lam: float,
    seed: int = 0,
    *,
    until: int | None = None,
    config: TrainConfig = SWEEP_CONFIG,
    data: CharData | None = None,
    threads: int | None = None,
) -> tuple[History, dict]:
    """Train one point of the sweep; return its :class:`~helpers.train.History` (with the model)
    and what the file stores for it.

    ``until`` stops after that step (the history up to there is the full run's); ``threads``
    sets torch's CPU threads for this run only (the stored runs used :data:`THREADS`).
    """
    data = (char_data() if data is None else data).with_train_chars(config.train_chars)
    config = replace(config, weight_decay=lam, rule=rule, seed=seed)
    overlap = InitOverlap()

    def callback(step: int, history: History) -> bool:
        overlap(step, history)
        return until is not None and step >= until

    with cpu_threads(threads):
        history = train(config, data=data, track=TRACK, callback=callback)
    precomputed.stop_if_interrupted(history.stopped, STORED.key(rule, lam, seed))
    decayed = param_groups(history.model, lam, rule=rule)[0]["params"]
    sample = sample_text(history)
    point = {
        "stopped": history.stopped,  # "callback" when cut short by until
        "step": history.step,
        "train_loss": history.train_loss,
        "val_loss": history.val_loss,
        "group_norm": history.group_norm,
        "tensor_norm": history.tensor_norm,
        "init_overlap": overlap.values,
        "decay_params": sum(p.numel() for p in decayed),
        "sample": sample,
        "copied": copied_fraction(sample, data.vocab.decode(data.train)),
    }
    return history, point


def run_point(rule: str, lam: float, seed: int, until: int | None = None) -> dict:
    """One point of the sweep as the file stores it (see :func:`train_point`)."""
    return train_point(rule, lam, seed, until=until)[1]


def data_record() -> dict:
    """What the file says about the training text, the text itself included (the chapter
    searches it for copied pieces)."""
    data = char_data()
    train_part = data.with_train_chars(SWEEP_CONFIG.train_chars)
    return {
        "data": {
            "source": data.source,
            "fingerprint": data.fingerprint,
            "train_chars": len(train_part.train),
            "vocab_size": data.vocab.size,
            "train_text": data.vocab.decode(train_part.train),
        }
    }


@dataclass(frozen=True)
class Sweep(precomputed.Stored):
    """The stored sweep as the chapter uses it: points by λ (and rule, seed), the data."""

    def __post_init__(self):
        data = self.record["results"].get("data")
        if not isinstance(data, dict) or not isinstance(data.get("train_text"), str):
            raise precomputed.StoredDataError(
                f"{STORED.name}.json has no training text in results/data; "
                f"regenerate it with: {STORED.command}"
            )

    @property
    def data(self) -> dict:
        return self.record["results"]["data"]

    @property
    def lambdas(self) -> list[float]:
        return list(self.record["config"]["lambdas"])

    @property
    def seeds(self) -> list[int]:
        return list(self.record["config"]["seeds"])

    @property
    def lr(self) -> float:
        return self.record["config"]["train"]["lr"]

    @property
    def steps(self) -> int:
        return self.record["config"]["train"]["steps"]

    def run(self, lam: float, rule: str = "nanogpt", seed: int = 0) -> dict:
        """The run at λ (nanoGPT rule and seed 0 unless given); ``point(rule, λ, seed)`` is the
        same run by its coordinates, as :mod:`helpers.spreads` asks for it."""
        return self.point(rule, float(lam), seed)

    def final(self, key: str, group: str | None = None, seed: int = 0) -> dict[float, float]:
        """λ → the last value of ``key`` (e.g. ``"val_loss"``, or ``"group_norm"`` and a group)
        over the nanoGPT-rule sweep of one seed."""
        out = {}
        for lam in self.lambdas:
            values = self.run(lam, seed=seed)[key]
            out[lam] = (values[group] if group else values)[-1]
        return out


def load() -> Sweep:
    """The stored sweep, checked: an error naming the regeneration command if the code's
    configuration changed since it was made, or the file is damaged."""
    return precomputed.load(STORED, Sweep)


def tau(lr: float, lam: float) -> float:
    """τ = 1/(ηλ): the number of steps over which AdamW's shrink forgets a factor e (∞ at λ = 0)."""
    return math.inf if lam == 0 else 1.0 / (lr * lam)
