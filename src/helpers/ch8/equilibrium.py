"""Where decoupled decay and the updates balance: the equilibrium norm of a weight matrix.

With decoupled decay and any update u_t, θ_t = (1 − ηλ)·θ_{t−1} − η·u_t. Squaring,
‖θ_t‖² = (1 − ηλ)²‖θ_{t−1}‖² − 2η(1 − ηλ)⟨θ_{t−1}, u_t⟩ + η²‖u_t‖², and where ‖θ‖² no longer
changes on average (the *balance*, exact):

    N² = [η·⟨‖u‖²⟩ − 2(1 − ηλ)·⟨θ, u⟩] / (λ(2 − ηλ)).

If successive updates were independent of θ (⟨θ, u⟩ = 0), this is the *random walk*
N² = η‖u‖²/(λ(2 − ηλ)) ≈ η‖u‖²/(2λ). Momentum correlates successive updates; unrolling the
recursion with u's autocorrelation ρ_k multiplies the random walk by 1 + 2·Σ_k ρ_k(1 − ηλ)^k.
:func:`white_noise_norm` measures the equilibrium of an optimizer on gradients that are pure
noise, where nothing but the optimizer itself decides it.

Introduced in chapter 8 (Decay with other optimizers).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from helpers.checks import check_int, check_real


def balance_norm(eta: float, lam: float, u_sq: float, theta_u: float) -> float:
    """N from the exact balance, given the means ⟨‖u‖²⟩ and ⟨θ_{t−1}, u_t⟩ over a window."""
    eta = check_real("eta", eta, low=0, low_open=True)
    lam = check_real("lam", lam, low=0, low_open=True)
    # N² = [η⟨‖u‖²⟩ − 2(1 − ηλ)⟨θ, u⟩] / (λ(2 − ηλ))
    return math.sqrt((eta * u_sq - 2 * (1 - eta * lam) * theta_u) / (lam * (2 - eta * lam)))


def random_walk_norm(eta: float, lam: float, u_sq: float) -> float:
    """N of independent updates: √(η‖u‖²/(λ(2 − ηλ)))."""
    eta = check_real("eta", eta, low=0, low_open=True)
    lam = check_real("lam", lam, low=0, low_open=True)
    return math.sqrt(eta * u_sq / (lam * (2 - eta * lam)))


def white_noise_norm(
    make_optimizer: Callable[[list[torch.Tensor]], torch.optim.Optimizer],
    shape: tuple[int, int],
    eta: float,
    lam: float,
    seed: int = 0,
    relax: float = 8.0,
) -> dict:
    """Train one matrix on gradients g_t ~ N(0, 1) (i.i.d.) and measure its equilibrium.

    Runs relax/(2ηλ) steps (‖θ‖² relaxes by (1 − ηλ)² per step) and averages over the second
    half: ``norm`` (RMS of ‖θ_t‖), ``u_sq`` (mean ‖u_t‖²) and ``random_walk`` (the random-walk N
    with that ‖u‖²). ``make_optimizer([θ])`` builds the optimizer with lr η and weight_decay λ.
    """
    eta = check_real("eta", eta, low=0, low_open=True)
    lam = check_real("lam", lam, low=0, low_open=True)
    steps = check_int("steps", int(relax / (2 * eta * lam)), low=2)
    generator = torch.Generator().manual_seed(seed)
    theta = torch.nn.Parameter(0.02 * torch.randn(shape, generator=generator))
    optimizer = make_optimizer([theta])
    norms, u_sq = [], []
    for t in range(steps):
        theta.grad = torch.randn(shape, generator=generator)
        old = theta.detach().clone()
        optimizer.step()
        if t >= steps // 2:
            # u_t = ((1 − ηλ)·θ_{t−1} − θ_t)/η
            u = ((1 - eta * lam) * old - theta.detach()) / eta
            norms.append(theta.detach().pow(2).sum().item())
            u_sq.append(u.pow(2).sum().item())
    mean_u_sq = sum(u_sq) / len(u_sq)
    return {
        "steps": steps,
        "norm": math.sqrt(sum(norms) / len(norms)),
        "u_sq": mean_u_sq,
        "random_walk": random_walk_norm(eta, lam, mean_u_sq),
    }
