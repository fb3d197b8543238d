"""Chapter 6's stored runs: λ × seeds, each a constant-lr run and its WSD twin, made once by
``python scripts/sweep_one_pass.py``.

Every point is named by its λ and seed (``"λ=0.3/seed=0"``) and holds two runs of
:data:`CONFIG` with that λ: ``"constant"`` and ``"wsd"`` (branched from the same run where the
cooldown starts, :func:`helpers.ch6.onepass.constant_and_wsd`). The points with
λ = :data:`CONTROL_LAMBDA` hold a third, ``"control"``: λ = 0 with each decayed tensor's
learning rate set to follow that point's WSD run's norm (the effective learning rate without the
decay). Every run uses :data:`THREADS` torch threads on the CPU. ``tests/test_ch6_onepass.py``
re-runs the start of one point and compares.

Introduced in chapter 6 (One pass over the data).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from helpers import precomputed, spreads
from helpers.ch6.onepass import OnePassConfig, Trainer, constant_and_wsd, train_one_pass
from helpers.checks import check_choice, check_int, check_real

THREADS = 1  # torch threads of every stored run and of the runs compared with them
SEEDS = (0, 1, 2)
LAMBDAS = (0.0, 0.1, 0.3, 1.0)  # the slider's values; τ = 1/(ηλ) from 1,250 steps to 125
CONTROL_LAMBDA = 1.0  # the decayed run the control copies (the largest effect)
CONFIG = OnePassConfig()  # η = 8e-3, 2,000 steps of 16 × 32 fresh tokens, warmup 100
RUNS = ("constant", "wsd", "control")
# what a stored run keeps: every evaluation; every NORM_THIN-th norm record, and the angle per
# step and η_eff averaged over the records in between
CURVES = ("step", "lr_mult", "held_out", "excess", "recent_excess")
NORM_CURVES = ("norm_step", "norm", "angle", "eta_eff")
NORM_THIN = 5  # keep every 5th norm record (every 50 steps)
AXES = ("λ", "seed")


def config(lam: float, seed: int, schedule: str = "constant") -> OnePassConfig:
    """The configuration of one run of the point (λ, seed)."""
    lam = check_real("lam", lam, low=0, high=1000)
    seed = check_int("seed", seed, low=0, high=1000)
    return replace(CONFIG, weight_decay=lam, seed=seed, schedule=schedule)


def kept(history: dict) -> dict:
    """What the file stores of a run: its curves (norm records thinned) and its counts."""
    out = {key: history[key] for key in CURVES}
    for key in ("norm_step", "norm"):
        out[key] = history[key][::NORM_THIN]
    for key in ("angle", "eta_eff"):  # the mean of the records since the last one kept
        values = history[key]
        out[key] = [
            float(np.mean(values[max(0, i - NORM_THIN + 1) : i + 1]))
            for i in range(0, len(values), NORM_THIN)
        ]
    for key in ("passes", "train_tokens", "held_out_floor", "stopped"):
        out[key] = history[key]
    return out


def run_point(lam: float, seed: int, until: int | None = None) -> dict:
    """Train the point (λ, seed) and return what the file stores for it.

    ``until`` trains only the first ``until`` steps of the constant run (its history up to there
    is the full run's): what the chapter and the test re-run live.
    """
    if until is not None:
        until = check_int("until", until, low=1, high=CONFIG.steps)
        trainer = Trainer(config(lam, seed))
        trainer.train_until(until)
        return {"constant": kept(trainer.finish())}
    constant, wsd = constant_and_wsd(config(lam, seed))
    point = {"constant": kept(constant), "wsd": kept(wsd)}
    if lam == CONTROL_LAMBDA:
        point["control"] = kept(train_one_pass(config(lam, seed, "wsd"), match=wsd))
    return point


def _check_point(point: dict) -> None:
    for run, history in point.items():
        check_choice("run", run, RUNS)
        if history["stopped"] != "finished":
            raise ValueError(f"{run}: {history['stopped']}")
        precomputed.check_curves(history, CURVES[1:], steps="step")
        precomputed.check_curves(history, NORM_CURVES[1:], steps="norm_step")


def spec(seeds: tuple[int, ...] = SEEDS) -> precomputed.Spec:
    """The stored runs for ``seeds`` (the book's file: :data:`STORED`)."""
    points = tuple((lam, seed) for seed in seeds for lam in LAMBDAS)
    return precomputed.Spec(
        name="one_pass",
        command="python scripts/sweep_one_pass.py",
        threads=THREADS,
        config={
            "run": CONFIG.to_dict(),
            "lambdas": list(LAMBDAS),
            "control_lambda": CONTROL_LAMBDA,
            "norm_thin": NORM_THIN,
            "threads": THREADS,
        },
        axes=AXES,
        points=points,
        check=_check_point,
        point_config=lambda lam, seed: {
            "run": config(lam, seed).to_dict(),
            "control": lam == CONTROL_LAMBDA,
            "norm_thin": NORM_THIN,
        },
    )


STORED = spec()


def load() -> precomputed.Stored:
    """The stored runs, checked (an error naming the command if the code's runs changed)."""
    return precomputed.load(STORED)


def final(stored: precomputed.Stored, run: str, key: str = "excess") -> dict[float, np.ndarray]:
    """Per λ: the last value of ``key`` of run ``run`` ("constant", "wsd"), one per seed."""
    seeds = sorted({seed for _, seed in stored.spec.points})
    return {
        lam: np.array([stored.point(lam, seed)[run][key][-1] for seed in seeds]) for lam in LAMBDAS
    }


COMPARED = ("excess", "norm")  # what a live run is compared on (held-out loss, weight norm)


def _until(run: dict, until: int) -> dict[str, list]:
    n_eval = sum(step <= until for step in run["step"])
    n_norm = sum(step <= until for step in run["norm_step"])
    return {"excess": run["excess"][:n_eval], "norm": run["norm"][:n_norm]}


def compare(stored: precomputed.Stored, live: dict, lam: float, seed: int, until: int) -> dict:
    """How far the live constant run (``run_point(lam, seed, until=until)``) is from the stored
    one, up to step ``until``: per compared value, the largest relative gap and its limit.

    Where the computation is the same (:meth:`helpers.precomputed.Stored.same_computation`) the
    limit is the stored rounding; elsewhere it is the gap between the stored runs of two other
    seeds at the same steps (measured from the file): another CPU must not move a run further
    than a change of seed does. Raises AssertionError naming what is out of its limit.
    """
    mine = _until(live["constant"], until)
    stored_run = _until(stored.point(lam, seed)["constant"], until)
    same = stored.same_computation()
    others = [s for s in seeds_in(stored) if s != seed][:2]
    seed_runs = [_until(stored.point(lam, s)["constant"], until) for s in others]
    out = {}
    for key in COMPARED:
        gap = spreads.relative_gap(mine[key], stored_run[key])
        if same:
            limit, basis = 10.0 ** (1 - stored.spec.digits), "same computation: rounding only"
        else:
            limit = spreads.relative_gap(seed_runs[0][key][1:], seed_runs[1][key][1:])
            basis = f"the gap between seeds {others[0]} and {others[1]}"
        out[key] = {"gap": gap, "limit": limit, "basis": basis}
    failed = {key: v for key, v in out.items() if v["gap"] > v["limit"]}
    assert not failed, f"live run vs stored, λ = {lam:g}, seed {seed}: {failed}"
    return out


def seeds_in(stored: precomputed.Stored) -> list[int]:
    """The seeds of the stored points."""
    return sorted({seed for _, seed in stored.spec.points})
