"""Chapter 5's stored grokking runs: λ × seeds, made once by ``python scripts/sweep_grokking.py``.

Every point is one :func:`helpers.ch5.grokking.train_grokking` run on the CPU with
:data:`THREADS` torch threads, named by its λ and seed (``"λ=1/seed=0"``): every λ of
:data:`LAMBDAS` over the seeds of :data:`SEEDS` (λ = 0.3, the slowest, over
:data:`SLOW_SEEDS` only), each stopping at the first evaluation with 99 % test accuracy or at its
step cap. A point keeps whether and when it grokked and its history, thinned by :data:`THIN`.
``tests/test_grokking.py`` re-runs the first 100 steps of one point and compares.

Introduced in chapter 5 ("Beyond regularization").
"""

from __future__ import annotations

from helpers import precomputed
from helpers.ch5.grokking import HISTORY_KEYS, GrokConfig, train_grokking
from helpers.spreads import Check

SEEDS = (0, 1, 2)
LAMBDAS = (0.0, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)
# λ = 0.3 runs its whole 10,000-step cap without grokking (seed 0: 28 ms a step on a quiet core,
# five times that on the busy machine that made the file), so it is stored for one seed only:
# the slider shows it, and no claim of the chapter rests on it.
SLOW_SEEDS = {0.3: (0,)}
# Step caps: runs with λ < 1 need up to ~10k steps to grok; those with λ ≥ 1 grok well before
# 5000 or (λ = 10) never fit the training set. A run that hits its cap "did not grok".
STEPS = {"lambda<1": 10_000, "lambda>=1": 5000}
NO_DECAY_STEPS = 3000  # λ = 0: no early stopping, this many steps
# Stored histories keep every evaluation up to step 200, then one every 50 steps, and the last.
THIN = {"all_until": 200, "then_every": 50}
# torch threads for making and for re-checking the runs: float32 sums, and so the trajectories,
# depend on it. One thread: on a busy 2-core machine two are ~3× slower.
THREADS = 1


def seeds_of(lam: float) -> tuple[int, ...]:
    """The seeds stored for λ: :data:`SEEDS`, or fewer for the slow λ of :data:`SLOW_SEEDS`."""
    return SLOW_SEEDS.get(lam, SEEDS)


def grok_config(lam: float, seed: int) -> GrokConfig:
    """The configuration of the point (λ, seed)."""
    if lam == 0:
        no_decay = dict(weight_decay=0.0, max_steps=NO_DECAY_STEPS, stop_at_target=False)
        return GrokConfig(**no_decay, seed=seed)
    cap = STEPS["lambda<1" if lam < 1 else "lambda>=1"]
    return GrokConfig(weight_decay=lam, max_steps=cap, seed=seed)


def _points(seeds: tuple[int, ...]) -> tuple[tuple[float, int], ...]:
    """Every (λ, seed) to train, cheapest first: an interrupted sweep has the most to show.

    λ = 1 and λ = 0 over the seeds, then the λ that grok within a few thousand steps, then the
    slow ones (λ < 1, and λ = 10, which never fits its training set) seed by seed.
    """
    slow = [lam for lam in (0.7, 0.5, 10.0, 0.3) if lam in LAMBDAS]
    fast = [1.0, 0.0] + sorted(lam for lam in LAMBDAS if lam not in slow + [1.0, 0.0])
    points = [(lam, seed) for lam in fast for seed in seeds]
    for seed in seeds:
        points += [(lam, seed) for lam in slow if seed in SLOW_SEEDS.get(lam, seeds)]
    return tuple(points)


def thinned(history: dict[str, list]) -> dict[str, list]:
    """Every evaluation up to ``THIN["all_until"]``, then every ``THIN["then_every"]`` steps."""
    steps = history["step"]
    keep = [
        i
        for i, step in enumerate(steps)
        if step <= THIN["all_until"] or step % THIN["then_every"] == 0 or i == len(steps) - 1
    ]
    return {key: [values[i] for i in keep] for key, values in history.items()}


def _check_point(point: dict) -> None:
    """The shape of a stored run: its outcome and a history with one entry per evaluation."""
    if point.get("stopped") not in ("grokked", "max_steps"):
        raise ValueError(f"stopped is {point.get('stopped')!r}, not 'grokked' or 'max_steps'")
    grok_step = point.get("grok_step")
    if grok_step is not None and (isinstance(grok_step, bool) or not isinstance(grok_step, int)):
        raise ValueError(f"grok_step is {grok_step!r}, not a step or null")
    history = point.get("history")
    if not isinstance(history, dict) or set(history) != set(HISTORY_KEYS):
        raise ValueError(f"history must hold exactly {', '.join(HISTORY_KEYS)}")
    lengths = {len(values) for values in history.values()}
    if len(lengths) != 1 or 0 in lengths:
        raise ValueError("the history's lists have different lengths (or none)")


AXES = ("λ", "seed")


def _point_config(lam: float, seed: int) -> dict:
    return {"run": grok_config(lam, seed).to_dict(), "thin": THIN}


def spec(seeds: tuple[int, ...] = SEEDS) -> precomputed.Spec:
    """The stored runs for ``seeds`` (the book's file: :data:`STORED`, the seeds of
    :data:`SEEDS`)."""
    points = _points(tuple(seeds))
    return precomputed.Spec(
        name="grokking",
        command="python scripts/sweep_grokking.py",
        threads=THREADS,
        config={
            "runs": {
                precomputed.point_key(AXES, point): grok_config(*point).to_dict()
                for point in points
            },
            "thin": THIN,
            "threads": THREADS,
        },
        axes=AXES,
        points=points,
        check=_check_point,
        point_config=_point_config,
    )


STORED = spec()
# What a live run is compared on (helpers.spreads): the first 100 steps of λ = 1, seed 0 (the
# test: its losses and weight norm; the accuracies count examples, and one example more or less
# is no measure of rounding), and when that run groks (the chapter).
CHECKS = {
    "first 100 steps": Check(
        point=(1.0, 0),
        series=("history/train_loss", "history/test_loss", "history/weight_norm"),
        until=100,
        steps="history/step",
    ),
    "grok step": Check(point=(1.0, 0), series=("grok_step",)),
}


def run_point(lam: float, seed: int, until: int | None = None) -> dict:
    """Train the point (λ, seed) and return what the file stores for it.

    ``until`` stops after that step (the history up to there is the full run's), as the
    comparisons of :data:`CHECKS` do.
    """
    config = grok_config(lam, seed)
    if until is not None:
        config = GrokConfig(**{**config.to_dict(), "betas": config.betas, "max_steps": until})
    result = train_grokking(config, device="cpu", num_threads=THREADS)
    return {
        "grok_step": result.grok_step,
        "stopped": result.stopped,
        "history": thinned(result.history),
    }


def load() -> precomputed.Stored:
    """The stored runs, checked (an error naming the command if the code's runs changed)."""
    return precomputed.load(STORED)
