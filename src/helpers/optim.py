"""SGD, Adam and AdamW from scratch, with L2 or decoupled weight decay.

Each optimizer subclasses ``torch.optim.Optimizer``, so per-group hyperparameters, the schedulers
of ``torch.optim.lr_scheduler``, ``state_dict()``/``load_state_dict()`` and ``zero_grad()`` work as
they do for PyTorch's own. The tests prove that they take the same steps as ``torch.optim`` (to
1e-10 in float64 over hundreds of scheduled steps), so what you read here is what PyTorch runs.

Notation (the book's): θ parameters, g_t gradient, η_t = ``lr`` (the learning rate of step t, as a
scheduler sets it), λ = ``weight_decay``, s_t = η_t/η_0 the schedule multiplier, μ momentum,
b_t momentum buffer, m_t and v_t Adam's moments, m̂_t and v̂_t their bias-corrected values.

The one idea: weight decay can enter an optimizer in two places.

- **L2 (coupled)**: add the penalty's gradient λ·θ to g_t, and let the optimizer do with it
  whatever it does with g_t. In plain SGD that is exactly a shrink by η·λ; in Adam it is
  divided by √v̂_t, so weights with large gradients are barely decayed.
- **Decoupled**: shrink θ ← (1 − η_t·λ)·θ directly, outside the gradient, as AdamW does.
  ``cautious=True`` shrinks only the coordinates where θ and the optimizer's update u_t agree
  in sign, 𝕀(u_t⊙θ_{t−1} ≥ 0), ties (u_t = 0 or θ = 0) included: Chen et al. 2025, "Cautious
  Weight Decay", arXiv:2510.12402, Algorithm 1 (chapter 8, Decay with other optimizers).

Both go through :meth:`WeightDecayOptimizer._weight_decay`, the single switch, which every
optimizer calls at the two places where decay can enter: before its state sees g_t (L2) and
just before θ moves by its update u_t (decoupled). :mod:`helpers.muon`, :mod:`helpers.lion` and
:mod:`helpers.adafactor` use the same switch.

Where each piece is taught: :class:`SGD` in chapter 1 (The L2 penalty, derived); :class:`Adam`,
:class:`AdamW` in chapter 2 (L2 inside Adam is not weight decay), whose histogram of the
shrink each weight gets is :func:`helpers.ch2.shrink.effective_decay`.
Which tensors decay (the param groups) is :mod:`helpers.param_groups`, chapter 3.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from helpers.checks import check_betas, check_bool, check_real
from helpers.optim_state import WRITER, optimizer_name, state_for


class WeightDecayOptimizer(torch.optim.Optimizer):
    """What SGD and Adam share: argument checks and the one switch between L2 and decoupled decay.

    Each group remembers ``lr_0``, its learning rate when it was added, so that with
    ``independent=True`` the schedule multiplier s_t = η_t/η_0 is known even without a scheduler
    (a scheduler's ``initial_lr`` takes precedence), and ``last_lr``, the η_t of its last step,
    which :func:`helpers.ch2.shrink.effective_decay` reports. Complex parameters are refused: the
    updates are written for real numbers (``torch.optim`` views a complex tensor as pairs of
    reals instead).
    """

    def __init__(
        self, params, lr, weight_decay, decoupled, independent, cautious=False, **defaults
    ) -> None:
        defaults.update(
            lr=lr,
            weight_decay=weight_decay,
            decoupled=decoupled,
            independent=independent,
            cautious=cautious,
        )
        if isinstance(params, torch.Tensor):
            params = [params]
        params = list(params)
        if not params:
            raise ValueError("params must hold at least one tensor or param group, got none")
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict) -> None:
        self._check_group({**self.defaults, **param_group})
        super().add_param_group(param_group)
        added = self.param_groups[-1]
        if any(torch.is_complex(p) for p in added["params"]):
            self.param_groups.pop()
            raise ValueError(
                f"params must be real tensors: {type(self).__name__} is written for real "
                "numbers (for complex ones Adam's v_t must hold |g|², not g²); optimise "
                "torch.view_as_real(p) instead, or use torch.optim"
            )
        added.setdefault("lr_0", added["lr"])

    def state_dict(self) -> dict:
        """PyTorch's state dict, with the name of the optimizer that wrote it."""
        return {**super().state_dict(), WRITER: optimizer_name(self)}

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a state this optimizer can continue, after checking its hyperparameters.

        Its own class's state loads as it is, and ``torch.optim``'s Adam, AdamW and SGD state
        is converted for the book's class of the same name (see :mod:`helpers.optim_state`);
        any other optimizer's state is refused with a ValueError naming the optimizer that
        wrote it, and so is a loaded value out of range (``lr=-5``), before anything changes.
        """
        state_dict = state_for(self, state_dict)
        for group in state_dict["param_groups"]:
            self._check_group(group)
        super().load_state_dict(state_dict)

    def _check_group(self, group: dict) -> None:
        check_real("lr", group["lr"], low=0, low_open=True)
        check_real("weight_decay", group["weight_decay"], low=0)
        for flag in ("decoupled", "independent", "cautious"):
            check_bool(flag, group[flag])
        if group["independent"] and not group["decoupled"]:
            raise ValueError(
                "independent=True needs decoupled=True: the lr-independent shrink s_t·λ is a "
                "form of decoupled weight decay"
            )
        if group["cautious"] and not group["decoupled"]:
            raise ValueError(
                "cautious=True needs decoupled=True: cautious decay masks the decoupled shrink"
            )

    @torch.no_grad()
    def step(self, closure=None):
        """Take one step for every parameter that has a gradient; return ``closure()``'s loss."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        if any(
            p.grad is not None and p.grad.is_sparse for g in self.param_groups for p in g["params"]
        ):
            raise ValueError(
                f"{type(self).__name__} does not support sparse gradients; use "
                "nn.Embedding(sparse=False) or torch.optim.SparseAdam"
            )
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is not None:
                    self._step_param(param, param.grad, group)
            group["last_lr"] = group["lr"]  # η_t of this step, for ch2.shrink.effective_decay()
            group["last_weight_decay"] = group["weight_decay"]  # λ_t, which a scheduler may move
        return loss

    def _step_param(self, param: torch.Tensor, grad: torch.Tensor, group: dict) -> None:
        raise NotImplementedError

    def _weight_decay(
        self,
        param: torch.Tensor,
        grad: torch.Tensor,
        group: dict,
        update: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Apply weight decay to ``param`` or ``grad``; return the gradient the step should use.

        This is the whole difference between L2 and decoupled weight decay. Every optimizer
        calls it twice per parameter, at the two places where decay can enter:

        - ``update=None``, before its state (b_t, m_t, v_t) sees g_t: L2 acts here.
        - ``update=u_t``, just before θ moves by −η_t·u_t (any tensor with the sign of u_t will
          do): decoupled decay acts here. θ is still θ_{t−1}, and the state never sees the
          shrink. Cautious decay (chapter 8, Decay with other optimizers) needs u_t's sign.
        """
        # L2 acts before the state sees g_t, decoupled decay once u_t is known
        acts_here = group["decoupled"] == (update is not None)
        if group["weight_decay"] == 0 or not acts_here:
            return grad
        if not group["decoupled"]:
            # L2: g_t ← g_t + λ·θ_{t−1}, the gradient of (λ/2)·‖θ‖², from here on just gradient
            return grad.add(param, alpha=group["weight_decay"])
        shrink = self.shrink(group, group["lr"])
        if group["cautious"]:
            # θ ← θ_{t−1} − η_t·λ·𝕀(u_t⊙θ_{t−1} ≥ 0)⊙θ_{t−1}: decay only where the update
            # already pulls θ toward 0 (Chen et al. 2025, arXiv:2510.12402, Algorithm 1)
            param.sub_(param * (update * param >= 0), alpha=shrink)
        else:
            # θ ← (1 − η_t·λ)·θ_{t−1}  (or (1 − s_t·λ)·θ_{t−1}): g_t, b_t, m_t, v_t never see it
            param.mul_(1 - shrink)
        return grad

    @staticmethod
    def shrink(group: dict, lr: float) -> float:
        """The fraction of θ that decoupled decay removes in a step taken with learning rate lr."""
        if group["independent"]:
            # s_t·λ with s_t = η_t/η_0: Loshchilov & Hutter's Algorithm 2, λ a fraction per step
            lr_0 = group.get("initial_lr", group["lr_0"])
            return lr / lr_0 * group["weight_decay"]
        # η_t·λ: PyTorch's AdamW, the decay scaled by the learning rate
        return lr * group["weight_decay"]


class SGD(WeightDecayOptimizer):
    """Stochastic gradient descent with momentum and L2 or decoupled weight decay.

    Introduced in chapter 1 (The L2 penalty, derived).

    - ``decoupled=False`` is ``torch.optim.SGD(weight_decay=λ)``: g_t ← g_t + λ·θ_{t−1}. With
      momentum the decay term is accumulated in the buffer b_t like any gradient.
    - ``decoupled=True`` is SGDW in PyTorch's style: θ_t = (1 − η_t·λ)·θ_{t−1} − η_t·b_t with
      b_t = μ·b_{t−1} + g_t; the shrink uses the weights from before the step and never enters
      the buffer. Without momentum both are the same update, θ_t = (1 − η_t·λ)·θ_{t−1} − η_t·g_t.
    - ``independent=True`` (with ``decoupled=True``) shrinks by s_t·λ instead of η_t·λ, the
      decay term of Loshchilov & Hutter's Algorithm 1 (whose momentum buffer, unlike PyTorch's
      and ours, also holds η_t); λ is then a fraction per step (1e-2 = 1 % per step).
    - ``cautious=True`` (with ``decoupled=True``) shrinks only the coordinates where θ_{t−1} and
      b_t agree in sign (chapter 8, Decay with other optimizers).

    Args:
        params: tensors, or param-group dicts (e.g. from :func:`param_groups`).
        lr: η, > 0. momentum: μ >= 0. weight_decay: λ >= 0.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        decoupled: bool = False,
        independent: bool = False,
        cautious: bool = False,
    ) -> None:
        super().__init__(
            params, lr, weight_decay, decoupled, independent, cautious, momentum=momentum
        )

    def _check_group(self, group: dict) -> None:
        super()._check_group(group)
        check_real("momentum", group["momentum"], low=0)

    def _step_param(self, param: torch.Tensor, grad: torch.Tensor, group: dict) -> None:
        # PyTorch's single-tensor SGD, in its order of operations
        mu = group["momentum"]
        # L2: g_t ← g_t + λ·θ_{t−1}   (decoupled decay waits for the update u_t, below)
        grad = self._weight_decay(param, grad, group)
        if mu != 0:
            state = self.state[param]
            if "momentum_buffer" not in state:
                # b_1 = g_1
                state["momentum_buffer"] = grad.detach().clone()
            else:
                # b_t = μ·b_{t−1} + g_t
                state["momentum_buffer"].mul_(mu).add_(grad)
            grad = state["momentum_buffer"]
        # decoupled: θ ← (1 − η_t·λ)·θ_{t−1}, or cautious: only where u_t = b_t and θ agree in sign
        self._weight_decay(param, grad, group, update=grad)
        # θ_t = θ − η_t·b_t   (θ is θ_{t−1}, already shrunk if decoupled; b_t = g_t if μ = 0)
        param.add_(grad, alpha=-group["lr"])


class Adam(WeightDecayOptimizer):
    """Adam with L2 (``decoupled=False``) or decoupled (``decoupled=True``) weight decay.

    Introduced in chapter 2 (L2 inside Adam is not weight decay).

    - ``decoupled=False`` is ``torch.optim.Adam(weight_decay=λ)``: λ·θ is added to g_t, so it
      passes through m_t and v_t and ends up divided by √v̂_t.
    - ``decoupled=True`` is ``torch.optim.AdamW(weight_decay=λ)``: θ is shrunk by η_t·λ before
      the Adam step, and the moments see only the loss gradient.
    - ``independent=True`` (needs ``decoupled=True``) shrinks by s_t·λ, with s_t = η_t/η_0 the
      schedule multiplier of Loshchilov & Hutter's Algorithm 2, not multiplied by the base
      learning rate. η_0 is the group's ``initial_lr`` when a scheduler set one, otherwise its lr
      when it was added to the optimizer. λ is then a fraction per step: 1e-2 removes 1 % of θ
      per step at full learning rate, and λ_independent = η_0·λ_PyTorch gives the same run.
    - ``cautious=True`` (needs ``decoupled=True``) shrinks only the coordinates where θ_{t−1}
      and the update m̂_t/(√v̂_t + ε) agree in sign: Chen et al. 2025's cautious weight decay
      (chapter 8, Decay with other optimizers).

    Args:
        params: tensors, or param-group dicts (e.g. from :func:`param_groups`).
        lr: η > 0. betas: (β1, β2), each in [0, 1). eps: ε >= 0. weight_decay: λ >= 0.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decoupled: bool = False,
        independent: bool = False,
        cautious: bool = False,
    ) -> None:
        super().__init__(
            params, lr, weight_decay, decoupled, independent, cautious, betas=betas, eps=eps
        )

    def _check_group(self, group: dict) -> None:
        super()._check_group(group)
        check_real("eps", group["eps"], low=0)
        check_betas("betas", group["betas"])

    def _step_param(self, param: torch.Tensor, grad: torch.Tensor, group: dict) -> None:
        # PyTorch's single-tensor Adam, in its order of operations, so the two agree to rounding
        beta1, beta2 = group["betas"]
        state = self.state[param]
        if not state:
            state["step"] = 0
            state["exp_avg"] = torch.zeros_like(param)  # m_0 = 0
            state["exp_avg_sq"] = torch.zeros_like(param)  # v_0 = 0
        state["step"] += 1
        t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]

        # L2: g_t ← g_t + λ·θ_{t−1}   (decoupled decay waits for the update u_t, below)
        grad = self._weight_decay(param, grad, group)
        # m_t = β1·m_{t−1} + (1 − β1)·g_t   (as m_{t−1} + (1 − β1)·(g_t − m_{t−1}))
        m.lerp_(grad, 1 - beta1)
        # v_t = β2·v_{t−1} + (1 − β2)·g_t²
        v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        # m̂_t = m_t/(1 − β1^t),  v̂_t = v_t/(1 − β2^t)
        bias_correction1 = 1 - beta1**t
        bias_correction2 = 1 - beta2**t
        # √v̂_t + ε
        denom = (v.sqrt() / bias_correction2**0.5).add_(group["eps"])
        # decoupled: θ ← (1 − η_t·λ)·θ_{t−1}, or cautious: only where u_t = m̂_t/(√v̂_t + ε)
        # (which has the sign of m_t) and θ agree in sign
        self._weight_decay(param, grad, group, update=m)
        # θ_t = θ − η_t·m̂_t/(√v̂_t + ε)   (θ is θ_{t−1}, already shrunk if decoupled)
        param.addcdiv_(m, denom, value=-group["lr"] / bias_correction1)


class AdamW(Adam):
    """Adam with decoupled weight decay: equal to ``torch.optim.AdamW`` (same defaults).

    Introduced in chapter 2 (L2 inside Adam is not weight decay). Each step is
    θ_t = (1 − η_t·λ)·θ_{t−1} − η_t·m̂_t/(√v̂_t + ε); with ``independent=True`` the shrink is s_t·λ,
    and ``cautious=True`` applies it only where θ and the update agree in sign (see :class:`Adam`).
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        independent: bool = False,
        cautious: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, True, independent, cautious)
