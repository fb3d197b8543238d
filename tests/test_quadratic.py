"""The curvature toy: the NumPy twin takes helpers.optim's (and torch.optim's) steps exactly."""

import numpy as np
import pytest
import torch

from helpers import optim
from helpers.ch2.toy import ToyConfig, adam_path, adam_paths, gradient, ridge_optimum, torch_path

TOY = ToyConfig()


def helpers_adam(lr, lam, decoupled):
    if decoupled:
        return lambda ps: optim.AdamW(ps, lr=lr, weight_decay=lam)
    return lambda ps: optim.Adam(ps, lr=lr, weight_decay=lam)


@pytest.mark.parametrize("decoupled", [False, True], ids=["adam-l2", "adamw"])
@pytest.mark.parametrize("lr, lam", [(1e-2, 0.1), (1e-3, 0.0), (1e-1, 3.0), (3e-2, 0.01)])
def test_numpy_twin_equals_helpers_optim(lr, lam, decoupled):
    twin = adam_path(TOY, lr, lam, decoupled, steps=600)
    real = torch_path(TOY, helpers_adam(lr, lam, decoupled), steps=600)
    assert np.abs(twin - real).max() <= 1e-12
    assert np.abs(twin[-1] - twin[0]).max() > 0.3  # it went somewhere


@pytest.mark.parametrize("decoupled", [False, True], ids=["adam-l2", "adamw"])
def test_numpy_twin_equals_torch_optim(decoupled):
    cls = torch.optim.AdamW if decoupled else torch.optim.Adam
    real = torch_path(TOY, lambda ps: cls(ps, lr=1e-2, weight_decay=0.1, foreach=False), 300)
    assert np.abs(adam_path(TOY, decoupled=decoupled, steps=300) - real).max() <= 1e-12


def test_the_fact_sheets_numbers():
    """facts.md §3, "Numerical contrast": (0.999, 0.091) for Adam + L2, (0.9983, 0.9983) AdamW."""
    assert TOY.curvatures == (100.0, 0.01) and TOY.target == (1.0, 1.0)
    assert (TOY.lr, TOY.weight_decay, TOY.steps, TOY.betas, TOY.eps) == (
        1e-2,
        0.1,
        5000,
        (0.9, 0.999),
        1e-8,
    )
    l2, w = adam_path(TOY)[-1], adam_path(TOY, decoupled=True)[-1]
    np.testing.assert_allclose(l2, [0.999, 0.091], atol=5e-4)
    np.testing.assert_allclose(l2, ridge_optimum(TOY, 0.1), rtol=1e-6)
    np.testing.assert_allclose(w, [0.9983, 0.9983], atol=5e-5)


def test_runs_sharing_a_loop_equal_runs_alone():
    both = adam_paths(TOY, 3e-2, 0.3, steps=200)
    assert np.array_equal(both[0], adam_path(TOY, 3e-2, 0.3, False, steps=200))
    assert np.array_equal(both[1], adam_path(TOY, 3e-2, 0.3, True, steps=200))


def test_ridge_optimum_zeroes_the_penalised_gradient():
    for lam in (0.0, 0.1, 3.0):
        w = ridge_optimum(TOY, lam)
        np.testing.assert_allclose(gradient(TOY, w) + lam * w, 0, atol=1e-13)
    assert np.array_equal(gradient(TOY, np.array(TOY.target)), [0.0, 0.0])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(lr=0.0), "lr must be a finite number > 0"),
        (dict(lam=-0.1), "lam must be a finite number ≥ 0"),
        (dict(lam=float("nan")), "lam must be a finite number ≥ 0"),
        (dict(steps=0), "steps must be an integer ≥ 1"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, message):
    with pytest.raises(ValueError, match=message):
        adam_path(TOY, **kwargs)
