"""AdamW's timescale in steps and in epochs, and the λ that keeps it when a run changes.

AdamW shrinks every decayed weight by (1 − η_t·λ) per step, so an update made at step t is
multiplied by Π_{t' > t} (1 − η_{t'}·λ) by the end of the run: the weights are an exponential
moving average of the updates with timescale

    τ_iter = 1/(ηλ) steps,

or, counted in passes over the data (B samples or tokens per step, D in the data set, the same
unit for both),

    τ_epoch = τ_iter · B / D = B/(ηλD).

Wang & Aitchison (2024) propose holding τ_epoch fixed as a run is scaled; Bergsma et al. (2025)
write the same quantity as τ = B/(ηλD). With a schedule η_t = η·s_t the total shrink an early
update sees is exp(−λ Σ_t η_t) = exp(−ηλ·T·s̄), s̄ the mean multiplier.

Every function takes the book's notation: ``lr`` = η (peak), ``weight_decay`` = λ,
``batch`` = B, ``data`` = D, ``steps`` = T. λ = 0 is allowed (τ = ∞, nothing is forgotten).

Introduced in chapter 7 (how λ should scale).
"""

from __future__ import annotations

import math

from helpers.checks import check_choice, check_int, check_real

# s̄, the mean of s_t = η_t/η over a run that decays to zero (no warmup, T → ∞): constant 1,
# linear 1 − t/T: 1/2, cosine ½(1 + cos(πt/T)): 1/2
MEAN_MULTIPLIER = {"constant": 1.0, "linear": 0.5, "cosine": 0.5}


def _positive(name: str, value) -> float:
    return check_real(name, value, low=0, low_open=True)


def tau_iter(lr: float, weight_decay: float) -> float:
    """τ_iter = 1/(ηλ): the steps over which AdamW's shrink forgets a factor e (∞ at λ = 0)."""
    lr = _positive("lr", lr)
    weight_decay = check_real("weight_decay", weight_decay, low=0)
    return math.inf if weight_decay == 0 else 1.0 / (lr * weight_decay)


def tau_epoch(lr: float, weight_decay: float, batch: float, data: float) -> float:
    """τ_epoch = τ_iter·B/D = B/(ηλD): the timescale in passes over the data.

    ``batch`` (B) and ``data`` (D) in the same unit: samples, or tokens (B = sequences × length).
    """
    batch, data = _positive("batch", batch), _positive("data", data)
    return tau_iter(lr, weight_decay) * batch / data


def steps(batch: float, data: float, epochs: float = 1.0) -> float:
    """T = E·D/B: the steps of ``epochs`` passes over ``data`` at ``batch`` per step."""
    batch, data = _positive("batch", batch), _positive("data", data)
    return _positive("epochs", epochs) * data / batch


def run_fraction(lr: float, weight_decay: float, total_steps: float) -> float:
    """τ_iter/T: the timescale as a fraction of the run (∞ at λ = 0)."""
    return tau_iter(lr, weight_decay) / _positive("total_steps", total_steps)


def surviving_fraction(
    lr: float, weight_decay: float, total_steps: float, schedule: str = "constant"
) -> float:
    """The share of an update made at the first step that is left at the end:
    exp(−λ·Σ_t η_t) = exp(−ηλ·T·s̄), with s̄ from :data:`MEAN_MULTIPLIER`.

    The exact product Π_t (1 − η_t·λ) is smaller by a factor exp(−O(T·(ηλ)²)): the two agree
    to 1 % while T·(ηλ)² < 0.02 (see :func:`exact_surviving_fraction`)."""
    check_choice("schedule", schedule, tuple(MEAN_MULTIPLIER))
    total_steps = _positive("total_steps", total_steps)
    if tau_iter(lr, weight_decay) == math.inf:
        return 1.0
    return math.exp(-lr * weight_decay * total_steps * MEAN_MULTIPLIER[schedule])


def exact_surviving_fraction(
    lr: float, weight_decay: float, total_steps: int, schedule: str = "constant"
) -> float:
    """Π_{t=1..T} (1 − η·s_t·λ) with s_t of ``schedule`` at t/T (what AdamW actually does)."""
    check_choice("schedule", schedule, tuple(MEAN_MULTIPLIER))
    total_steps = check_int("total_steps", total_steps, low=1)
    tau_iter(lr, weight_decay)  # checks lr and weight_decay
    log_product = 0.0
    for t in range(1, total_steps + 1):
        progress = (t - 1) / total_steps
        s_t = {
            "constant": 1.0,
            "linear": 1 - progress,
            "cosine": 0.5 * (1 + math.cos(math.pi * progress)),
        }[schedule]
        log_product += math.log1p(-lr * s_t * weight_decay)
    return math.exp(log_product)


def lambda_for_tau_epoch(tau: float, lr: float, batch: float, data: float) -> float:
    """λ = B/(η·τ_epoch·D): the weight decay that gives the timescale ``tau`` in epochs."""
    tau = _positive("tau", tau)
    lr = _positive("lr", lr)
    return _positive("batch", batch) / (lr * tau * _positive("data", data))


def rescaled_lambda(
    weight_decay: float,
    *,
    lr: tuple[float, float] = (1.0, 1.0),
    batch: tuple[float, float] = (1.0, 1.0),
    data: tuple[float, float] = (1.0, 1.0),
) -> float:
    """The λ that keeps τ_epoch = B/(ηλD) when (old, new) η, B or D change:
    λ_new = λ · (η_old/η_new) · (B_new/B_old) · (D_old/D_new)."""
    weight_decay = check_real("weight_decay", weight_decay, low=0)
    (lr0, lr1), (b0, b1), (d0, d1) = (
        tuple(_positive(name, v) for v in pair)
        for name, pair in (("lr", lr), ("batch", batch), ("data", data))
    )
    return weight_decay * (lr0 / lr1) * (b1 / b0) * (d0 / d1)
