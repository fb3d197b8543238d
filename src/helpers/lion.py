"""Lion from scratch: the sign of an interpolated momentum, with decoupled decay.

Introduced in chapter 8 (Decay with other optimizers). PyTorch has no Lion, so the tests check
:class:`Lion` against the published algorithm written out as equations (Chen et al. 2023,
"Symbolic Discovery of Optimization Algorithms", arXiv:2302.06675, Algorithm 2), in float64
and float32 over hundreds of scheduled steps.

Notation (the book's): θ parameters, g_t gradient, η_t = ``lr``, λ = ``weight_decay``,
m_t the one momentum buffer, c_t the interpolation whose sign is the update.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from helpers.checks import check_betas
from helpers.optim import WeightDecayOptimizer


class Lion(WeightDecayOptimizer):
    """Lion with decoupled (default), cautious or L2 weight decay.

    Introduced in chapter 8 (Decay with other optimizers). Each step is (Chen et al. 2023,
    Algorithm 2)

        c_t = β1·m_{t−1} + (1 − β1)·g_t,
        θ_t = θ_{t−1} − η_t·(sign(c_t) + λ·θ_{t−1}),
        m_t = β2·m_{t−1} + (1 − β2)·g_t,

    so the shrink per step is η_t·λ, PyTorch's AdamW convention. But every coordinate of the
    update sign(c_t) has size 1, so its norm is larger than AdamW's, whose coordinates
    m̂_t/(√v̂_t + ε) are mostly well below 1 when gradients are noisy. Hence the paper's advice
    (§5, Hyperparameter Tuning): an lr 3–10× smaller than AdamW's and a λ 3–10× larger, "since
    the effective weight decay is lr * λ": the same η·λ, the same shrink per step. The defaults
    β1 = 0.9, β2 = 0.99 are the paper's; lr = 1e-4 and λ = 0 follow the common PyTorch port
    (lucidrains/lion-pytorch).

    - ``decoupled=True`` (default): as above; m_t never sees the decay.
    - ``independent=True`` shrinks by s_t·λ, s_t = η_t/η_0 (see :class:`helpers.optim.Adam`).
    - ``cautious=True`` shrinks only where θ_{t−1} and sign(c_t) agree (Chen et al. 2025).
    - ``decoupled=False`` is L2 inside Lion: λ·θ joins g_t, and the sign then caps its pull
      at η_t per coordinate, whatever |θ|.

    Args:
        params: tensors, or param-group dicts (e.g. from :func:`param_groups`).
        lr: η > 0. betas: (β1, β2), each in [0, 1). weight_decay: λ >= 0.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-4,
        betas: tuple[float, float] = (0.9, 0.99),
        weight_decay: float = 0.0,
        decoupled: bool = True,
        independent: bool = False,
        cautious: bool = False,
    ) -> None:
        super().__init__(params, lr, weight_decay, decoupled, independent, cautious, betas=betas)

    def _check_group(self, group: dict) -> None:
        super()._check_group(group)
        check_betas("betas", group["betas"])

    def _step_param(self, param: torch.Tensor, grad: torch.Tensor, group: dict) -> None:
        beta1, beta2 = group["betas"]
        state = self.state[param]
        if not state:
            state["exp_avg"] = torch.zeros_like(param)  # m_0 = 0
        m = state["exp_avg"]

        # L2: g_t ← g_t + λ·θ_{t−1}   (decoupled decay waits for the update, below)
        grad = self._weight_decay(param, grad, group)
        # c_t = β1·m_{t−1} + (1 − β1)·g_t, and the update is its sign
        update = (beta1 * m + (1 - beta1) * grad).sign_()
        # decoupled: θ ← (1 − η_t·λ)·θ_{t−1}, or cautious: only where sign(c_t) and θ agree
        self._weight_decay(param, grad, group, update=update)
        # θ_t = θ − η_t·sign(c_t)   (θ is θ_{t−1}, already shrunk if decoupled)
        param.add_(update, alpha=-group["lr"])
        # m_t = β2·m_{t−1} + (1 − β2)·g_t
        m.mul_(beta2).add_(grad, alpha=1 - beta2)
