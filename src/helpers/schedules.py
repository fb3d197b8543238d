"""Schedules: the learning-rate multipliers s_t of the book's training loops, and schedules on λ.

The multipliers s_t = η_t/η_0 go to ``torch.optim.lr_scheduler.LambdaLR``: :func:`warmup` for
chapter 5's grokking runs, :func:`cosine` for chapter 2's grid, :func:`lr_multiplier` (warmup,
then constant or cosine to a floor) for chapter 4's tiny GPT.

Schedules on λ: λ_t = λ·r_t, set by a scheduler the way ``LambdaLR`` sets η_t = η_0·s_t.
Introduced in chapter 8 (Decay with other optimizers). Recent recipes schedule weight decay
as well as the learning rate: nanochat lets λ fall to zero over the run, linearly (commit
2c4473d, January 2026) and later along a cosine (commit 6ed7d1d, March 2026), and PaLM used
"a dynamic weight decay of lr^2.0" (Chowdhery et al. 2022, §5). :class:`WeightDecayLambda`
does for ``weight_decay`` what ``torch.optim.lr_scheduler.LambdaLR`` does for ``lr``, so the
two run side by side, step for step, with any optimizer that reads ``group["weight_decay"]``
at each step (ours and ``torch.optim``'s alike).

Notation (the book's): η_t = η_0·s_t the learning rate, λ_t = λ·r_t the weight decay of the
step with index t (0-based, the index both schedulers pass to their multiplier), T the number
of steps. With PyTorch's convention the shrink per step is η_t·λ_t.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from helpers.checks import check_int, check_real


def warmup(step: int, warmup_steps: int) -> float:
    """s_t = min(1, (t + 1)/W): linear from 1/W at the first step to 1 at step W − 1 (1 if W = 0).

    Introduced in chapter 4 (train a tiny GPT); chapter 5's grokking runs use it alone.
    """
    if warmup_steps == 0:
        return 1.0
    return min(1.0, (step + 1) / warmup_steps)


def cosine(step: int, steps: int) -> float:
    """s_t = ½(1 + cos(π·t/T)): from 1 at the first step towards 0 at the last (chapter 2)."""
    return 0.5 * (1 + math.cos(math.pi * step / steps))


def lr_multiplier(step: int, config) -> float:
    """s_t of the tiny GPT (chapter 4) for the step with index ``step`` (0-based).

    ``config`` is a :class:`helpers.train_config.TrainConfig`: :func:`warmup` over its
    ``warmup_steps``, then ``schedule="constant"`` (s_t = 1) or ``"cosine"``, which falls from 1
    to ``min_lr_ratio`` at the last step.
    """
    step = check_int("step", step, low=0)
    if step < config.warmup_steps:
        return warmup(step, config.warmup_steps)
    if config.schedule == "constant":
        return 1.0
    decay_steps = max(1, config.steps - 1 - config.warmup_steps)
    progress = min(1.0, (step - config.warmup_steps) / decay_steps)
    r = config.min_lr_ratio
    # s_t = r + (1 − r)·½(1 + cos(π·progress)), progress from 0 after warmup to 1 at the end
    return r + (1 - r) * 0.5 * (1 + math.cos(math.pi * progress))


class WeightDecayLambda:
    """Set each group's ``weight_decay`` to λ·r_t, λ its initial value, r_t = ``multiplier(t)``.

    Introduced in chapter 8 (Decay with other optimizers). Used like ``LambdaLR``: build it
    after the optimizer (it sets r_0 at once), call :meth:`step` after each
    ``optimizer.step()``. λ is kept in each group as ``initial_weight_decay`` (as ``LambdaLR``
    keeps ``initial_lr``), so it travels with ``optimizer.state_dict()``; this object's own
    :meth:`state_dict` holds the step index. To resume: build the optimizer and both
    schedulers, then load the optimizer's and each scheduler's state.

    Args:
        optimizer: any ``torch.optim.Optimizer`` whose step reads ``group["weight_decay"]``.
        multiplier: r_t as a function of the step index t, or a list of such functions, one
            per param group (as ``LambdaLR`` takes); each must return a finite number >= 0.
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        multiplier: Callable[[int], float] | list[Callable[[int], float]],
    ):
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise ValueError(
                f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}"
            )
        groups = len(optimizer.param_groups)
        multipliers = list(multiplier) if isinstance(multiplier, (list, tuple)) else [multiplier]
        if len(multipliers) == 1:
            multipliers *= groups
        if len(multipliers) != groups or not all(callable(m) for m in multipliers):
            raise ValueError(
                "multiplier must be a function of the step index or a list of "
                f"{groups} of them (one per param group), got {multiplier!r}"
            )
        self.optimizer = optimizer
        self.multipliers = multipliers
        self.last_step = -1
        self.step()

    def step(self) -> None:
        """Move to the next step index t and set λ_t = λ·r_t in every group."""
        self.last_step += 1
        for i, (group, multiplier) in enumerate(
            zip(self.optimizer.param_groups, self.multipliers, strict=True)
        ):
            name = f"multiplier({self.last_step}) of group {i}"
            r = check_real(name, multiplier(self.last_step), low=0)
            # λ: the group's weight_decay the first time this scheduler sees it
            group.setdefault("initial_weight_decay", group["weight_decay"])
            # λ_t = λ·r_t
            group["weight_decay"] = group["initial_weight_decay"] * r

    def get_last_weight_decay(self) -> list[float]:
        """λ_t of each group, as set by the last :meth:`step`."""
        return [group["weight_decay"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict:
        return {"last_step": self.last_step}

    def load_state_dict(self, state: dict) -> None:
        self.last_step = state["last_step"]


def linear_to_zero(steps: int) -> Callable[[int], float]:
    """r_t = max(0, 1 − t/T): nanochat's first λ schedule (commit 2c4473d, scripts/base_train.py).

    Introduced in chapter 8 (Decay with other optimizers). As in nanochat, r is 1/T at the
    last step (t = T − 1) and reaches 0 at t = T; it stays 0 after.
    """
    steps = check_int("steps", steps, low=1)

    def multiplier(t: int) -> float:
        # 1 − t/T, floored at 0
        return max(0.0, 1 - t / steps)

    return multiplier


def cosine_to_zero(steps: int) -> Callable[[int], float]:
    """r_t = ½·(1 + cos(π·min(t, T)/T)): nanochat's λ schedule since commit 6ed7d1d.

    Introduced in chapter 8 (Decay with other optimizers). r is 1 at t = 0 and 0 from t = T on.
    """
    steps = check_int("steps", steps, low=1)

    def multiplier(t: int) -> float:
        # ½·(1 + cos(π·t/T)), held at 0 from t = T on
        return 0.5 * (1 + math.cos(math.pi * min(t, steps) / steps))

    return multiplier


def lr_squared(
    lr: float,
    lr_multiplier: Callable[[int], float] | None = None,
    relative_step: bool = False,
) -> Callable[[int], float]:
    """r_t that makes the shrink per step the square of the learning rate: PaLM's "lr^2.0".

    Introduced in chapter 8 (Decay with other optimizers). For an optimizer whose shrink is
    η_t·λ_t (PyTorch's convention, ``independent=False``) with ``weight_decay=1.0`` and this
    multiplier, λ_t = r_t and the shrink is x_t², where η_t = ``lr``·s_t (``lr_multiplier``,
    default s_t = 1: the ``LambdaLR`` that drives η_t) and

    - ``relative_step=False``: x_t = η_t, so r_t = η_t (AdamW, Lion, Muon).
    - ``relative_step=True``: x_t = ρ_t = min(η_t, 1/√(t + 1)), Adafactor's relative step
      (its step count is t + 1), so r_t = ρ_t²/η_t. This is PaLM's rule: with η = 1e-2 the
      shrink is 1e-4 per step for 10,000 steps, then 1/k at step k (Chowdhery et al. 2022, §5:
      lr 1e-2 for 10k steps, then decayed as 1/√k; "lr^2.0" read as T5X's Adafactor applies
      ``weight_decay_rate_lr_exponent=2``, θ ← (1 − lr²)·θ − update, in t5x/adafactor.py).

    Returns r_t = 0 where η_t = 0.
    """
    lr = check_real("lr", lr, low=0, low_open=True)
    schedule = lr_multiplier if lr_multiplier is not None else (lambda t: 1.0)

    def multiplier(t: int) -> float:
        # η_t = η_0·s_t
        eta = lr * schedule(t)
        if eta == 0:
            return 0.0
        # x_t = ρ_t = min(η_t, 1/√(t + 1)) for Adafactor, else η_t
        x = min(eta, 1 / math.sqrt(t + 1)) if relative_step else eta
        # r_t = x_t²/η_t, so that η_t·λ_t = x_t² with λ = 1
        return x * x / eta

    return multiplier
