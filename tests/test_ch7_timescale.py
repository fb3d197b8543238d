"""Chapter 7's timescale functions: τ_iter, τ_epoch, the surviving share, the λ that keeps
τ_epoch, checked against the AdamW shrink itself."""

from __future__ import annotations

import math

import pytest
import torch

from helpers.ch7 import timescale


def test_tau_iter_is_the_e_folding_time_of_adamw_shrink():
    # a weight with zero gradient under torch.optim.AdamW shrinks by (1 − ηλ) per step
    lr, lam = 1e-2, 0.5
    w = torch.nn.Parameter(torch.ones(1, dtype=torch.float64))
    opt = torch.optim.AdamW([w], lr=lr, weight_decay=lam)
    tau = timescale.tau_iter(lr, lam)  # 200 steps
    for _ in range(round(tau)):
        w.grad = torch.zeros_like(w)
        opt.step()
    # (1 − 1/τ)^τ = e^{−1}·(1 − O(1/τ)): within 0.3 % of 1/e at τ = 200
    assert w.item() == pytest.approx(math.exp(-1), rel=3e-3)
    assert w.item() == pytest.approx(timescale.exact_surviving_fraction(lr, lam, 200), rel=1e-12)


def test_tau_epoch_counts_passes_over_the_data():
    # B = 32, N = 1024: 32 steps per epoch; τ_iter = 1000 steps = 31.25 epochs
    assert timescale.tau_epoch(1e-3, 1.0, 32, 1024) == pytest.approx(31.25)
    assert timescale.steps(32, 1024, epochs=50) == pytest.approx(1600)
    assert timescale.run_fraction(1e-3, 1.0, 1600) == pytest.approx(0.625)


def test_lambda_for_tau_epoch_inverts_tau_epoch():
    lam = timescale.lambda_for_tau_epoch(2.0, 1e-3, 32, 1024)
    assert timescale.tau_epoch(1e-3, lam, 32, 1024) == pytest.approx(2.0)


def test_rescaled_lambda_keeps_tau_epoch():
    lam = timescale.rescaled_lambda(0.1, lr=(3e-4, 1e-4), batch=(4e6, 8e6), data=(1e12, 4e12))
    before = timescale.tau_epoch(3e-4, 0.1, 4e6, 1e12)
    assert timescale.tau_epoch(1e-4, lam, 8e6, 4e12) == pytest.approx(before)
    # the three rules of the chapter: λ ∝ 1/D, λ ∝ B, λ ∝ 1/η
    assert timescale.rescaled_lambda(1.0, data=(1, 2)) == pytest.approx(0.5)
    assert timescale.rescaled_lambda(1.0, batch=(1, 2)) == pytest.approx(2.0)
    assert timescale.rescaled_lambda(1.0, lr=(1, 2)) == pytest.approx(0.5)


@pytest.mark.parametrize("schedule", ["constant", "linear", "cosine"])
def test_surviving_fraction_matches_the_exact_product_for_small_steps(schedule):
    # T·(ηλ)² = 4000 · (2.5e-4)² = 2.5e-4: the exponential is within 1e-3 of the product
    lr, lam, steps = 1e-3, 0.25, 4000
    approx = timescale.surviving_fraction(lr, lam, steps, schedule)
    exact = timescale.exact_surviving_fraction(lr, lam, steps, schedule)
    assert approx == pytest.approx(exact, rel=1e-3)
    assert 0 < exact < 1


def test_lambda_zero_means_nothing_is_forgotten():
    assert math.isinf(timescale.tau_iter(1e-3, 0.0))
    assert math.isinf(timescale.tau_epoch(1e-3, 0.0, 32, 1024))
    assert timescale.surviving_fraction(1e-3, 0.0, 100) == 1.0
    assert timescale.exact_surviving_fraction(1e-3, 0.0, 100) == 1.0


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: timescale.tau_iter(0.0, 0.1), "lr"),
        (lambda: timescale.tau_iter(1e-3, -0.1), "weight_decay"),
        (lambda: timescale.tau_epoch(1e-3, 0.1, 0, 10), "batch"),
        (lambda: timescale.tau_epoch(1e-3, 0.1, 10, math.inf), "data"),
        (lambda: timescale.lambda_for_tau_epoch(0.0, 1e-3, 1, 1), "tau"),
        (lambda: timescale.rescaled_lambda(0.1, batch=(1, 0)), "batch"),
        (lambda: timescale.exact_surviving_fraction(1e-3, 0.1, 0), "total_steps"),
    ],
)
def test_bad_input_is_named(call, name):
    with pytest.raises(ValueError, match=name):
        call()
