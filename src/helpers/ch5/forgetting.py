"""Chapter 5's timescale experiment: how fast AdamW forgets an old task, against τ = 1/(ηλ).

A linear model learns a target θ_A from noisy data for :data:`SWITCH` steps. Then the inputs
move into a random 16-dimensional subspace of the 32 input dimensions, with a new target θ_B
there; in the other 16 directions the new data say nothing, so what the weights still hold there
is memory of the old task:

    r_t = ⟨Pθ_t, Pθ_switch⟩ / ‖Pθ_switch‖²,  P the projection onto the unseen directions.

:func:`memory_after_switch` trains one copy per setting of :data:`SETTINGS` (four AdamW settings
with τ from 125 to 500 steps, two of them with the same τ, and Adam with the same λ as an L2
penalty) on one shared, seeded stream of batches, in float64. :func:`forgetting_rates` fits the
rate of log r_t over the first two timescales. Over seeds the AdamW rates scatter around 1/τ
(about 0.8–1.5 times it), while two settings with the same τ stay close and L2 inside Adam
forgets more than twice as fast as 1/τ: ``python scripts/sweep_forgetting.py`` stores the rates
and the memory curves of :data:`SEEDS` (:data:`STORED`) for the chapter to assert that.

Introduced in chapter 5 ("Beyond regularization"), section 2.
"""

from __future__ import annotations

import numpy as np
import torch

from helpers import precomputed

DIM, SEEN_DIM = 32, 16  # input dimensions; after the switch the inputs span SEEN_DIM of them
BATCH, NOISE = 64, 0.5  # examples per step; standard deviation of the label noise
SETTINGS = (  # (optimizer, η, λ)
    ("AdamW", 1e-2, 0.4),
    ("AdamW", 4e-3, 1.0),
    ("AdamW", 1e-2, 0.2),
    ("AdamW", 2e-2, 0.4),
    ("Adam + L2", 1e-2, 0.4),
)
SWITCH, STEPS = 1000, 2000  # the task changes after SWITCH of the STEPS steps
SEEDS = (0, 1, 2, 3, 4)
KEEP_EVERY = 10  # stored memory curves keep every 10th step after the switch
THREADS = 1


def tau(lr: float, lam: float) -> float:
    """τ = 1/(ηλ) in steps."""
    return 1.0 / (lr * lam)


def memory_after_switch(settings=SETTINGS, seed: int = 0) -> np.ndarray:
    """r_t for every setting at each step after the switch: shape (STEPS − SWITCH, settings).

    One seeded generator draws θ_A, the subspace, θ_B and then every batch, in that order, so a
    seed fixes the whole experiment; all settings see the same batches.
    """
    dtype = torch.float64
    gen = torch.Generator().manual_seed(seed)
    theta_A = torch.randn(DIM, generator=gen, dtype=dtype)
    basis, _ = torch.linalg.qr(torch.randn(DIM, DIM, generator=gen, dtype=dtype))
    seen, unseen = basis[:, :SEEN_DIM], basis[:, SEEN_DIM:]  # after the switch inputs span seen
    theta_B = seen @ torch.randn(SEEN_DIM, generator=gen, dtype=dtype)
    thetas = [torch.zeros(DIM, dtype=dtype, requires_grad=True) for _ in settings]
    optimizers = [
        (torch.optim.AdamW if name == "AdamW" else torch.optim.Adam)([p], lr=lr, weight_decay=lam)
        for p, (name, lr, lam) in zip(thetas, settings, strict=True)
    ]
    memory = []
    for t in range(STEPS):
        if t < SWITCH:
            x, target = torch.randn(BATCH, DIM, generator=gen, dtype=dtype), theta_A
        else:
            x = torch.randn(BATCH, SEEN_DIM, generator=gen, dtype=dtype) @ seen.T
            target = theta_B
        y = x @ target + NOISE * torch.randn(BATCH, generator=gen, dtype=dtype)
        # one squared loss per setting, summed: each copy gets its own gradient
        loss = ((x @ torch.stack(thetas).T - y[:, None]) ** 2).mean(0).sum() / 2
        for opt in optimizers:
            opt.zero_grad()
        loss.backward()
        for opt in optimizers:
            opt.step()
        hidden = torch.stack([unseen.T @ p.detach() for p in thetas])  # Pθ, per setting
        if t == SWITCH - 1:
            at_switch = hidden
        elif t >= SWITCH:
            # r_t = ⟨Pθ_t, Pθ_switch⟩ / ‖Pθ_switch‖²
            memory.append(((hidden * at_switch).sum(1) / (at_switch**2).sum(1)).numpy())
    return np.array(memory)


def forgetting_rates(memory: np.ndarray, settings=SETTINGS) -> list[float]:
    """Per setting, the rate of log r_t fitted over the first two timescales after the switch."""
    after = np.arange(1, len(memory) + 1)  # steps since the switch
    rates = []
    for j, (_, lr, lam) in enumerate(settings):
        window = after <= 2 * tau(lr, lam)
        log_memory = np.log(np.clip(memory[window, j], 1e-12, None))
        rates.append(float(-np.polyfit(after[window], log_memory, 1)[0]))
    return rates


def run_point(seed: int) -> dict:
    """One seed: each setting's fitted rate × τ, and its memory curve every KEEP_EVERY steps."""
    memory = memory_after_switch(SETTINGS, seed)
    rates = forgetting_rates(memory)
    taus = [tau(lr, lam) for _, lr, lam in SETTINGS]
    return {
        "rate_times_tau": [rate * t for rate, t in zip(rates, taus, strict=True)],
        "memory": [memory[KEEP_EVERY - 1 :: KEEP_EVERY, j].tolist() for j in range(len(SETTINGS))],
    }


def _check_point(point: dict) -> None:
    if len(point.get("rate_times_tau", [])) != len(SETTINGS):
        raise ValueError(f"rate_times_tau must hold one rate per setting ({len(SETTINGS)})")
    curves = point.get("memory")
    if not isinstance(curves, list) or len(curves) != len(SETTINGS):
        raise ValueError(f"memory must hold one curve per setting ({len(SETTINGS)})")
    if any(len(curve) != (STEPS - SWITCH) // KEEP_EVERY for curve in curves):
        raise ValueError(f"each memory curve must hold {(STEPS - SWITCH) // KEEP_EVERY} values")


STORED = precomputed.Spec(
    name="forgetting",
    command="python scripts/sweep_forgetting.py",
    threads=THREADS,
    config={
        "settings": [list(s) for s in SETTINGS],
        "dim": DIM,
        "seen_dim": SEEN_DIM,
        "batch": BATCH,
        "noise": NOISE,
        "switch": SWITCH,
        "steps": STEPS,
        "keep_every": KEEP_EVERY,
        "threads": THREADS,
    },
    axes=("seed",),
    points=tuple((seed,) for seed in SEEDS),
    digits=10,  # float64: the same to about 1e-12 on any CPU
    check=_check_point,
)


def load() -> precomputed.Stored:
    """The stored rates and curves, checked."""
    return precomputed.load(STORED)
