"""Ridge regression on a small polynomial problem: the worked example of chapter 1.

Chapter 1 ("The L2 penalty, derived") fits a degree-14 polynomial to 16 noisy samples of a sine
and penalises its coefficients w with (λ/2)‖w‖². Everything is float64 NumPy except
:func:`torch_trajectory`, which runs a ``torch.optim`` optimizer on the same loss.

Loss convention (book/notation.md): the data loss is a *mean* over the N training points,

    L(w) = 1/(2N) ‖Xw − y‖²  (half the mean squared error),   L̃(w) = L(w) + (λ/2)‖w‖²,

so the minimiser of L̃ is w_λ = (XᵀX + NλI)⁻¹Xᵀy. Textbooks that *sum* the loss write
(XᵀX + λI)⁻¹Xᵀy: their λ is our Nλ.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from helpers.checks import check_int, check_real, check_seed


@dataclass(frozen=True)
class RidgeConfig:
    """Chapter 1's data set; the defaults are what the chapter shows."""

    n_train: int = 16  # training points: few, so a degree-14 polynomial can nearly memorise them
    n_val: int = 200  # validation points, drawn independently from the same distribution
    degree: int = 14  # polynomial degree; the model has degree + 1 coefficients
    noise: float = 0.25  # standard deviation σ of the Gaussian noise on every target
    seed: int = 0  # one seed fixes the inputs, the noise and so the train/validation split

    def __post_init__(self):
        checked = dict(
            n_train=check_int("n_train", self.n_train, low=2),
            n_val=check_int("n_val", self.n_val, low=1),
            degree=check_int("degree", self.degree, low=0),
            noise=check_real("noise", self.noise, low=0),
            seed=check_seed("seed", self.seed),
        )
        for name, value in checked.items():
            object.__setattr__(self, name, value)


@dataclass(frozen=True)
class RidgeData:
    """Inputs and targets of the fixed train/validation split, and their feature matrices."""

    config: RidgeConfig
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    X_train: np.ndarray = field(repr=False)
    X_val: np.ndarray = field(repr=False)


def true_function(x: np.ndarray) -> np.ndarray:
    """The noise-free target the data are sampled from."""
    return np.sin(np.pi * x)


def check_lambda(lam: float, name: str = "lam") -> float:
    """λ as a float, or a ValueError naming the argument and the allowed range [0, ∞)."""
    return check_real(name, lam, low=0)


def polynomial_features(x: np.ndarray, degree: int) -> np.ndarray:
    """The monomials 1, x, x², …, x^degree as columns, for inputs scaled into [-1, 1].

    On [-1, 1] every feature stays in [-1, 1], so no power dwarfs the others (on [0, 10], x¹⁴
    would be 10¹⁴). High powers are still nearly collinear: at degree 14 on 16 points the
    condition number of X is about 10⁶, which :func:`ridge_svd` and :func:`ridge_lstsq` handle
    to about 10⁻¹⁰ and the normal equations of :func:`ridge_closed_form` to about 10⁻⁶ at λ = 0.
    """
    degree = check_int("degree", degree, low=0)
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or not np.all(np.abs(x) <= 1):
        raise ValueError("x must be a 1-D array of values in [-1, 1]")
    return np.vander(x, degree + 1, increasing=True)


def make_data(config: RidgeConfig = RidgeConfig()) -> RidgeData:
    """The chapter's data: a jittered grid of training inputs, uniform validation inputs."""
    if not isinstance(config, RidgeConfig):
        raise ValueError(f"config must be a RidgeConfig, got {config!r}")
    n_train, n_val = config.n_train, config.n_val
    rng = np.random.default_rng(config.seed)
    # A grid with each point moved by up to half a spacing: no large gaps, no duplicates.
    spacing = 2 / (n_train - 1)
    grid = np.linspace(-1, 1, n_train) + rng.uniform(-0.5, 0.5, n_train) * spacing
    x_train = np.clip(grid, -1, 1)
    y_train = true_function(x_train) + config.noise * rng.standard_normal(n_train)
    x_val = rng.uniform(-1, 1, n_val)
    y_val = true_function(x_val) + config.noise * rng.standard_normal(n_val)
    return RidgeData(
        config,
        x_train,
        y_train,
        x_val,
        y_val,
        polynomial_features(x_train, config.degree),
        polynomial_features(x_val, config.degree),
    )


def _check_problem(
    X: np.ndarray, y: np.ndarray, lam: float, name: str = "lam"
) -> tuple[int, int, float]:
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0]:
        raise ValueError(f"X must be (N, p) and y (N,), got X {X.shape} and y {y.shape}")
    return X.shape[0], X.shape[1], check_lambda(lam, name)


def mse(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """Mean squared error (1/N)‖Xw − y‖², the number the figures report."""
    return float(np.mean((X @ w - y) ** 2))


def data_loss(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    # L(w) = 1/(2N) ‖Xw − y‖²
    return 0.5 * mse(X, y, w)


def penalised_loss(X: np.ndarray, y: np.ndarray, w: np.ndarray, lam: float) -> float:
    # L̃(w) = L(w) + (λ/2)‖w‖²
    return data_loss(X, y, w) + 0.5 * check_lambda(lam) * float(w @ w)


def data_gradient(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    # ∇L(w) = Xᵀ(Xw − y) / N
    return X.T @ (X @ w - y) / X.shape[0]


def ridge_closed_form(X: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    """w_λ = (XᵀX + NλI)⁻¹Xᵀy by one linear solve (needs XᵀX invertible when λ = 0)."""
    n, p, lam = _check_problem(X, y, lam)
    # ∇L̃ = Xᵀ(Xw − y)/N + λw = 0  ⇔  (XᵀX + NλI) w = Xᵀy
    return np.linalg.solve(X.T @ X + n * lam * np.eye(p), X.T @ y)


def ridge_svd(X: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    """w_λ through the SVD X = U D Vᵀ: each direction v_j gets d_j/(d_j² + Nλ) · u_jᵀy."""
    n, _, lam = _check_problem(X, y, lam)
    U, d, Vt = np.linalg.svd(X, full_matrices=False)
    denominator = d**2 + n * lam
    # Directions with d_j = 0 at λ = 0 get 0: the minimum-norm least-squares solution.
    scale = np.divide(d, denominator, out=np.zeros_like(d), where=denominator > 0)
    return Vt.T @ (scale * (U.T @ y))


def ridge_lstsq(X: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    """w_λ as plain least squares on data augmented with p rows √(Nλ)·I and targets 0."""
    n, p, lam = _check_problem(X, y, lam)
    # ‖[X; √(Nλ) I] w − [y; 0]‖² = ‖Xw − y‖² + Nλ‖w‖² = 2N · L̃(w)
    A = np.vstack([X, math.sqrt(n * lam) * np.eye(p)])
    b = np.concatenate([y, np.zeros(p)])
    return np.linalg.lstsq(A, b, rcond=None)[0]


def shrinkage_factors(d: np.ndarray, lam: float, n: int) -> np.ndarray:
    """d_j²/(d_j² + Nλ): how much ridge keeps of the fit along singular direction j of X."""
    lam = check_lambda(lam)
    n = check_int("n", n, low=1)
    d = np.asarray(d, dtype=np.float64)
    return d**2 / (d**2 + n * lam)


def max_stable_lr(X: np.ndarray, lam: float) -> float:
    """2/(h_max + λ), h_max the largest eigenvalue of XᵀX/N: above it, gradient descent on L̃
    diverges."""
    lam = check_lambda(lam)
    h_max = np.linalg.eigvalsh(X.T @ X / X.shape[0])[-1]
    return float(2 / (h_max + lam))


def gradient_descent(
    X: np.ndarray,
    y: np.ndarray,
    lam: float,
    lr: float,
    steps: int,
    w0: np.ndarray | None = None,
) -> np.ndarray:
    """Gradient descent on L̃ written as a decay; returns w after every step, shape (steps+1, p).

    If the weights stop being finite (lr too large) it warns and returns the steps so far.
    """
    _, p, lam = _check_problem(X, y, lam)
    lr = check_real("lr", lr, low=0, low_open=True)
    steps = check_int("steps", steps, low=0)
    w = np.zeros(p) if w0 is None else np.array(w0, dtype=np.float64)
    path = [w]
    for t in range(steps):
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
            # w ← (1 − ηλ) w − η ∇L(w): the penalty's gradient step is a multiplicative shrink
            w = (1 - lr * lam) * w - lr * data_gradient(X, y, w)
        if not np.all(np.isfinite(w)):
            warnings.warn(
                f"gradient descent diverged at step {t + 1} (lr={lr:g}); "
                f"returning the {t + 1} finite steps",
                RuntimeWarning,
                stacklevel=2,
            )
            break
        path.append(w)
    return np.stack(path)


def torch_trajectory(
    X: np.ndarray,
    y: np.ndarray,
    make_optimizer: Callable[[Sequence[torch.Tensor]], torch.optim.Optimizer],
    steps: int,
    w0: np.ndarray | None = None,
    penalty: float = 0.0,
) -> np.ndarray:
    """Minimise L(w) + (penalty/2)‖w‖² with a torch optimizer, in float64; w after every step.

    ``make_optimizer([w])`` builds the optimizer, e.g. ``lambda ps: torch.optim.SGD(ps, lr=0.1)``.
    The penalty goes through autograd; an optimizer's own ``weight_decay`` is its business.
    """
    _, p, penalty = _check_problem(X, y, penalty, "penalty")
    steps = check_int("steps", steps, low=0)
    Xt, yt = torch.as_tensor(X, dtype=torch.float64), torch.as_tensor(y, dtype=torch.float64)
    start = np.zeros(p) if w0 is None else np.asarray(w0, dtype=np.float64)
    w = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = make_optimizer([w])
    path = [start.copy()]
    for _ in range(steps):
        optimizer.zero_grad()
        # L(w) + (penalty/2)‖w‖², with L = 1/(2N)‖Xw − y‖²
        loss = 0.5 * ((Xt @ w - yt) ** 2).mean() + 0.5 * penalty * (w * w).sum()
        loss.backward()
        optimizer.step()
        path.append(w.detach().numpy().copy())
    return np.stack(path)


def ridge_path(data: RidgeData, lambdas: Sequence[float]) -> dict[str, np.ndarray]:
    """Closed-form fits for every λ: their weights, train MSE and validation MSE."""
    lambdas = np.array([check_lambda(lam, "lambdas") for lam in lambdas])
    # The SVD route: accurate at λ = 0 too, where the normal equations lose digits.
    weights = np.stack([ridge_svd(data.X_train, data.y_train, lam) for lam in lambdas])
    return {
        "lambdas": lambdas,
        "weights": weights,
        "train_mse": np.mean((weights @ data.X_train.T - data.y_train) ** 2, axis=1),
        "val_mse": np.mean((weights @ data.X_val.T - data.y_val) ** 2, axis=1),
    }
