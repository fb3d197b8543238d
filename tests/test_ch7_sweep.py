"""Chapter 7's stored sweeps, the stacked AdamW, the optimum finder, the figures and the
recipes table."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from helpers.ch7 import ensemble, figures, optimum, recipes, sweep

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def stored():
    return sweep.load()


def test_stacked_adamw_matches_torch_adamw_per_model_in_float64():
    torch.manual_seed(0)
    lams = [0.0, 0.3, 2.0]
    theta = torch.randn(3, 4, 5, dtype=torch.float64)
    mine = theta.clone()
    refs = [torch.nn.Parameter(theta[k].clone()) for k in range(3)]
    opts = [
        torch.optim.AdamW([p], lr=1e-2, weight_decay=lam) for p, lam in zip(refs, lams, strict=True)
    ]
    m, v = [torch.zeros_like(mine)], [torch.zeros_like(mine)]
    lam = torch.tensor(lams, dtype=torch.float64).view(3, 1, 1)
    for t in range(1, 21):
        grads = torch.randn(3, 4, 5, dtype=torch.float64)
        ensemble.stacked_adamw_step([(mine, lam)], [grads], m, v, t, 1e-2, 0.9, 0.999, 1e-8)
        for k, (p, opt) in enumerate(zip(refs, opts, strict=True)):
            p.grad = grads[k].clone()
            opt.step()
    for k, p in enumerate(refs):
        torch.testing.assert_close(mine[k], p.detach(), rtol=1e-12, atol=1e-14)


def test_a_run_does_not_depend_on_the_other_runs_in_its_stack():
    from dataclasses import replace

    small = replace(sweep.setting(512, 32, 1e-3), epochs=2, n_evals=1)
    alone = ensemble.train_stack(sweep.TASK, replace(small, seeds=(1,), lambdas=(15.625,)))
    stacked = ensemble.train_stack(sweep.TASK, replace(small, seeds=(0, 1, 2)))
    run = next(r for r in stacked["runs"] if r["lam"] == 15.625 and r["seed"] == 1)
    assert alone["runs"][0]["test_loss"] == run["test_loss"]


def test_the_stored_file_has_every_setting_seed_and_lambda(stored):
    for key, point in stored.points.items():
        assert len(point["runs"]) == len(sweep.SEEDS) * (len(sweep.TAU_EPOCHS) + 1), key
    grid = sweep.lambda_grid(512, 32, 1e-3)
    assert grid[0] == 0.0 and len(grid) == len(sweep.TAU_EPOCHS) + 1
    # ×√2 apart: the τ_epoch grid from 8 down to 0.5 epochs
    assert np.allclose(np.diff(np.log(grid[1:])), math.log(2) / 2)


def test_one_stored_point_repeats(stored):
    # the cheapest setting, one seed (a run does not depend on its stack: test above)
    setting = (1024, 128, 0.002)
    live = sweep.finals(sweep.run_point(*setting, seeds=(0,)))
    kept = sweep.finals(stored.point(*setting))
    gap = max(abs(value - kept[key]) for key, value in live.items())
    limit = 1e-5 if stored.same_computation() else sweep.OTHER_KERNEL_LOSS
    assert gap <= limit, (gap, limit)


def test_best_lambda_finds_a_parabola_vertex_and_flags_edges():
    lams = [2.0 ** (k / 2) for k in range(9)]
    losses = [(math.log(lam) - math.log(3.0)) ** 2 for lam in lams]
    best, interior = optimum.best_lambda(lams, losses)
    assert interior and best == pytest.approx(3.0, rel=1e-9)
    assert optimum.best_lambda(lams, sorted(losses)) == (lams[0], False)
    with pytest.raises(ValueError, match="lambdas"):
        optimum.best_lambda([0.0, 1.0, 2.0], [1, 0, 1])


def test_exponent_of_a_power_law():
    settings = [512, 1024, 2048]
    optima = [[10 * (n / 512) ** -0.8, 11 * (n / 512) ** -0.6] for n in settings]
    assert optimum.exponent(settings, optima) == pytest.approx([-0.8, -0.6])
    assert optimum.log_spread([1.0, 2.0]) == pytest.approx(math.log(2))


def test_every_figure_draws_and_every_slider_position_works(stored):
    fig, update = figures.hero(stored)
    for alpha in figures.ALPHAS:
        update(alpha)
    assert fig.axes[0].get_xlabel().startswith("λ")
    figures.optimum_figure(stored)
    figures.batch_figure(stored)
    figures.recipes_figure(recipes.RECIPES)
    assert figures.rule_factor((2048, 32, 1e-3)) == pytest.approx(2.0)


def test_recipes_cite_known_references():
    bib = (ROOT / "references.bib").read_text(encoding="utf-8")
    keys = set(re.findall(r"@\w+\{([^,]+),", bib))
    for r in recipes.RECIPES:
        for key in r.sources.split("; "):
            assert key in keys, (r.model, key)
        assert r.status in ("✅", "◐") and r.weight_decay == 0.1
    llama = next(r for r in recipes.RECIPES if r.model == "LLaMA 7B")
    # 4M/(3e-4 · 0.1 · 1e12) = 0.133; 250,000 steps
    assert llama.tau_epoch == pytest.approx(0.1333, rel=1e-3)
    assert llama.steps == pytest.approx(250_000)


@pytest.mark.parametrize(
    "field, value", [("batch_size", 0), ("lr", 0.0), ("schedule", "cosine"), ("epochs", 0)]
)
def test_bad_settings_are_named(field, value):
    from dataclasses import replace

    with pytest.raises(ValueError, match=field):
        replace(sweep.BASE, **{field: value})
