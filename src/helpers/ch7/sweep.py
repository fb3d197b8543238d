"""Chapter 7's stored λ sweeps: at three data sizes, three batch sizes at fixed η, and three batch
sizes with η ∝ √B.

Trained once by

    python scripts/sweep_scaling.py

and stored in ``helpers/data/scaling_sweep.json`` by :func:`helpers.precomputed.make`. A point is
one setting (N, B, η), named ``"N=1024/B=32/lr=0.001"``; it trains every λ of its grid over
:data:`SEEDS` at once (:func:`helpers.ch7.ensemble.train_stack`, one torch thread). Each
setting's λ grid is λ = B/(η·N·τ_epoch) for τ_epoch in :data:`TAU_EPOCHS`, plus λ = 0: the same
τ_epoch values in every setting, so if the τ_epoch rule holds the best grid point is the same
in every setting, and if it does not the optimum still lies inside the grid (the pilot runs put
the best τ_epoch between 1.8 and 3.3).

Introduced in chapter 7 (how λ should scale).
"""

from __future__ import annotations

import math
from dataclasses import asdict, replace

from helpers import precomputed
from helpers.ch7.ensemble import Setting, Task, train_stack
from helpers.checks import check_int, check_real

THREADS = 1  # torch threads of every stored run
SEEDS = (0, 1, 2, 3, 4)  # every setting over these seeds
# τ_epoch = B/(ηλN) of the grid: ×√2 apart from 0.5 to 8 epochs
TAU_EPOCHS = tuple(2.0 ** (k / 2) for k in range(-2, 7))
TASK = Task()
BASE = Setting(train_samples=1024, batch_size=32, lr=1e-3, seeds=SEEDS)
DATA_SIZES = (512, 1024, 2048, 4096)  # the N sweep, at B = 32 and η = 1e-3
BATCH_SIZES = (32, 64, 128)  # the B sweeps, at N = 1024
# The three sweeps: name → the (N, B, η) of each of its settings.
SWEEPS = {
    "data": tuple((n, BASE.batch_size, BASE.lr) for n in DATA_SIZES),
    "batch": tuple((BASE.train_samples, b, BASE.lr) for b in BATCH_SIZES),
    # η ∝ √B, the square-root rule for Adam (an assumption of this sweep, not a result)
    "batch_sqrt_lr": tuple(
        (BASE.train_samples, b, round(BASE.lr * math.sqrt(b / BASE.batch_size), 8))
        for b in BATCH_SIZES
    ),
}


def lambda_grid(train_samples: int, batch_size: int, lr: float) -> tuple[float, ...]:
    """λ = 0, then λ = B/(η·N·τ_epoch) for each τ_epoch of :data:`TAU_EPOCHS` (rising λ)."""
    grid = sorted(batch_size / (lr * train_samples * tau) for tau in TAU_EPOCHS)
    return (0.0, *(round(lam, 8) for lam in grid))


def setting(train_samples: int, batch_size: int, lr: float) -> Setting:
    """The :class:`Setting` of one stored point."""
    train_samples = check_int("train_samples", train_samples, low=1)
    lr = check_real("lr", lr, low=0, low_open=True)
    lambdas = lambda_grid(train_samples, batch_size, lr)
    return replace(BASE, train_samples=train_samples, batch_size=batch_size, lr=lr, lambdas=lambdas)


def _points() -> tuple[tuple[int, int, float], ...]:
    unique = []
    for points in SWEEPS.values():
        unique += [p for p in points if p not in unique]
    # the longest runs first: T = E·N/B
    return tuple(sorted(unique, key=lambda p: -p[0] / p[1]))


def _check_point(point: dict) -> None:
    """The shape of a stored setting: every (λ, seed) run with one loss per evaluation."""
    n = len(point["step"])
    for run in point["runs"]:
        for key in ("test_loss", "train_loss"):
            if len(run[key]) != n:
                raise ValueError(f"run λ={run['lam']}, seed={run['seed']}: {key} is cut short")


def spec(seeds: tuple[int, ...] = SEEDS) -> precomputed.Spec:
    """The stored sweeps over ``seeds`` (the book's file: :data:`STORED`)."""
    return precomputed.Spec(
        name="scaling_sweep",
        command="python scripts/sweep_scaling.py",
        threads=THREADS,
        config={
            "task": asdict(TASK),
            "base": {**asdict(BASE), "lambdas": None, "seeds": list(seeds)},
            "tau_epochs": list(TAU_EPOCHS),
            "sweeps": {name: [list(p) for p in points] for name, points in SWEEPS.items()},
            "threads": THREADS,
        },
        axes=("N", "B", "lr"),
        points=_points(),
        check=_check_point,
    )


STORED = spec()


def run_point(
    train_samples: int, batch_size: int, lr: float, seeds: tuple[int, ...] = SEEDS
) -> dict:
    """One stored setting: every (λ, seed) run of its grid, trained as one stack. Each run's
    numbers do not depend on which other seeds share the stack (one seed alone repeats its
    stored runs: tests/test_ch7_sweep.py)."""
    chosen = replace(setting(train_samples, batch_size, lr), seeds=tuple(seeds))
    return train_stack(TASK, chosen)


def finals(point: dict) -> dict[tuple[float, int], float]:
    """(λ, seed) → final test loss of a setting's runs, λ as the file keeps it (6 significant
    digits), so that a live run and the stored one share keys."""
    return {
        (precomputed.rounded(run["lam"], STORED.digits), run["seed"]): run["test_loss"][-1]
        for run in point["runs"]
    }


class Sweep(precomputed.Stored):
    """The stored sweeps as the chapter reads them."""

    def runs(self, train_samples: int, batch_size: int, lr: float) -> list[dict]:
        """The runs of one setting: dicts with lam, seed, test_loss, train_loss (curves)."""
        return self.point(train_samples, batch_size, lr)["runs"]

    def final_losses(self, train_samples: int, batch_size: int, lr: float):
        """(λ grid without 0, seeds, final test loss [seed][λ], final loss at λ = 0 by seed)."""
        runs = self.runs(train_samples, batch_size, lr)
        lams = sorted({r["lam"] for r in runs if r["lam"] > 0})
        seeds = sorted({r["seed"] for r in runs})
        final = {(r["lam"], r["seed"]): r["test_loss"][-1] for r in runs}
        table = [[final[(lam, s)] for lam in lams] for s in seeds]
        return lams, seeds, table, [final[(0.0, s)] for s in seeds]


# The live check: the smallest data size re-trained for three seeds (about 10–30 s).
LIVE_SETTING = (512, 32, 1e-3)
LIVE_SEEDS = (0, 1, 2)
# How far a live run on another CPU may be from the file, measured on the machine that made it
# by running ``python -c "from helpers.ch7 import sweep; print(sweep.live_gap())"`` under other
# kernels (ATEN_CPU_CAPABILITY=default ONEDNN_MAX_CPU_ISA=SSE41; ATEN_CPU_CAPABILITY=avx2) and
# with 2 threads. Under default-SSE41: final test loss 0.0163 nats, best λ ln-ratio 0.029
# (λ* 20.18 against 19.60). AVX2 and 2 threads repeat the stored numbers up to their rounding
# (5e-6). The limits are twice the largest gaps (helpers.spreads.MARGIN: a new machine is one
# more sample of the spread).
OTHER_KERNEL_LOSS = 2 * 0.0163
OTHER_KERNEL_LAMBDA = 2 * 0.029  # |ln(live λ*/stored λ*)| per seed


def live_gap(stored: Sweep | None = None) -> dict:
    """Re-train :data:`LIVE_SETTING` for :data:`LIVE_SEEDS`; the largest gap to the stored
    final test losses (nats), the largest |ln(live λ*/stored λ*)| over seeds, and the live
    run's best λ per seed."""
    from helpers.ch7 import optimum

    stored = load() if stored is None else stored
    live = finals(run_point(*LIVE_SETTING, seeds=LIVE_SEEDS))
    kept = finals(stored.point(*LIVE_SETTING))
    lams = sorted({lam for lam, _ in live if lam > 0})
    live_best = [optimum.best_lambda(lams, [live[(lam, s)] for lam in lams])[0] for s in LIVE_SEEDS]
    kept_best = optimum.best_per_seed(stored, LIVE_SETTING)[: len(LIVE_SEEDS)]
    return {
        "loss_gap": max(abs(value - kept[key]) for key, value in live.items()),
        "lambda_gap": max(abs(math.log(a / b)) for a, b in zip(live_best, kept_best, strict=True)),
        "best_lambda": live_best,
    }


def load() -> Sweep:
    """The stored sweeps, checked (an error naming the command if the code changed)."""
    return precomputed.load(STORED, Sweep)
