"""Chapter 2's figures: every slider setting draws finite curves, fast enough to drag."""

import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers.ch2 import grid as decay_grid  # noqa: E402
from helpers.ch2.figures import (  # noqa: E402
    HERO_LAMBDAS,
    HERO_LRS,
    curves_figure,
    effective_decay_figure,
    endpoints_figure,
    grid_figure,
    hero,
)
from helpers.widgets import LiveFigure, selection_slider, static_slider  # noqa: E402


@pytest.fixture
def hero_frames():
    fig, update = hero()
    yield fig, update
    plt.close(fig)


def drawn_lines(fig):
    return [line for ax in fig.axes for line in ax.get_lines() if len(line.get_xdata()) > 2]


@pytest.mark.parametrize("lam", [0.0, max(HERO_LAMBDAS)])
@pytest.mark.parametrize("lr", [min(HERO_LRS), max(HERO_LRS)])
def test_every_slider_extreme_draws_finite_curves(hero_frames, lam, lr):
    fig, update = hero_frames
    update(lam, lr)
    lines = drawn_lines(fig)
    assert len(lines) == 6  # two optimizers × (plane, w₂, w₁)
    for line in lines:
        assert np.isfinite(np.asarray(line.get_ydata(), dtype=float)).all()
    assert "nan" not in fig._suptitle.get_text()


def test_lambda_zero_makes_the_two_optimizers_identical(hero_frames):
    fig, update = hero_frames
    update(0.0, 1e-2)
    plane = fig.axes[0].get_lines()
    np.testing.assert_array_equal(plane[0].get_ydata(), plane[2].get_ydata())


def test_adamw_box_is_drawn_on_every_frame_and_holds_adamw(hero_frames):
    """The box ‖w‖∞ ≤ 1/λ (Xie & Li) on every slider setting; AdamW's whole path inside it."""
    fig, update = hero_frames
    plane, time_axes = fig.axes[:2]
    box = next(p for p in plane.patches if p.get_gid() == "adamw-box")
    edge_line = next(line for line in time_axes.get_lines() if line.get_gid() == "adamw-box-edge")
    for lr in HERO_LRS:
        for lam in HERO_LAMBDAS:
            update(lam, lr)
            assert box.get_visible() == edge_line.get_visible() == (lam > 0)
            if lam == 0:
                continue
            edge = 1 / lam
            np.testing.assert_allclose(box.get_bbox().bounds, (-edge, -edge, 2 * edge, 2 * edge))
            assert edge_line.get_ydata()[0] == edge
            adamw = plane.get_lines()[2]  # AdamW's path in the plane
            path = np.column_stack([adamw.get_xdata(), adamw.get_ydata()])
            # measured: at most 0.9998/λ over these settings (the path creeps up to the edge)
            assert np.abs(path).max() <= edge
            labels = [text.get_text() for text in fig.legends[0].get_texts()]
            assert any(f"1/λ = {edge:.3g}" in label for label in labels)


def test_live_figure_with_both_sliders_redraws_quickly(hero_frames):
    fig, update = hero_frames
    controls = {
        "lam": selection_slider(HERO_LAMBDAS, "λ", 0.1),
        "lr": selection_slider(HERO_LRS, "η", 1e-2),
    }
    live = LiveFigure(fig, update, controls)
    before = live.image.value
    live.controls["lam"].value = 1.0
    live.controls["lr"].value = max(HERO_LRS)
    assert live.redraws == 3 and live.image.value != before
    start = time.perf_counter()
    live.redraw()
    # generous: the chapter's budget is 0.3 s; this only catches a redraw gone badly wrong
    assert time.perf_counter() - start < 2.0


def test_static_twin_has_one_distinct_frame_per_lambda(hero_frames):
    fig, update = hero_frames
    page = static_slider(fig, lambda lam: update(lam, 1e-2), HERO_LAMBDAS, "λ", value=0.1).data
    frames = page.split("<script>")[1].count("data:image/png;base64,")
    assert frames == len(HERO_LAMBDAS)


def test_the_other_figures_draw_with_labelled_axes():
    grids = decay_grid.load().grids()
    figures = [
        grid_figure(list(grids.values())),
        effective_decay_figure(
            {"adam_l2": np.logspace(-6, -2, 50), "adamw": np.full(50, 1e-4)}, 1e-3, 1e-2
        ),
        endpoints_figure(
            np.array([0.1, 1.0]),
            {"adam_l2": np.ones((2, 2)), "adamw": np.ones((2, 2))},
            np.ones((2, 2)),
            1e-2,
        ),
        curves_figure(np.arange(3), {"a": {"λ = 0.1": np.ones(3)}}, {"λ = 0.1": "k"}, "θ"),
    ]
    for fig in figures:
        for ax in fig.axes:
            if ax.get_label() != "<colorbar>":
                assert ax.get_xlabel() and (ax.get_ylabel() or ax.get_title())
        plt.close(fig)
