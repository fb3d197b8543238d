"""The lock-step parity harness of tests/test_optim.py, for optimizers that take only matrices
(Muon) or run under a λ schedule, and the references built from torch.optim's optimizers.

Every run trains two copies of test_optim's tiny tied-embedding language model for 300 steps
in lock-step (same batches), one with our optimizer and one with the reference, with three
param groups of different λ and lr and test_optim's warmup + cosine LambdaLR (and, when a case
has one, a λ schedule on both), and compares every parameter after every step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch

from helpers.schedules import WeightDecayLambda
from tests.test_optim import LAMBDAS, STEPS, batches, groups, make_model, train_step, warmup_cosine

MATRICES = (["fc.weight", "proj.weight"], ["wte.weight"], ["wpe.weight"])


def matrix_groups(model, lrs, lambdas=LAMBDAS):
    """Three groups of 2-D tensors for Muon: the MLP, the tied embedding/head, the positions.

    The gains and biases are in no group, so they stay as they are in both models.
    """
    named = dict(model.named_parameters())
    return [
        {"params": [named[n] for n in ns], "weight_decay": lam, "lr": lr}
        for ns, lam, lr in zip(MATRICES, lambdas, lrs, strict=True)
    ]


def lockstep(
    make_ours,
    make_ref,
    lrs,
    lambdas=LAMBDAS,
    dtype=torch.float64,
    steps=STEPS,
    grouping=groups,
    decay_multiplier=None,
):
    """Train two identical models side by side; return (max |Δθ| over all steps, both models).

    ``decay_multiplier``, when given, is a :class:`WeightDecayLambda` multiplier (or list) set
    on both optimizers next to the learning rate's LambdaLR.
    """
    models = [make_model(dtype), make_model(dtype)]
    pairs = zip((make_ours, make_ref), models, strict=True)
    opts = [make(grouping(m, lrs, lambdas)) for make, m in pairs]
    scheds = [[torch.optim.lr_scheduler.LambdaLR(o, warmup_cosine)] for o in opts]
    if decay_multiplier is not None:
        for o, s in zip(opts, scheds, strict=True):
            s.append(WeightDecayLambda(o, decay_multiplier))
    worst = 0.0
    for x, y in batches(steps):
        for model, opt, sched in zip(models, opts, scheds, strict=True):
            train_step(model, opt, sched[0], x, y)
            for s in sched[1:]:
                s.step()
        for p, q in zip(models[0].parameters(), models[1].parameters(), strict=True):
            worst = max(worst, (p - q).abs().max().item())
    return worst, models


class Case(NamedTuple):
    ours: Callable  # param groups → our optimizer
    reference: Callable  # param groups → torch.optim's, or the equations written out
    lrs: tuple
    lambdas: tuple = LAMBDAS
    grouping: Callable = groups
    decay_multiplier: Callable | list | None = None

    def run(self, reference=None, dtype=torch.float64):
        return lockstep(
            self.ours,
            reference or self.reference,
            self.lrs,
            self.lambdas,
            dtype,
            grouping=self.grouping,
            decay_multiplier=self.decay_multiplier,
        )


# References for the decay variants that torch.optim does not have, built from its optimizers
# with their own decay switched off (weight_decay=0), so that only the decay is written here.


def with_l2(cls, **kwargs):
    """``cls`` with L2: g_t ← g_t + λ·θ_{t−1} added to every gradient before cls's step."""

    class L2(cls):
        def __init__(self, param_groups):
            for group in param_groups:
                group["l2"] = group.pop("weight_decay")
            super().__init__(param_groups, weight_decay=0.0, **kwargs)

        @torch.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.grad.add_(p, alpha=group["l2"])
            return super().step(closure)

    return L2


def with_lambda_over_lr0(cls, **kwargs):
    """``cls`` with each group's λ divided by its lr: s_t·λ = η_t·(λ/η_0), independent decay."""

    def make(param_groups):
        for group in param_groups:
            group["weight_decay"] /= group["lr"]
        return cls(param_groups, **kwargs)

    return make


def with_cautious_decay(cls, direction=None, **kwargs):
    """``cls`` with Chen et al. 2025's cautious decay written as their Algorithm 1:

    x_{t+1} = x_t − η_t·(u_t + λ·𝕀(u_t⊙x_t ≥ 0)⊙x_t),

    where η_t·u_t = x_t − x'_t is the step that ``cls`` (with weight_decay=0) takes from x_t.
    ``direction(optimizer, param)``, when given, returns a tensor with the sign of u_t read from
    cls's state (for AdamW m_t, for SGD b_t) instead: in float32 a step below half an ulp of
    x_t rounds to 0, and the difference then loses u_t's sign.
    """

    class Cautious(cls):
        def __init__(self, param_groups):
            for group in param_groups:
                group["cautious_lambda"] = group.pop("weight_decay")
            super().__init__(param_groups, weight_decay=0.0, **kwargs)

        @torch.no_grad()
        def step(self, closure=None):
            before = [[p.clone() for p in group["params"]] for group in self.param_groups]
            loss = super().step(closure)
            for group, xs in zip(self.param_groups, before, strict=True):
                for p, x in zip(group["params"], xs, strict=True):
                    if p.grad is None:
                        continue
                    u = x - p if direction is None else direction(self, p)  # sign of η_t·u_t
                    decayed = torch.where(u * x >= 0, x, 0.0)  # 𝕀(u_t⊙x_t ≥ 0)⊙x_t
                    p.sub_(group["lr"] * group["cautious_lambda"] * decayed)
            return loss

    return Cautious
