"""Chapter 8's equilibrium: the balance is an identity, the random walk exact without momentum."""

import math

import pytest
import torch

from helpers.ch8 import equilibrium
from helpers.muon import Muon
from helpers.optim import AdamW


def test_the_balance_holds_for_any_update_sequence_in_a_steady_state():
    """Build a stationary sequence by hand: θ_t = (1 − ηλ)θ_{t−1} − ηu_t with u_t = a·θ_{t−1}
    + noise; the window means of ‖u‖², ⟨θ, u⟩ and ‖θ‖² satisfy the balance."""
    eta, lam = 0.05, 2.0
    generator = torch.Generator().manual_seed(0)
    theta = torch.randn(400, generator=generator, dtype=torch.float64)
    norms, u_sq, theta_u = [], [], []
    for t in range(6000):
        u = -0.3 * theta + torch.randn(400, generator=generator, dtype=torch.float64)
        if t >= 3000:
            u_sq.append(u.pow(2).sum().item())
            theta_u.append((theta * u).sum().item())
        theta = (1 - eta * lam) * theta - eta * u
        if t >= 3000:
            norms.append(theta.pow(2).sum().item())
    predicted = equilibrium.balance_norm(eta, lam, sum(u_sq) / 3000, sum(theta_u) / 3000)
    assert math.sqrt(sum(norms) / 3000) == pytest.approx(predicted, rel=0.01)


@pytest.mark.parametrize(
    "make",
    [
        lambda p: AdamW(p, lr=0.01, betas=(0.0, 0.99), weight_decay=1.0),
        lambda p: Muon(p, lr=0.01, weight_decay=1.0, momentum=0.0),
    ],
)
def test_without_momentum_white_noise_is_a_random_walk(make):
    # measured 0.984-1.017 over seeds 0-2 (chapter 8)
    result = equilibrium.white_noise_norm(make, (32, 32), 0.01, 1.0, seed=0)
    assert result["norm"] / result["random_walk"] == pytest.approx(1.0, abs=0.03)


def test_momentum_makes_the_norm_several_random_walks():
    make = lambda p: AdamW(p, lr=0.01, betas=(0.9, 0.99), weight_decay=1.0)  # noqa: E731
    result = equilibrium.white_noise_norm(make, (32, 32), 0.01, 1.0, seed=1)
    assert 3.5 < result["norm"] / result["random_walk"] < 5  # measured 4.1 (64×64)


@pytest.mark.parametrize("name", ["eta", "lam"])
def test_bad_input_is_named(name):
    args = {"eta": 0.01, "lam": 1.0, "u_sq": 1.0}
    args[name] = 0.0
    with pytest.raises(ValueError, match=name):
        equilibrium.random_walk_norm(**args)
    with pytest.raises(ValueError, match=name):
        equilibrium.balance_norm(**args, theta_u=0.0)
