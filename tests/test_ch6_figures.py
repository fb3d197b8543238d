"""helpers.ch6.figures: every slider value draws (λ = 0 included), a bad one is named."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from helpers.ch6 import figures, sweep  # noqa: E402


@pytest.fixture(scope="module")
def stored():
    return sweep.load()


def test_hero_draws_every_lambda(stored):
    fig, update = figures.hero(stored)
    ax_run = fig.axes[0]
    for lam in sweep.LAMBDAS:
        update(lam)
        labels = [line.get_label() for line in ax_run.get_lines()]
        assert f"λ = {lam:g}, constant η" in labels
        assert ("λ = 0" in labels) == (lam != 0)  # λ = 0 drawn once, as itself
    plt.close(fig)


def test_hero_refuses_a_lambda_it_has_not_stored(stored):
    fig, update = figures.hero(stored)
    with pytest.raises(ValueError, match="λ"):
        update(0.5)
    plt.close(fig)


def test_mechanism_draws_norms_angles_and_the_control(stored):
    fig = figures.mechanism(stored)
    assert len(fig.axes) == 3
    assert any("control" in line.get_label() for line in fig.axes[2].get_lines())
    plt.close(fig)
