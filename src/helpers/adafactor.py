"""Adafactor from scratch, as ``torch.optim.Adafactor`` runs it, with its decoupled decay.

Introduced in chapter 8 (Decay with other optimizers). The tests prove that :class:`Adafactor`
takes the same steps as ``torch.optim.Adafactor`` (to 1e-10 in float64 over hundreds of
scheduled steps with several param groups).

Notation (the book's): θ parameters, g_t gradient, η_t = ``lr``, λ = ``weight_decay``;
Adafactor's own: τ = ``beta2_decay``, ρ_t the relative step size, α_t the absolute one,
R_t and C_t the row and column averages of g², V̂_t the second-moment estimate, U_t the update.

Adafactor (Shazeer & Stern 2018, arXiv:1804.04235) keeps, for a matrix, only the row and
column means of g_t² instead of Adam's full v_t, has no first moment (β1 = 0), and takes steps
relative to the size of the weights: α_t = max(ε2, RMS(θ_{t−1}))·ρ_t. PyTorch's version uses
``lr`` twice, as the cap of ρ_t = min(η_t, 1/√t) and in the decay θ ← (1 − η_t·λ)·θ (its
documentation says so: the paper sets no rule for weight decay).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from helpers.checks import check_real
from helpers.optim import WeightDecayOptimizer


class Adafactor(WeightDecayOptimizer):
    """Adafactor with decoupled (default), cautious or L2 decay; equal to ``torch.optim.Adafactor``.

    Introduced in chapter 8 (Decay with other optimizers). Each step, with t the step count:

        1 − β̂2_t = t^τ,   ρ_t = min(η_t, 1/√t),   α_t = max(ε2, RMS(θ_{t−1}))·ρ_t,
        θ ← (1 − η_t·λ)·θ_{t−1},
        V̂_t = R_t·C_t/mean(R_t) for a matrix (row and column averages of g_t²), or the
            average of g_t² itself for a vector,
        U_t = g_t/max(√V̂_t, ε1),   θ_t = θ − α_t·U_t/max(1, RMS(U_t)/d).

    What λ means here: the shrink per step is η_t·λ with η_t = ``lr``, the cap on ρ_t, not the
    step size α_t. Once t > 1/η_t² the step falls as 1/√t while the decay does not; and the
    step scales with RMS(θ) while the decay is a fixed fraction of θ. PaLM's decay
    (Chowdhery et al. 2022, §5: "a dynamic weight decay of lr^2.0") is a shrink of ρ_t² per
    step, which :func:`helpers.schedules.lr_squared` turns into a λ schedule for this class.
    PaLM's Adafactor also had momentum (β1 = 0.9) and did not factor v; this class, like
    torch's, has neither.

    - ``decoupled=True`` (default) is ``torch.optim.Adafactor``: R_t, C_t never see the decay.
    - ``independent=True`` shrinks by s_t·λ, s_t = η_t/η_0 (see :class:`helpers.optim.Adam`).
    - ``cautious=True`` shrinks only where θ_{t−1} and U_t (that is, g_t) agree in sign.
    - ``decoupled=False`` is L2: λ·θ joins g_t before the averages.

    Args:
        params: tensors, or param-group dicts (e.g. from :func:`param_groups`).
        lr: η > 0. beta2_decay: τ <= 0. eps: (ε1, ε2), ε1 >= 0 or None (the dtype's machine
        epsilon), ε2 >= 0. d: clipping threshold >= 1. weight_decay: λ >= 0.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        beta2_decay: float = -0.8,
        eps: tuple[float | None, float] = (None, 1e-3),
        d: float = 1.0,
        weight_decay: float = 0.0,
        decoupled: bool = True,
        independent: bool = False,
        cautious: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr,
            weight_decay,
            decoupled,
            independent,
            cautious,
            beta2_decay=beta2_decay,
            eps=eps,
            d=d,
        )

    def _check_group(self, group: dict) -> None:
        super()._check_group(group)
        check_real("beta2_decay", group["beta2_decay"], high=0)
        eps = group["eps"]
        if not (isinstance(eps, (tuple, list)) and len(eps) == 2):
            raise ValueError(f"eps must be a pair (eps1 ≥ 0 or None, eps2 ≥ 0), got {eps!r}")
        if eps[0] is not None:
            check_real("eps[0]", eps[0], low=0)
        check_real("eps[1]", eps[1], low=0)
        check_real("d", group["d"], low=1)

    def _step_param(self, param: torch.Tensor, grad: torch.Tensor, group: dict) -> None:
        # torch.optim.Adafactor's single-tensor step, in its order of operations
        state = self.state[param]
        factored = grad.dim() > 1
        if not state:
            state["step"] = 0
            if factored:
                # R_0 = 0, one entry per row; C_0 = 0, one entry per column
                state["row_var"] = grad.new_zeros((*grad.shape[:-1], 1))
                state["col_var"] = grad.new_zeros((*grad.shape[:-2], 1, grad.shape[-1]))
            else:
                state["variance"] = torch.zeros_like(grad)  # V_0 = 0
        state["step"] += 1
        t, lr = state["step"], group["lr"]
        eps1, eps2 = group["eps"]
        if eps1 is None:
            eps1 = torch.finfo(param.dtype).eps

        # 1 − β̂2_t = t^τ, the weight of g_t² in the running averages
        new_weight = t ** group["beta2_decay"]
        # ρ_t = min(η_t, 1/√t)
        rho = min(lr, 1 / (t**0.5))
        # α_t = max(ε2, RMS(θ_{t−1}))·ρ_t, measured before the decay
        alpha = max(eps2, param.norm(2).item() / (param.numel() ** 0.5)) * rho

        # L2: g_t ← g_t + λ·θ_{t−1}   (decoupled decay waits for the update U_t, below)
        grad = self._weight_decay(param, grad, group)
        if factored:
            row_var, col_var = state["row_var"], state["col_var"]
            # mean_j g_t² over each row, and mean_i g_t² over each column (as ‖·‖²/n)
            row_mean = torch.norm(grad, dim=-1, keepdim=True).square_().div_(grad.size(-1))
            col_mean = torch.norm(grad, dim=-2, keepdim=True).square_().div_(grad.size(-2))
            # R_t = β̂2_t·R_{t−1} + (1 − β̂2_t)·mean_j g_t²
            row_var.lerp_(row_mean, new_weight)
            # C_t = β̂2_t·C_{t−1} + (1 − β̂2_t)·mean_i g_t²
            col_var.lerp_(col_mean, new_weight)
            # V̂_t = R_t·C_t/max(mean_i R_t, ε1), a rank-one estimate of g²
            var_estimate = row_var @ col_var
            var_estimate.div_(row_var.mean(dim=-2, keepdim=True).clamp_(min=eps1))
        else:
            # V̂_t = β̂2_t·V̂_{t−1} + (1 − β̂2_t)·g_t²
            state["variance"].lerp_(grad * grad, new_weight)
            var_estimate = state["variance"].clone()
        # U_t = g_t/max(√V̂_t, ε1)
        update = var_estimate.clamp_(min=eps1 * eps1).rsqrt_().mul_(grad)
        # max(1, RMS(U_t)/d): clip the update's RMS at d
        clip = max(1.0, update.norm(2).item() / ((update.numel() ** 0.5) * group["d"]))
        # decoupled: θ ← (1 − η_t·λ)·θ_{t−1}, or cautious: only where U_t and θ agree in sign
        self._weight_decay(param, grad, group, update=update)
        # θ_t = θ − α_t·U_t/max(1, RMS(U_t)/d)
        param.add_(update, alpha=-alpha / clip)
