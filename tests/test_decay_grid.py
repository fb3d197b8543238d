"""Chapter 2's stored lr × λ grid: current, reproducible, and analysed correctly."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from helpers.ch2 import grid as decay_grid
from helpers.ch2.grid import Grid, GridConfig

CONFIG = GridConfig()


@pytest.fixture(autouse=True, scope="module")
def grid_threads():
    """The grid was computed with config.threads torch threads; re-runs must use as many."""
    threads = torch.get_num_threads()
    torch.set_num_threads(CONFIG.threads)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def stored():
    return decay_grid.load()


@pytest.fixture(scope="module")
def grids(stored):
    return stored.grids()


def test_stored_grid_matches_the_configuration_in_code(stored, grids):
    assert stored.record["command"] == decay_grid.STORED.command
    assert stored.made_on["threads"] == CONFIG.threads
    assert len(stored.points) == 798
    for name, grid in grids.items():
        shape = (len(CONFIG.lrs), len(decay_grid.lambdas_of(CONFIG, name)), len(CONFIG.init_seeds))
        assert grid.val_loss.shape == grid.train_loss.shape == shape
    assert min(len(CONFIG.lrs), len(CONFIG.lambdas), len(CONFIG.lambdas_independent)) >= 6


def test_a_changed_configuration_is_stale(monkeypatch):
    monkeypatch.setattr(decay_grid, "STORED", decay_grid.spec(replace(CONFIG, steps=401)))
    with pytest.raises(ValueError, match="regenerate it with: python scripts/grid_adam_l2"):
        decay_grid.load()


@pytest.mark.parametrize(
    "name, lr_index, lam_index",
    [("adam_l2", 3, 5), ("adamw", 2, 9), ("adamw_independent", 4, 8)],
)
def test_rerunning_a_cell_reproduces_the_stored_losses(grids, name, lr_index, lam_index):
    """Float64 runs: the same to about 1e-12 on any CPU (measured: Xeon vs AMD EPYC)."""
    seed = CONFIG.init_seeds[0]
    lr, lam = CONFIG.lrs[lr_index], decay_grid.lambdas_of(CONFIG, name)[lam_index]
    run = decay_grid.run_point(name, lr, lam, seed)
    stored = grids[name]
    np.testing.assert_allclose(run["val_loss"], stored.val_loss[lr_index, lam_index, 0], rtol=1e-9)
    np.testing.assert_allclose(
        run["train_loss"], stored.train_loss[lr_index, lam_index, 0], rtol=1e-9
    )


def test_lambda_zero_is_the_same_plain_adam_in_every_grid(grids):
    zero = [g.val_loss[:, 0] for g in grids.values()]
    assert all(g.lambdas[0] == 0 for g in grids.values())
    np.testing.assert_array_equal(zero[0], zero[1])
    np.testing.assert_array_equal(zero[0], zero[2])


def test_the_data_are_seeded_and_noisy():
    a, b = decay_grid.make_data(CONFIG), decay_grid.make_data(CONFIG)
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    assert a.x_train.shape == (CONFIG.train_points, CONFIG.features)
    assert a.x_train.dtype == torch.float64
    assert sorted(a.y_val.unique().tolist()) == list(range(CONFIG.classes))


def test_a_diverging_run_stops_and_reports_nan():
    """PyTorch's AdamW with η·λ > 2 flips the sign of θ and grows it every step."""
    data = decay_grid.make_data(CONFIG)
    _, _, run = decay_grid.train(CONFIG, data, "adamw", lr=0.1, lam=100.0, seed=1)
    assert np.isnan(run.val_loss) and np.isnan(run.train_loss)
    assert run.steps < CONFIG.steps


def test_unknown_optimizer_is_refused():
    with pytest.raises(ValueError, match="optimizer must be one of .adam_l2., .adamw."):
        decay_grid.lambdas_of(CONFIG, "sgd")


def synthetic(best_lambda) -> Grid:
    """A grid whose loss is smallest at λ = best_lambda(η) in every row."""
    lrs, lambdas = np.logspace(-4, -1, 7), np.array([0.0, *np.logspace(-3, 3, 13)])
    log_lam = np.log10(np.where(lambdas > 0, lambdas, 1e-9))
    loss = (log_lam[None, :] - np.log10(best_lambda(lrs))[:, None]) ** 2 + 1.0
    loss[:, 0] = 50.0
    loss = np.repeat(loss[..., None], 2, axis=-1)
    return Grid("adamw", lrs, lambdas, loss, loss)


def test_basin_slope_tells_a_diagonal_from_an_axis_aligned_basin():
    diagonal = synthetic(lambda lr: 1e-2 / lr)  # η·λ = 10⁻²
    aligned = synthetic(lambda lr: np.full_like(lr, 10.0))
    assert decay_grid.basin_slope(diagonal) == pytest.approx(-1.0, abs=1e-9)
    assert decay_grid.basin_slope(aligned) == pytest.approx(0.0, abs=1e-9)
    best = decay_grid.best_cell(aligned)
    assert best.lam == pytest.approx(10.0) and best.val_loss == pytest.approx(1.0)


def test_best_cell_skips_diverged_runs_and_can_exclude_lambda_zero():
    grid = synthetic(lambda lr: np.full_like(lr, 10.0))
    grid.val_loss[0, 7] = np.nan  # the best cell of row 0 diverged in one seed
    grid.val_loss[:, 0] = 0.5  # λ = 0 now wins
    assert decay_grid.best_cell(grid).lam == 0.0
    assert decay_grid.best_cell(grid, positive=True).lam == pytest.approx(10.0)
    assert np.isnan(decay_grid.best_lambda_per_lr(grid)).all()
    with pytest.raises(ValueError, match="at least two rows"):
        decay_grid.basin_slope(grid)


def test_best_lambda_per_lr_is_each_rows_own_minimum():
    grid = synthetic(lambda lr: 1e-2 / lr)  # λ* = 1e-2/η, on the λ axis in every row
    expected = 1e-2 / grid.lrs
    np.testing.assert_allclose(decay_grid.best_lambda_per_lr(grid), expected, rtol=1e-12)
    grid.val_loss[2, 0] = 0.5  # row 2: λ = 0 beats every λ > 0
    grid.val_loss[3, 1:] = np.nan  # row 3: every decayed run diverged
    best = decay_grid.best_lambda_per_lr(grid)
    assert np.isnan(best[2]) and np.isnan(best[3])
    rest = [0, 1, 4, 5, 6]
    np.testing.assert_allclose(best[rest], expected[rest], rtol=1e-12)


def test_best_cell_of_a_grid_where_every_run_diverged_is_an_error():
    grid = synthetic(lambda lr: np.full_like(lr, 10.0))
    grid.val_loss[:, 1:] = np.nan
    assert decay_grid.best_cell(grid).lam == 0.0
    with pytest.raises(ValueError, match="no cell with λ > 0 has a finite validation loss"):
        decay_grid.best_cell(grid, positive=True)
    grid.val_loss[:] = np.nan
    with pytest.raises(ValueError, match="every run diverged"):
        decay_grid.best_cell(grid)


def test_train_refuses_a_step_count_outside_the_schedule():
    data = decay_grid.make_data(CONFIG)
    for steps in (-5, 0, CONFIG.steps + 1, 2.5):
        with pytest.raises(ValueError, match=r"steps must be an integer in \[1, 400\]"):
            decay_grid.train(CONFIG, data, "adamw", 1e-3, 0.1, seed=1, steps=steps)
