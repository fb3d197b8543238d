"""Chapter 8's stored sweep: the tiny GPT under AdamW, Muon and Lion at four λ, and λ schedules.

Made once by

    python scripts/sweep_other_optimizers.py

and stored in ``helpers/data/other_optimizers.json`` by :func:`helpers.precomputed.make`. Each
point is one 400-step run of :func:`helpers.ch8.training.train_run` on the whole training text,
on the CPU with :data:`THREADS` torch thread, named by optimizer, λ, λ schedule and seed
(``"optimizer=muon/λ=1/schedule=linear/seed=0"``):

- every optimizer of :data:`VARIANTS` at each of its four λ (:data:`LAMBDAS`) with a constant λ;
  Lion's λ are 3× AdamW's and its η 3× smaller (the Lion paper's advice), so the shrink per step
  η·λ is the same in both columns;
- Muon with λ falling linearly from 1 to 0 (nanochat's first schedule) and with a constant
  λ = 0.5, which takes the same total decay Σ_t η·λ_t;

each over the seeds of :data:`SEEDS`. ``tests/test_ch8_sweep.py`` re-trains one point and
compares it (:func:`compare`).

Introduced in chapter 8 (Decay with other optimizers).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace

from helpers import corpus, precomputed, spreads
from helpers.ch8.training import RunConfig, train_run
from helpers.runtime import cpu_threads

# torch threads of every stored run (and of the runs compared with them)
THREADS = 1
SEEDS = (0, 1, 2)
STEPS = 400  # chapter 4's run length: about two passes over the whole training text
# The tuned settings of each optimizer (η tuned at λ = 0.1, seed 0; see the chapter): AdamW's η
# is chapter 4's; Muon's part has its own η, its AdamW part (embeddings, gains) AdamW's.
VARIANTS = {
    "adamw": RunConfig(optimizer="adamw", lr=3e-3, steps=STEPS),
    "muon": RunConfig(optimizer="muon", lr=3e-3, muon_lr=0.01, steps=STEPS),
    "lion": RunConfig(optimizer="lion", lr=1e-3, steps=STEPS),
}
# λ of each optimizer, slider position by slider position: Lion's are 3× AdamW's (η 3× smaller)
LAMBDAS = {
    "adamw": (0.0, 0.1, 1.0, 3.0),
    "muon": (0.0, 0.1, 1.0, 3.0),
    "lion": (0.0, 0.3, 3.0, 9.0),
}
# λ schedules (Muon only): λ = 1 falling linearly to 0, and a constant λ of the same mean
SCHEDULE_RUNS = (("muon", 1.0, "linear"), ("muon", 0.5, "constant"))


def _points(seeds) -> tuple[tuple[str, float, str, int], ...]:
    runs = [(opt, lam, "constant") for opt, lams in LAMBDAS.items() for lam in lams]
    runs += list(SCHEDULE_RUNS)
    return tuple((opt, lam, schedule, seed) for seed in seeds for opt, lam, schedule in runs)


def config_of(optimizer: str, lam: float, schedule: str, seed: int) -> RunConfig:
    """The :class:`RunConfig` of one point."""
    return replace(VARIANTS[optimizer], weight_decay=lam, wd_schedule=schedule, seed=seed)


CURVES = ("train_loss", "val_loss", "group_norm/hidden", "group_norm/embed", "group_norm/gains")


def _check_point(point: dict) -> None:
    """A finished run with one value per evaluation in every curve and the window statistics."""
    if point.get("stopped") != "finished":
        raise ValueError(f"stopped is {point.get('stopped')!r}, not 'finished'")
    precomputed.check_curves(point, CURVES)
    names = list(point["matrix_norm"])
    if len(names) != 8 or sorted(point["u_sq"]) != sorted(names):
        raise ValueError("matrix_norm and u_sq must cover the 8 hidden matrices")


def _point_config(optimizer: str, lam: float, schedule: str, seed: int) -> dict:
    return {"run": asdict(config_of(optimizer, lam, schedule, seed)), "data": corpus.FINGERPRINT}


def _as_json(value):
    return json.loads(json.dumps(value))


def spec(seeds=SEEDS) -> precomputed.Spec:
    """The stored sweep for ``seeds`` (the book's file: :data:`STORED`)."""
    return precomputed.Spec(
        name="other_optimizers",
        command="python scripts/sweep_other_optimizers.py",
        threads=THREADS,
        # as JSON has it (tuples as lists), so that the file's config compares equal
        config=_as_json(
            {
                "variants": {name: asdict(config) for name, config in VARIANTS.items()},
                "lambdas": {name: list(lams) for name, lams in LAMBDAS.items()},
                "schedule_runs": [list(run) for run in SCHEDULE_RUNS],
                "seeds": list(seeds),
                "data": corpus.FINGERPRINT,
                "threads": THREADS,
            }
        ),
        axes=("optimizer", "λ", "schedule", "seed"),
        points=_points(seeds),
        check=_check_point,
        point_config=_point_config,
    )


STORED = spec()


def run_point(
    optimizer: str, lam: float, schedule: str, seed: int, threads: int | None = THREADS
) -> dict:
    """One point of the sweep as the file stores it (see :func:`train_run`), trained with
    ``threads`` torch threads (default: the stored runs'; ``None``: as they are)."""
    with cpu_threads(threads):
        return train_run(config_of(optimizer, float(lam), schedule, seed))


@dataclass(frozen=True)
class Sweep(precomputed.Stored):
    """The stored sweep as the chapter reads it."""

    def run(self, optimizer: str, lam: float, seed: int, schedule: str = "constant") -> dict:
        """One stored run."""
        return self.point(optimizer, float(lam), schedule, seed)

    def final(self, optimizer: str, lam: float, key: str = "val_loss", schedule="constant"):
        """The last value of ``key`` (a path such as "group_norm/hidden") for every seed."""
        out = []
        for seed in self.record["config"]["seeds"]:
            value = self.run(optimizer, lam, seed, schedule)
            for part in key.split("/"):
                value = value[part]
            out.append(value[-1])
        return out


def load() -> Sweep:
    """The stored sweep, checked (an error naming the command if it is stale or damaged)."""
    return precomputed.load(STORED, Sweep)


def compare(stored: Sweep, live: dict, point: tuple) -> tuple[float, float, str]:
    """(gap, limit, basis) of the live run's validation-loss curve against the stored one.

    On the machine that made the file (same CPU, kernels, torch and threads) the limit is the
    stored rounding: the run repeats bit for bit. Elsewhere float32 sums round differently and
    training amplifies it; the limit is then the gap between the stored run and the stored runs
    of the other seeds (a measured spread, far larger than any kernel's: see chapter 4).
    """
    reference = stored.point(*point)["val_loss"]
    gap = spreads.relative_gap(live["val_loss"], reference)
    if stored.same_computation():
        return gap, 10.0 ** (1 - stored.spec.digits), "same computation: rounding only"
    optimizer, lam, schedule, seed = point
    others = [
        spreads.relative_gap(stored.point(optimizer, lam, schedule, s)["val_loss"], reference)
        for s in stored.record["config"]["seeds"]
        if s != seed
    ]
    return gap, max(others), "another machine: the largest gap to another seed"
