"""Muon from scratch: momentum, Newton–Schulz orthogonalisation, and decoupled decay.

Introduced in chapter 8 (Decay with other optimizers). The tests prove that :class:`Muon` takes
the same steps as ``torch.optim.Muon`` (to 1e-10 in float64 over hundreds of scheduled steps
with several param groups), so what you read here is what PyTorch runs.

Notation (the book's): θ a weight matrix of shape A × B, g_t its gradient, η_t = ``lr``,
λ = ``weight_decay``, μ momentum, B_t the momentum buffer, O_t the orthogonalised update.

Muon (Jordan et al. 2024, https://kellerjordan.github.io/posts/muon/) replaces the update's
singular values by (roughly) one: where Adam makes every coordinate's step about η, Muon makes
every direction's step about η. It is an optimizer for 2-D hidden-layer matrices only;
embeddings, the head, gains and biases go to AdamW (Moonlight, nanochat, modded-nanogpt).

Weight decay enters through :meth:`helpers.optim.WeightDecayOptimizer._weight_decay`, the same
switch as SGD, Adam and AdamW: by default decoupled, θ ← (1 − η_t·λ)·θ_{t−1}, as in
``torch.optim.Muon`` (whose default λ is 0.1) and in Moonlight's W ← W − η(0.2·O·√max(A,B) + λW)
(Liu et al. 2025, arXiv:2502.16982, §2.2).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Real

import torch

from helpers.checks import check_bool, check_int, check_real
from helpers.optim import WeightDecayOptimizer

# Jordan's quintic Newton–Schulz coefficients and step count, the defaults of torch.optim.Muon
NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)
NS_STEPS = 5
NS_EPS = 1e-7  # floor on ‖G‖_F, so that a zero update stays zero instead of becoming NaN
ADJUST_LR_FNS = ("original", "match_rms_adamw")


def orthogonalize(
    matrix: torch.Tensor,
    coefficients: tuple[float, float, float] = NS_COEFFICIENTS,
    steps: int = NS_STEPS,
    eps: float = NS_EPS,
) -> torch.Tensor:
    """O ≈ U·S'·Vᵀ for matrix = U·S·Vᵀ, with the singular values S' near 1; in bfloat16.

    Introduced in chapter 8 (Decay with other optimizers). After X_0 = G/‖G‖_F, ``steps``
    iterations of the quintic X ← a·X + b·(X·Xᵀ)·X + c·(X·Xᵀ)²·X, which maps each singular
    value σ to a·σ + b·σ³ + c·σ⁵. Jordan's coefficients push small σ up fast (slope a⁵ ≈ 485
    at 0 after five steps) and leave σ' oscillating around 1 rather than converging to it:
    in exact arithmetic every σ/‖G‖_F ≥ 0.002 ends in [0.68, 1.21], and bfloat16 moves the
    result by up to 0.1 (both checked in tests/test_muon.py). Computed in bfloat16 as
    ``torch.optim.Muon`` does (its ``_zeropower_via_newtonschulz``), in its order of
    operations, so the two agree bit for bit; returns a bfloat16 tensor.
    """
    a, b, c = coefficients
    # a copy in bfloat16 (torch.optim.Muon's .bfloat16() would alias a bfloat16 input)
    x = matrix.to(torch.bfloat16, copy=True)
    tall = matrix.size(0) > matrix.size(1)
    if tall:
        x = x.T  # iterate on the wide orientation: X·Xᵀ is then the smaller Gram matrix
    # X_0 = G/‖G‖_F: every singular value ≤ 1, where the polynomial behaves
    x.div_(x.norm().clamp(min=eps))
    for _ in range(steps):
        # A = X·Xᵀ
        gram = x @ x.T
        # P = b·A + c·A²
        poly = torch.addmm(gram, gram, gram, beta=b, alpha=c)
        # X ← a·X + P·X
        x = torch.addmm(x, poly, x, beta=a)
    return x.T if tall else x


def update_scale(shape: torch.Size, adjust_lr_fn: str | None) -> float:
    """r, the factor on η_t in the step θ ← θ − η_t·r·O_t, for an A × B matrix.

    Introduced in chapter 8 (Decay with other optimizers). An orthogonal A × B matrix has
    RMS 1/√max(A, B), so without a factor the step shrinks as matrices grow.

    - ``"original"`` (or ``None``, as in torch): r = √max(1, A/B), Jordan's; the update's RMS
      is then ≈ 1/√B whatever A (B = ``in_features`` of an ``nn.Linear`` weight).
    - ``"match_rms_adamw"``: r = 0.2·√max(A, B), Moonlight's (Liu et al. 2025, §2.2): the
      update's RMS becomes ≈ 0.2, the typical RMS of an AdamW update, so that η and λ tuned
      for AdamW carry over.
    """
    rows, cols = shape[:2]
    if adjust_lr_fn == "match_rms_adamw":
        # 0.2·√max(A, B)
        return 0.2 * math.sqrt(max(rows, cols))
    # √max(1, A/B)
    return math.sqrt(max(1, rows / cols))


class Muon(WeightDecayOptimizer):
    """Muon with decoupled (default), cautious or L2 weight decay; equal to ``torch.optim.Muon``.

    Introduced in chapter 8 (Decay with other optimizers). Per 2-D parameter, each step is

        B_t = μ·B_{t−1} + (1 − μ)·g_t,   B̃_t = μ·B_t + (1 − μ)·g_t (Nesterov) or B_t,
        O_t = NS(B̃_t),   θ_t = (1 − η_t·λ)·θ_{t−1} − η_t·r·O_t,

    with NS :func:`orthogonalize` and r :func:`update_scale`. The momentum is an exponential
    average (torch's code; its docstring writes the unnormalised B_t = μ·B_{t−1} + g_t, which
    differs by the factor 1 − μ that NS's normalisation removes). The decay is η_t·λ per step,
    with the plain η_t, not η_t·r: on the same λ, ``"original"`` and ``"match_rms_adamw"``
    decay alike but step differently.

    - ``decoupled=True`` (default) is ``torch.optim.Muon``: the shrink never enters B_t.
    - ``independent=True`` shrinks by s_t·λ, s_t = η_t/η_0 (see :class:`helpers.optim.Adam`).
    - ``cautious=True`` shrinks only where θ_{t−1} and O_t agree in sign (Chen et al. 2025).
    - ``decoupled=False`` is L2 inside Muon: λ·θ joins g_t and is orthogonalised with it.

    Args:
        params: 2-D tensors, or param-group dicts of them (torch.optim.Muon refuses others).
        lr: η > 0. weight_decay: λ >= 0. momentum: μ in [0, 1). nesterov: True or False.
        ns_coefficients: (a, b, c), finite. eps: > 0. ns_steps: an integer in [1, 99].
        adjust_lr_fn: ``"original"`` (or ``None``) or ``"match_rms_adamw"``.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        weight_decay: float = 0.1,
        momentum: float = 0.95,
        nesterov: bool = True,
        ns_coefficients: tuple[float, float, float] = NS_COEFFICIENTS,
        eps: float = NS_EPS,
        ns_steps: int = NS_STEPS,
        adjust_lr_fn: str | None = None,
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
            momentum=momentum,
            nesterov=nesterov,
            ns_coefficients=ns_coefficients,
            eps=eps,
            ns_steps=ns_steps,
            adjust_lr_fn=adjust_lr_fn,
        )

    def add_param_group(self, param_group: dict) -> None:
        params = param_group["params"]
        params = [params] if isinstance(params, torch.Tensor) else list(params)
        for param in params:
            if param.dim() != 2:
                raise ValueError(
                    "params must be 2-D matrices (Muon orthogonalises matrices), got a tensor "
                    f"of shape {tuple(param.shape)}: give biases, gains and embeddings to AdamW"
                )
        super().add_param_group({**param_group, "params": params})

    def _check_group(self, group: dict) -> None:
        super()._check_group(group)
        check_real("momentum", group["momentum"], low=0, high=1, high_open=True)
        check_bool("nesterov", group["nesterov"])
        coefficients = group["ns_coefficients"]
        if not (
            isinstance(coefficients, (tuple, list))
            and len(coefficients) == 3
            and all(isinstance(x, Real) and math.isfinite(x) for x in coefficients)
        ):
            raise ValueError(
                f"ns_coefficients must be three finite numbers (a, b, c), got {coefficients!r}"
            )
        check_real("eps", group["eps"], low=0, low_open=True)
        check_int("ns_steps", group["ns_steps"], low=1, high=99)
        if group["adjust_lr_fn"] not in (None, *ADJUST_LR_FNS):
            raise ValueError(
                f"adjust_lr_fn must be one of {ADJUST_LR_FNS} or None, "
                f"got {group['adjust_lr_fn']!r}"
            )

    def _step_param(self, param: torch.Tensor, grad: torch.Tensor, group: dict) -> None:
        # torch.optim.Muon's single-tensor step, in its order of operations
        mu = group["momentum"]
        state = self.state[param]
        if not state:
            state["momentum_buffer"] = torch.zeros_like(param)  # B_0 = 0
        buffer = state["momentum_buffer"]

        # L2: g_t ← g_t + λ·θ_{t−1}   (decoupled decay waits for the update O_t, below)
        grad = self._weight_decay(param, grad, group)
        # B_t = μ·B_{t−1} + (1 − μ)·g_t
        buffer.lerp_(grad, 1 - mu)
        # Nesterov: B̃_t = μ·B_t + (1 − μ)·g_t;  otherwise B̃_t = B_t
        direction = grad.lerp(buffer, mu) if group["nesterov"] else buffer
        # O_t = NS(B̃_t)
        update = orthogonalize(direction, group["ns_coefficients"], group["ns_steps"], group["eps"])
        # decoupled: θ ← (1 − η_t·λ)·θ_{t−1}, or cautious: only where O_t and θ agree in sign
        self._weight_decay(param, grad, group, update=update)
        # θ_t = θ − η_t·r·O_t   (θ is θ_{t−1}, already shrunk if decoupled)
        param.add_(update, alpha=-(group["lr"] * update_scale(param.shape, group["adjust_lr_fn"])))
