"""How much of each weight decay removed in the last step: chapter 2's histogram.

Introduced in chapter 2 (L2 inside Adam is not weight decay): AdamW shrinks every weight by the
same fraction η_t·λ, while Adam + L2 shrinks each by η_t·λ/(√v̂_t + ε), so weights with large
gradients barely decay.
"""

from __future__ import annotations

import torch

from helpers.optim import SGD, Adam


def effective_decay(optimizer: torch.optim.Optimizer) -> dict[str, torch.Tensor]:
    """Per parameter, the fraction of each coordinate that weight decay removed in the last step.

    Returns ``{name: tensor shaped like the parameter}`` in the optimizer's order, for every
    parameter that has taken a step (for SGD: every parameter of a group that has); names come
    from the group's ``param_names`` (as :func:`param_groups` sets them), else
    ``"group{i}.{j}"``. Histogram it with ``torch.cat([d.flatten() for d in result.values()])``.
    By definition:

    - decoupled (:class:`AdamW`, ``Adam(decoupled=True)``, ``SGD(decoupled=True)``): η_t·λ for
      every coordinate, or s_t·λ with ``independent=True``; this is exactly the shrink applied.
    - :class:`Adam` with L2: η_t·λ/(√v̂_t + ε), with the v̂_t after the last step. This is the
      instantaneous ratio: it ignores that λ·θ also enters m_t and acts over later steps
      through momentum, so it is a definition for comparison, not the exact shrink.
    - :class:`SGD` with L2: η_t·λ (ignoring momentum, for the same reason); without momentum
      this is exact.

    η_t and λ are those the last step used, even if a scheduler has changed them since. Cautious
    decay (``cautious=True``) is refused: its shrink is η_t·λ on a mask that is not kept.
    """
    if not isinstance(optimizer, (SGD, Adam)):
        raise ValueError(
            f"optimizer must be a helpers.optim SGD, Adam or AdamW, got {type(optimizer).__name__}"
        )
    if any(group["cautious"] for group in optimizer.param_groups):
        raise ValueError(
            "effective_decay does not support cautious=True: the shrink is η_t·λ only where θ "
            "and the update agreed in sign, and that mask is not kept"
        )
    result = {}
    for i, group in enumerate(optimizer.param_groups):
        names = group.get("param_names") or [f"group{i}.{j}" for j in range(len(group["params"]))]
        for name, param in zip(names, group["params"], strict=True):
            state = optimizer.state.get(param)
            if "last_lr" not in group or (isinstance(optimizer, Adam) and not state):
                continue  # this parameter has not taken a step
            last = {**group, "weight_decay": group["last_weight_decay"]}
            lr, lam = group["last_lr"], last["weight_decay"]
            if group["decoupled"]:
                fraction = torch.full_like(param, optimizer.shrink(last, lr))
            elif isinstance(optimizer, Adam) and lam != 0:
                # η_t·λ/(√v̂_t + ε), computed as Adam.step computes its denominator
                bias_correction2 = 1 - group["betas"][1] ** state["step"]
                denom = (state["exp_avg_sq"].sqrt() / bias_correction2**0.5).add_(group["eps"])
                fraction = (lr * lam) / denom
            else:
                fraction = torch.full_like(param, lr * lam)
            result[name] = fraction
    if not result:
        raise ValueError("effective_decay needs an optimizer that has taken a step")
    return result
