"""The learning-rate × weight-decay grid of chapter 2: a small task where weight decay matters.

Introduced in chapter 2 (L2 inside Adam is not weight decay), for its version of Loshchilov &
Hutter's Fig. 2: the final validation loss over a grid of (η, λ) for Adam + L2, PyTorch-style
AdamW and AdamW with independent decay.

The task is built so that regularisation decides the result: 200 training points from four
Gaussian classes in twenty dimensions, a fifth of them with a random label, and a
two-hidden-layer ReLU network with 5,764 parameters, trained full-batch for 400 steps with a
cosine schedule.
At λ = 0 the network memorises the noisy labels and its validation cross-entropy grows; the
right decay keeps it small. Everything is float64 on one CPU thread, so a run (about 0.3 s) is
reproducible to rounding, and the stored grid can be checked by re-running any cell.

The grid is computed by ``python scripts/grid_adam_l2_vs_adamw.py`` and stored by
:func:`helpers.precomputed.make`: one point per run, named by optimizer, η, λ and seed
(``"optimizer=adamw/η=0.001/λ=0.01/seed=1"``, :data:`STORED`). :func:`load` reads it back, checked
(it fails if :class:`GridConfig` changed since), and :meth:`GridStore.grids` arranges it as one
:class:`Grid` of arrays per optimizer.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import NamedTuple

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from helpers import optim, precomputed
from helpers.checks import (
    check_choice,
    check_int,
    check_real,
    check_seed,
    check_tuple,
)
from helpers.param_groups import RULES, param_groups
from helpers.schedules import cosine


def _half_decades(low: int, high: int) -> tuple[float, ...]:
    """10^low, 10^(low+½), …, 10^high: two per decade, so that η·λ_torch lands on the grid of
    λ_independent (the two AdamW grids share runs, up to rounding)."""
    return tuple(10 ** (k / 2) for k in range(2 * low, 2 * high + 1))


@dataclass(frozen=True)
class GridConfig:
    """Everything that decides the stored grid; changing any field means regenerating it."""

    features: int = 20  # d, input dimension
    classes: int = 4  # k, Gaussian classes with centres drawn from N(0, I)
    train_points: int = 200  # N: few, so that the network can memorise them
    val_points: int = 2000  # held-out points for the validation loss
    label_noise: float = 0.2  # fraction of labels (train and validation) replaced at random
    hidden: int = 64  # width of both hidden layers
    steps: int = 400  # T, full-batch steps; η_t = η_0·½(1 + cos(πt/T))
    data_seed: int = 0  # the data set
    init_seeds: tuple[int, ...] = (1, 2, 3)  # one run per initialisation; the grid averages them
    decay_rule: str = "nanogpt"  # which tensors decay (helpers.param_groups.param_groups): matrices
    lrs: tuple[float, ...] = _half_decades(-4, -1)  # η_0, rows of the grid
    # λ in PyTorch's units, for Adam + L2 and AdamW alike (the same `weight_decay` argument)
    lambdas: tuple[float, ...] = (0.0, *_half_decades(-3, 2))
    # λ for AdamW(independent=True): a fraction per step at s_t = 1, so about η_0 times smaller
    lambdas_independent: tuple[float, ...] = (0.0, *_half_decades(-6, 0))
    threads: int = 1  # torch.set_num_threads while computing (results depend on it at rounding)

    def __post_init__(self):
        positive = dict(check=check_real, low=0, low_open=True)
        checked = dict(
            features=check_int("features", self.features, low=1),
            classes=check_int("classes", self.classes, low=2),
            train_points=check_int("train_points", self.train_points, low=1),
            val_points=check_int("val_points", self.val_points, low=1),
            label_noise=check_real("label_noise", self.label_noise, low=0, high=1),
            hidden=check_int("hidden", self.hidden, low=1),
            steps=check_int("steps", self.steps, low=1),
            data_seed=check_seed("data_seed", self.data_seed),
            init_seeds=check_tuple("init_seeds", self.init_seeds, check_seed),
            decay_rule=check_choice("decay_rule", self.decay_rule, RULES),
            lrs=check_tuple("lrs", self.lrs, **positive),
            lambdas=check_tuple("lambdas", self.lambdas, check_real, low=0),
            lambdas_independent=check_tuple(
                "lambdas_independent", self.lambdas_independent, check_real, low=0
            ),
            threads=check_int("threads", self.threads, low=1),
        )
        for name, value in checked.items():  # plain Python types: asdict() is JSON-ready
            object.__setattr__(self, name, value)


OPTIMIZERS = ("adam_l2", "adamw", "adamw_independent")
LABELS = {
    "adam_l2": "Adam + L2",
    "adamw": "AdamW (PyTorch)",
    "adamw_independent": "AdamW (independent)",
}


def lambdas_of(config: GridConfig, name: str) -> tuple[float, ...]:
    """The λ axis of optimizer ``name``'s grid."""
    _check_name(name)
    return config.lambdas_independent if name == "adamw_independent" else config.lambdas


def _check_name(name: str) -> None:
    check_choice("optimizer", name, OPTIMIZERS)


class GridData(NamedTuple):
    x_train: torch.Tensor  # (N, d) float64
    y_train: torch.Tensor  # (N,) class indices
    x_val: torch.Tensor
    y_val: torch.Tensor


def make_data(config: GridConfig = GridConfig()) -> GridData:
    """The seeded data set: Gaussian classes, then ``label_noise`` of the labels randomised."""
    gen = torch.Generator().manual_seed(config.data_seed)
    n = config.train_points + config.val_points
    centres = torch.randn(config.classes, config.features, generator=gen, dtype=torch.float64)
    labels = torch.randint(config.classes, (n,), generator=gen)
    x = centres[labels] + torch.randn(n, config.features, generator=gen, dtype=torch.float64)
    noisy = torch.rand(n, generator=gen, dtype=torch.float64) < config.label_noise
    labels = torch.where(noisy, torch.randint(config.classes, (n,), generator=gen), labels)
    cut = config.train_points
    return GridData(x[:cut], labels[:cut], x[cut:], labels[cut:])


def make_model(config: GridConfig, seed: int) -> nn.Sequential:
    """d → hidden → hidden → k, ReLU, float64, initialised from ``seed``."""
    torch.manual_seed(check_seed("seed", seed))
    d, h, k = config.features, config.hidden, config.classes
    model = nn.Sequential(nn.Linear(d, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, k))
    return model.double()


def make_optimizer(name: str, groups: list[dict], lr: float) -> optim.Adam:
    """Adam + L2, PyTorch-style AdamW or AdamW with independent decay, from ``helpers.optim``."""
    _check_name(name)
    if name == "adam_l2":
        return optim.Adam(groups, lr=lr)
    return optim.AdamW(groups, lr=lr, independent=name == "adamw_independent")


class Run(NamedTuple):
    train_loss: float  # cross-entropy on the training set after the last step (nan if diverged)
    val_loss: float  # cross-entropy on the validation set after the last step (nan if diverged)
    steps: int  # steps taken: config.steps, or fewer if the loss stopped being finite


def train(
    config: GridConfig,
    data: GridData,
    name: str,
    lr: float,
    lam: float,
    seed: int,
    steps: int | None = None,
) -> tuple[nn.Sequential, optim.Adam, Run]:
    """Train one grid cell; return the model, its optimizer and the final losses.

    ``steps`` (default ``config.steps``) can stop the cosine schedule early, for the chapter's
    histogram of effective decay. A run whose training loss stops being finite stops there and
    reports nan losses (PyTorch's AdamW diverges when η·λ > 2: the shrink 1 − η·λ flips sign).
    """
    total = config.steps if steps is None else check_int("steps", steps, low=1, high=config.steps)
    _check_name(name)
    lr = check_real("lr", lr, low=0, low_open=True)
    lam = check_real("lam", lam, low=0)
    model = make_model(config, seed)
    groups = param_groups(model, lam, rule=config.decay_rule)
    optimizer = make_optimizer(name, groups, lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: cosine(t, config.steps))
    for step in range(total):
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(data.x_train), data.y_train)
        if not math.isfinite(loss.item()):
            return model, optimizer, Run(math.nan, math.nan, step)
        loss.backward()
        optimizer.step()
        schedule.step()
    with torch.no_grad():
        train_loss = F.cross_entropy(model(data.x_train), data.y_train).item()
        val_loss = F.cross_entropy(model(data.x_val), data.y_val).item()
    if not (math.isfinite(train_loss) and math.isfinite(val_loss)):
        return model, optimizer, Run(math.nan, math.nan, total)
    return model, optimizer, Run(train_loss, val_loss, total)


def _points(config: GridConfig) -> tuple[tuple[str, float, float, int], ...]:
    """Every run of the grid as (optimizer, η, λ, seed)."""
    return tuple(
        (name, lr, lam, seed)
        for name in OPTIMIZERS
        for lr in config.lrs
        for lam in lambdas_of(config, name)
        for seed in config.init_seeds
    )


def _check_point(point: dict) -> None:
    """A run's final losses, both numbers or both null (diverged), and the steps it took."""
    losses = [point.get("train_loss"), point.get("val_loss")]
    if not (all(v is None for v in losses) or all(isinstance(v, (int, float)) for v in losses)):
        raise ValueError(f"train_loss and val_loss must be two numbers or two nulls, got {losses}")
    if isinstance(point.get("steps"), bool) or not isinstance(point.get("steps"), int):
        raise ValueError(f"steps must be an integer, got {point.get('steps')!r}")


def spec(config: GridConfig = GridConfig()) -> precomputed.Spec:
    """The stored grid for ``config`` (the book's file: :data:`STORED`, the default config)."""
    return precomputed.Spec(
        name="grid_adam_l2_vs_adamw",
        command="python scripts/grid_adam_l2_vs_adamw.py",
        threads=config.threads,
        config=asdict(config),
        axes=("optimizer", "η", "λ", "seed"),
        points=_points(config),
        digits=12,  # float64 runs: keep them close to what was computed
        check=_check_point,
    )


STORED = spec()


def run_point(name: str, lr: float, lam: float, seed: int) -> dict:
    """Train one run of the stored grid (the data and model of the default :class:`GridConfig`)
    and return what the file stores for it: final losses (null if it diverged) and steps."""
    config = GridConfig()
    run = train(config, make_data(config), name, lr, lam, seed)[2]
    return {"train_loss": run.train_loss, "val_loss": run.val_loss, "steps": run.steps}


class Grid(NamedTuple):
    """One optimizer's stored grid: losses shaped (lrs, λs, seeds), nan where a run diverged."""

    name: str
    lrs: np.ndarray
    lambdas: np.ndarray
    val_loss: np.ndarray
    train_loss: np.ndarray

    @property
    def mean_val(self) -> np.ndarray:
        """Validation loss averaged over seeds, shaped (lrs, λs); nan if any seed diverged."""
        return self.val_loss.mean(axis=-1)


@dataclass(frozen=True)
class GridStore(precomputed.Stored):
    """The stored grid: its runs by key, and :meth:`grids`, the arrays the chapter plots."""

    def grids(self) -> dict[str, Grid]:
        """One :class:`Grid` per optimizer: losses shaped (η, λ, seeds), nan where diverged."""
        config = GridConfig(**{**self.record["config"], **_tuples(self.record["config"])})
        grids = {}
        for name in OPTIMIZERS:
            lambdas = lambdas_of(config, name)
            table = {
                key: np.array(
                    [
                        [
                            [self.point(name, lr, lam, seed)[key] for seed in config.init_seeds]
                            for lam in lambdas
                        ]
                        for lr in config.lrs
                    ],
                    dtype=float,  # null (a diverged run) becomes nan
                )
                for key in ("val_loss", "train_loss")
            }
            lrs, lams = np.array(config.lrs), np.array(lambdas)
            grids[name] = Grid(name, lrs, lams, table["val_loss"], table["train_loss"])
        return grids


def _tuples(config: dict) -> dict:
    """The tuple fields of :class:`GridConfig`, which JSON stores as lists."""
    return {key: tuple(value) for key, value in config.items() if isinstance(value, list)}


def load() -> GridStore:
    """The stored grid, checked (an error naming the command if :class:`GridConfig` changed
    since it was made, or the file is damaged)."""
    return precomputed.load(STORED, GridStore)


class Best(NamedTuple):
    lr: float
    lam: float
    val_loss: float


def best_cell(grid: Grid, positive: bool = False) -> Best:
    """The (η, λ) with the lowest seed-averaged validation loss (``positive``: among λ > 0)."""
    losses = np.where(np.isnan(grid.mean_val), np.inf, grid.mean_val)
    if positive:
        losses = np.where(grid.lambdas[None, :] > 0, losses, np.inf)
    if not np.isfinite(losses).any():
        raise ValueError(
            f"{grid.name}: no cell{' with λ > 0' if positive else ''} has a finite validation "
            "loss (every run diverged), so there is no best cell"
        )
    i, j = np.unravel_index(np.argmin(losses), losses.shape)
    return Best(float(grid.lrs[i]), float(grid.lambdas[j]), float(losses[i, j]))


def best_lambda_per_lr(grid: Grid) -> np.ndarray:
    """For each row η, the λ > 0 with the lowest validation loss (nan if λ = 0 beats them all)."""
    losses = np.where(np.isnan(grid.mean_val), np.inf, grid.mean_val)
    best = np.argmin(losses[:, 1:], axis=1) + 1
    beaten_by_zero = losses[np.arange(len(best)), best] >= losses[:, 0]
    return np.where(beaten_by_zero, np.nan, grid.lambdas[best])


def basin_slope(grid: Grid) -> float:
    """The slope of log λ*(η) against log η, least squares over the rows where decay helps.

    About −1: the good λ falls as the learning rate rises, keeping η·λ fixed (a diagonal
    basin). About 0: the best λ does not depend on η (a basin aligned with the axes).
    """
    best = best_lambda_per_lr(grid)
    keep = ~np.isnan(best)
    if keep.sum() < 2:
        raise ValueError("basin_slope needs at least two rows where some λ > 0 beats λ = 0")
    slope, _ = np.polyfit(np.log10(grid.lrs[keep]), np.log10(best[keep]), 1)
    return float(slope)
