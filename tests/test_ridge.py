"""Chapter 1's ridge helpers: data, solvers, gradient descent and the figures with their sliders."""

import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from helpers.ch1.figures import (  # noqa: E402
    COEF_YLIM,
    FIT_YLIM,
    HERO_LAMBDAS,
    LambdaAxis,
    distance_figure,
    hero,
    shrinkage_figure,
    validation_figure,
)
from helpers.ch1.ridge import (  # noqa: E402
    RidgeConfig,
    check_lambda,
    data_gradient,
    gradient_descent,
    make_data,
    max_stable_lr,
    penalised_loss,
    polynomial_features,
    ridge_closed_form,
    ridge_lstsq,
    ridge_path,
    ridge_svd,
    shrinkage_factors,
    torch_trajectory,
)
from helpers.widgets import live_slider, static_slider  # noqa: E402

DATA = make_data()
X, Y = DATA.X_train, DATA.y_train
N = len(Y)
SOLVERS = (ridge_closed_form, ridge_svd, ridge_lstsq)


def random_problem(n, p, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, p)), rng.normal(size=n)


# --- data -------------------------------------------------------------------------------------


def test_data_are_seeded_in_range_and_split():
    again, other = make_data(), make_data(RidgeConfig(seed=1))
    assert np.array_equal(DATA.y_train, again.y_train) and np.array_equal(DATA.x_val, again.x_val)
    assert not np.array_equal(DATA.y_train, other.y_train)
    config = DATA.config
    assert DATA.X_train.shape == (config.n_train, config.degree + 1)
    assert DATA.X_val.shape == (config.n_val, config.degree + 1)
    for x in (DATA.x_train, DATA.x_val):
        assert np.all(np.abs(x) <= 1)
    assert np.all(np.diff(DATA.x_train) > 0), "a jittered grid: distinct, increasing inputs"
    assert not set(DATA.x_train) & set(DATA.x_val)


def test_features_are_monomials():
    x = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    features = polynomial_features(x, 3)
    assert np.allclose(features, np.stack([np.ones(5), x, x**2, x**3], axis=1))


# --- solvers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("lam", [1e-8, 1e-4, 1e-2, 1.0, 1e3])
def test_three_solvers_agree(lam):
    reference = ridge_svd(X, Y, lam)
    for solve in (ridge_closed_form, ridge_lstsq):
        assert np.allclose(solve(X, Y, lam), reference, rtol=1e-8, atol=1e-12), solve.__name__
    # and they solve the equation: ∇L̃(w_λ) = Xᵀ(Xw − y)/N + λw = 0
    gradient = data_gradient(X, Y, reference) + lam * reference
    assert np.abs(gradient).max() < 1e-10


def test_solvers_at_lambda_zero_are_least_squares():
    least_squares = np.linalg.lstsq(X, Y, rcond=None)[0]
    assert np.allclose(ridge_svd(X, Y, 0.0), least_squares, rtol=1e-9)
    assert np.allclose(ridge_lstsq(X, Y, 0.0), least_squares, rtol=1e-9)
    # the normal equations square cond(X) ≈ 1e6: about six digits are left
    closed = ridge_closed_form(X, Y, 0.0)
    assert np.linalg.norm(closed - least_squares) / np.linalg.norm(least_squares) < 1e-4


def test_more_weights_than_points():
    Xw, y = random_problem(5, 12)
    for lam in (1e-3, 1.0):
        results = [solve(Xw, y, lam) for solve in SOLVERS]
        assert all(np.allclose(r, results[0], rtol=1e-9) for r in results)
    # λ = 0: the SVD route gives the minimum-norm interpolant, as the pseudo-inverse does
    assert np.allclose(ridge_svd(Xw, y, 0.0), np.linalg.pinv(Xw) @ y, rtol=1e-9)


def test_mean_convention_against_the_summed_textbook_formula():
    Xr, y = random_problem(30, 4)
    lam = 0.3
    textbook = np.linalg.solve(Xr.T @ Xr + 30 * lam * np.eye(4), Xr.T @ y)
    assert np.allclose(ridge_closed_form(Xr, y, lam), textbook, rtol=1e-12)
    # a duplicated data set leaves the mean-convention solution unchanged
    doubled = ridge_closed_form(np.vstack([Xr, Xr]), np.concatenate([y, y]), lam)
    assert np.allclose(doubled, ridge_closed_form(Xr, y, lam), rtol=1e-10)


def test_shrinkage_factors():
    U, d, _ = np.linalg.svd(X, full_matrices=False)
    lam = 1e-4
    factors = shrinkage_factors(d, lam, N)
    fitted = X @ ridge_svd(X, Y, lam)
    assert np.allclose(U.T @ fitted, factors * (U.T @ Y), rtol=1e-9, atol=1e-12)
    assert np.all(shrinkage_factors(d, 0.0, N) == 1)
    j = 4
    assert shrinkage_factors(d, d[j] ** 2 / N, N)[j] == pytest.approx(0.5, rel=1e-12)
    assert np.all(np.diff(factors) <= 0), "larger singular values keep more"


@pytest.mark.parametrize("lam", [*HERO_LAMBDAS, 1e6])
def test_every_slider_value_and_a_huge_lambda_give_finite_fits(lam):
    for solve in (ridge_svd, ridge_lstsq, ridge_closed_form):
        w = solve(X, Y, lam)
        assert np.all(np.isfinite(w)), solve.__name__
    assert np.linalg.norm(ridge_svd(X, Y, 1e6)) < 1e-5


def test_ridge_path_is_monotone_in_lambda():
    lambdas = np.concatenate([[0.0], np.logspace(-12, 2, 30)])
    path = ridge_path(DATA, lambdas)
    assert np.all(np.diff(path["train_mse"]) >= -1e-12)
    norms = np.linalg.norm(path["weights"], axis=1)
    assert np.all(np.diff(norms) <= 1e-9 * norms[:-1])
    best = np.argmin(path["val_mse"])
    assert 0 < best < len(lambdas) - 1, "the validation curve has an interior minimum"


# --- gradient descent -------------------------------------------------------------------------


def test_penalised_gradient_matches_autograd():
    rng = np.random.default_rng(1)
    w, lam = rng.normal(size=X.shape[1]), 0.05
    w_t = torch.tensor(w, requires_grad=True)
    loss = 0.5 * ((torch.tensor(X) @ w_t - torch.tensor(Y)) ** 2).mean() + lam / 2 * (w_t**2).sum()
    loss.backward()
    assert loss.item() == pytest.approx(penalised_loss(X, Y, w, lam), rel=1e-13)
    assert np.allclose(w_t.grad.numpy(), data_gradient(X, Y, w) + lam * w, rtol=1e-12)


def test_gradient_descent_is_torch_sgd_with_weight_decay():
    start = ridge_svd(X, Y, 0.0)
    ours = gradient_descent(X, Y, 0.1, 0.5, 200, start)
    theirs = torch_trajectory(
        X, Y, lambda ps: torch.optim.SGD(ps, lr=0.5, weight_decay=0.1), 200, start
    )
    assert ours.shape == (201, X.shape[1])
    assert np.abs(ours - theirs).max() < 1e-12 * np.abs(ours).max()


def test_torch_trajectory_penalty_equals_weight_decay():
    by_decay = torch_trajectory(X, Y, lambda ps: torch.optim.SGD(ps, lr=0.3, weight_decay=0.2), 30)
    by_penalty = torch_trajectory(X, Y, lambda ps: torch.optim.SGD(ps, lr=0.3), 30, penalty=0.2)
    assert np.allclose(by_decay, by_penalty, rtol=1e-12, atol=1e-15)


def test_gradient_descent_reaches_the_closed_form():
    lam = 1e-2
    path = gradient_descent(X, Y, lam, 0.9 * max_stable_lr(X, lam) / 2, 4000)
    assert np.allclose(path[-1], ridge_closed_form(X, Y, lam), rtol=1e-9, atol=1e-12)


def test_divergence_warns_and_keeps_the_finite_steps():
    lr = 3 * max_stable_lr(X, 0.0)
    with pytest.warns(RuntimeWarning, match="diverged"):
        path = gradient_descent(X, Y, 0.0, lr, 5000)
    assert 1 < len(path) < 5001 and np.all(np.isfinite(path))


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize("lam", [-1e-3, float("nan"), float("inf"), "big", None])
def test_bad_lambda_is_rejected_with_its_name_and_range(lam):
    for call in (
        lambda: check_lambda(lam),
        lambda: ridge_svd(X, Y, lam),
        lambda: ridge_closed_form(X, Y, lam),
        lambda: ridge_lstsq(X, Y, lam),
        lambda: shrinkage_factors(np.ones(3), lam, 3),
        lambda: gradient_descent(X, Y, lam, 0.1, 5),
    ):
        with pytest.raises(ValueError, match=r"lam must be a finite number ≥ 0"):
            call()
    with pytest.raises(ValueError, match="lambdas"):
        ridge_path(DATA, [0.0, lam])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: gradient_descent(X, Y, 0.1, 0.0, 5), "lr must be a finite number > 0"),
        (lambda: gradient_descent(X, Y, 0.1, -1.0, 5), "lr must be"),
        (lambda: gradient_descent(X, Y, 0.1, 0.1, -1), "steps must be an integer ≥ 0"),
        (lambda: polynomial_features(np.array([0.0, 1.5]), 3), r"x must be .* in \[-1, 1\]"),
        (lambda: polynomial_features(np.zeros(3), -1), "degree must be an integer ≥ 0"),
        (lambda: RidgeConfig(n_train=1), "n_train must be an integer ≥ 2"),
        (lambda: RidgeConfig(noise=-0.1), "noise must be a finite number ≥ 0"),
        (lambda: RidgeConfig(seed=-1), r"seed must be an integer in \[0, 2\*\*63\)"),
        (lambda: ridge_svd(X, Y[:-1], 0.1), r"X must be \(N, p\) and y \(N,\)"),
        (lambda: shrinkage_factors(np.ones(3), 0.1, 0), "n must be an integer ≥ 1"),
        (lambda: LambdaAxis([0.0]), "at least one λ > 0"),
        (
            lambda: torch_trajectory(X, Y, torch.optim.SGD, 1, penalty=-1),
            "penalty must be a finite number ≥ 0",
        ),
    ],
)
def test_bad_input_names_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- figures and sliders ----------------------------------------------------------------------


def test_live_slider_redraws_the_hero_when_lambda_changes():
    fig, update = hero(DATA, HERO_LAMBDAS)
    live = live_slider(fig, update, HERO_LAMBDAS, "λ", value=0.0)
    fit_line = fig.axes[0].lines[-1]
    before_fit = fit_line.get_ydata().copy()
    before_bars = [bar.get_height() for bar in fig.axes[1].patches]
    before_png = live.image.value
    live.controls["value"].value = 1e-4  # what dragging the handle does
    assert live.redraws == 2
    assert not np.allclose(fit_line.get_ydata(), before_fit)
    assert max(bar.get_height() for bar in fig.axes[1].patches) < min(max(before_bars), 10)
    assert "λ = 0.0001" in fig.axes[0].get_title()
    assert live.image.value != before_png


@pytest.mark.parametrize("lam", [HERO_LAMBDAS[0], HERO_LAMBDAS[-1]])
def test_hero_extremes_are_finite_with_fixed_axes(lam):
    fig, update = hero(DATA, HERO_LAMBDAS)
    update(lam)
    fit, coefficients = fig.axes
    assert np.all(np.isfinite(fit.lines[-1].get_ydata()))
    heights = [bar.get_height() for bar in coefficients.patches]
    assert np.all(np.isfinite(heights)) and min(heights) > 0, "log axis needs positive bars"
    assert fit.get_ylim() == FIT_YLIM and coefficients.get_ylim() == pytest.approx(COEF_YLIM)
    plt.close(fig)


def test_static_slider_has_a_distinct_frame_per_lambda():
    fig, update = hero(DATA, HERO_LAMBDAS)
    page = static_slider(fig, update, HERO_LAMBDAS, "λ", value=0.0).data
    frames = re.findall(r'"data:image/png;base64,[^"]+"', page.split("<script>")[1])
    assert len(frames) == len(HERO_LAMBDAS) == len(set(frames))
    assert "λ = 0" in page and 'value="0"' in page


def test_lambda_axis_places_zero_one_decade_left():
    axis = LambdaAxis([0.0, 1e-6, 1e-2, 10.0])
    assert axis.position(0.0) == -7 and axis.position(1e-2) == pytest.approx(-2)
    assert list(axis.position([0.0, 1.0])) == [-7, 0]


def test_chapter_figures_draw_finite_data():
    path = ridge_path(DATA, np.concatenate([[0.0], np.logspace(-10, 1, 12)]))
    d = np.linalg.svd(X, compute_uv=False)
    runs = {"gradient descent": gradient_descent(X, Y, 0.1, 0.5, 20)}
    figures = [
        validation_figure(path, DATA.config.noise, title="U"),
        shrinkage_figure(d, N, np.logspace(-14, 2, 50)),
        distance_figure(runs, ridge_svd(X, Y, 0.1), r"w_\lambda"),
    ]
    for fig in figures:
        for ax in fig.axes:
            for line in ax.lines:
                assert np.all(np.isfinite(np.asarray(line.get_ydata(), dtype=float)))
        fig.canvas.draw()  # the TeX labels parse
        plt.close(fig)
