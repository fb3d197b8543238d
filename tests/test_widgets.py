"""Live sliders redraw on a programmatic change; static sliders embed one frame per value."""

import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers.widgets import LiveFigure, live_slider, selection_slider, static_slider  # noqa: E402

VALUES = [0.0, 0.1, 1.0, 10.0]


def sine_figure():
    fig, ax = plt.subplots()
    x = np.linspace(0, 1, 50)
    (line,) = ax.plot(x, np.zeros_like(x))

    def update(value):
        line.set_ydata(np.sin(2 * np.pi * x) * value)
        ax.set_title(f"λ = {value:g}")

    return fig, line, update


def test_selection_slider_holds_zero_and_does_not_update_while_dragging():
    slider = selection_slider(VALUES, "λ", 0.0)
    assert slider.value == 0.0 and slider.options[0] == ("0", 0.0)
    assert slider.continuous_update is False
    with pytest.raises(ValueError, match="value must be one of 0.0, 0.1, 1.0, 10.0, got 0.5"):
        selection_slider(VALUES, "λ", 0.5)
    with pytest.raises(ValueError, match="non-empty"):
        selection_slider([], "λ")


def test_live_slider_redraws_the_figure_when_the_value_changes():
    fig, line, update = sine_figure()
    live = live_slider(fig, update, VALUES, "λ", value=0.1)
    assert isinstance(live, LiveFigure) and live.redraws == 1
    before_data, before_png = line.get_ydata().copy(), live.image.value
    live.controls["value"].value = 10.0  # what dragging the handle does
    assert live.redraws == 2, "the callback did not finish"
    assert not np.allclose(line.get_ydata(), before_data)
    assert live.image.value != before_png
    live.controls["value"].value = 10.0  # unchanged value: no extra redraw
    assert live.redraws == 2


def test_live_figure_with_two_controls():
    fig, ax = plt.subplots()
    (line,) = ax.plot([0, 1], [0, 0])
    calls = []

    def update(lam, lr):
        calls.append((lam, lr))
        line.set_ydata([lam, lr])

    live = LiveFigure(
        fig,
        update,
        {
            "lam": selection_slider(VALUES, "λ", 0.0),
            "lr": selection_slider([1e-3, 1e-2], "η", 1e-3),
        },
    )
    live.controls["lr"].value = 1e-2
    assert calls == [(0.0, 1e-3), (0.0, 1e-2)]


def test_static_slider_embeds_one_distinct_frame_per_value():
    fig, _, update = sine_figure()
    page = static_slider(fig, update, VALUES, "λ", value=1.0).data
    frames = re.findall(r'"data:image/png;base64,[^"]+"', page.split("<script>")[1])
    assert len(frames) == len(VALUES) and len(set(frames)) == len(VALUES)
    assert 'value="2"' in page and "λ = 1" in page  # starts at the requested value
    assert 'max="3"' in page
    assert plt.fignum_exists(fig.number) is False


def test_static_sliders_get_unique_ids():
    pages = []
    for _ in range(2):
        fig, _, update = sine_figure()
        pages.append(static_slider(fig, update, VALUES, "λ").data)
    ids = [re.search(r'id="(wdd-slider-\d+)"', p).group(1) for p in pages]
    assert ids[0] != ids[1]


def test_palette_png_is_smaller_and_still_a_png():
    fig, _, update = sine_figure()
    update(1.0)
    from helpers.frames import figure_png

    full, small = figure_png(fig), figure_png(fig, palette=True)
    assert small.startswith(b"\x89PNG") and len(small) < len(full)
    plt.close(fig)


def counting_panel(run, threaded=False):
    """A RunPanel over a one-line figure whose run draws ``value`` and reports 10 steps."""
    from helpers.run_panel import RunPanel

    fig, ax = plt.subplots()
    (line,) = ax.plot([0, 1], [0, 0])
    controls = {"value": selection_slider(VALUES, "λ", 0.0)}
    return RunPanel(fig, run, controls, threaded=threaded), line


def test_run_panel_runs_on_click_only_and_reports_progress():
    calls = []

    def run(panel, value):
        calls.append(value)
        for step in range(1, 11):
            panel.report(step, 10)
        line.set_ydata([value, value])
        return f"done with {value:g}"

    panel, line = counting_panel(run)
    before = panel.image.value
    panel.controls["value"].value = 10.0  # moving the slider runs nothing
    assert calls == [] and panel.runs == 0
    panel.button.click()
    assert calls == [10.0] and panel.runs == 1 and panel.last_error is None
    assert panel.progress.value == panel.progress.max == 10
    assert panel.status.value == "done with 10" and panel.image.value != before
    assert not panel.button.disabled and panel.stop_button.disabled and not panel.running


def test_run_panel_shows_an_error_and_stays_usable():
    def run(panel, value):
        raise ValueError("weight_decay must be a finite number ≥ 0")

    panel, _ = counting_panel(run)
    panel.click()
    assert panel.status.value == "error: weight_decay must be a finite number ≥ 0"
    assert isinstance(panel.last_error, ValueError) and panel.runs == 1
    assert not panel.button.disabled


def test_threaded_run_ignores_a_second_click_and_hears_stop():
    import threading

    started, release = threading.Event(), threading.Event()
    seen = []

    def run(panel, value):
        started.set()
        release.wait(5)
        stopped = panel.report(1, 10)
        seen.append(stopped)
        return "stopped" if stopped else "finished"

    panel, _ = counting_panel(run, threaded=True)
    panel.button.click()
    assert started.wait(5) and panel.running and panel.button.disabled
    panel.button.click()  # while the first run is going: starts nothing
    assert panel.ignored == 1
    panel.stop_button.click()
    release.set()
    panel.wait(5)
    assert seen == [True] and panel.runs == 1 and panel.status.value == "stopped"
    assert not panel.running and not panel.button.disabled


def test_every_lambda_slider_of_the_book_offers_lambda_zero():
    from helpers.ch1.figures import HERO_LAMBDAS as ch1
    from helpers.ch2.figures import HERO_LAMBDAS as ch2
    from helpers.ch3.rules_sweep import SWEEP_LAMBDAS as ch3
    from helpers.ch4.sweep import LAMBDAS as ch4
    from helpers.ch5.sweep import LAMBDAS as ch5
    from helpers.ch6.sweep import LAMBDAS as ch6

    for chapter, values in enumerate((ch1, ch2, ch3, ch4, ch5, ch6), start=1):
        assert values[0] == 0.0 and list(values) == sorted(values), chapter


def test_one_slider_per_figure_live_in_jupyter_static_in_the_book(monkeypatch):
    from helpers.widgets import BOOK_ENV, in_book, live_or_static, slider

    monkeypatch.delenv(BOOK_ENV, raising=False)
    assert not in_book()
    fig, _, update = sine_figure()
    assert isinstance(slider(fig, update, VALUES, "λ", 0.0), LiveFigure)
    monkeypatch.setenv(BOOK_ENV, "1")
    assert in_book()
    fig, _, update = sine_figure()
    assert "wdd-static-slider" in slider(fig, update, VALUES, "λ", 0.0, alt="a sine").data
    made = []
    live_or_static(lambda: made.append("live"), lambda: made.append("static"))
    assert made == ["static"]  # only the one shown is made


def test_static_slider_announces_its_value_ends_and_spacing():
    fig, _, update = sine_figure()
    page = static_slider(fig, update, VALUES, "λ", value=0.1, alt="A sine wave").data
    assert 'aria-valuetext="λ = 0.1"' in page and 'aria-label="λ"' in page
    assert '<span class="wdd-slider-min" aria-hidden="true">0</span>' in page
    assert '<span class="wdd-slider-max" aria-hidden="true">10</span>' in page
    # the screen reader's list of positions says the values are not evenly spaced
    assert "4 positions, one per value of λ: 0, 0.1, 1, 10." in page
    assert "unevenly spaced values" in page
    # the label is as wide as the longest one ("λ = 0.1" + 1), whatever value it shows
    assert "width:8ch" in page
    assert 'alt="A sine wave (λ = 0.1)"' in page


def test_static_frames_are_drawn_at_twice_their_size_and_name_their_value():
    import base64
    import io
    import json

    from PIL import Image

    fig, _, update = sine_figure()
    page = static_slider(fig, update, VALUES, "λ", value=0.0, dpi=100).data
    width, height = (int(re.search(rf'{k}="(\d+)"', page).group(1)) for k in ("width", "height"))
    frames = json.loads(re.search(r"const frames = (\[.*?\]);", page).group(1))
    sizes, named = set(), []
    for frame in frames:
        image = Image.open(io.BytesIO(base64.b64decode(frame.split(",", 1)[1])))
        sizes.add(image.size)
        named.append(image.text["wdd-value"])
    assert named == ["λ = 0", "λ = 0.1", "λ = 1", "λ = 10"]
    (size,) = sizes  # every frame covers the same box: the figure never jumps
    assert abs(size[0] - 2 * width) <= 2 and abs(size[1] - 2 * height) <= 2


def test_panels_of_side_by_side_axes_and_a_colour_bar():
    from helpers.frames import panel_cuts, tight_box

    fig, axes = plt.subplots(1, 2, figsize=(8, 3))
    for ax in axes:
        ax.plot([0, 1])
        ax.set_ylabel("a label")
    (left, right) = panel_cuts(fig, tight_box(fig))
    assert left[0] == 0 and right[1] == 1 and 0.4 < left[1] <= right[0] + 0.02 < 0.62
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
    fig.colorbar(ax.imshow([[0, 1], [1, 0]]), ax=ax)
    assert panel_cuts(fig, tight_box(fig)) == []  # one plot and its colour bar: one panel
    plt.close(fig)
