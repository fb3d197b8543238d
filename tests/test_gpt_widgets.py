"""Chapter 4's live panel and figures: a click trains, every λ trains, nothing crashes."""

import math
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from helpers.ch4 import figures as gpt_plots  # noqa: E402
from helpers.ch4.panel import LIVE_CONFIG, train_panel  # noqa: E402
from helpers.widgets import static_slider  # noqa: E402

SHORT = dict(steps=6, eval_every=3, eval_batches=1, device="cpu")


def test_click_trains_at_the_chosen_lambda_and_redraws(sweep, data):
    panel = train_panel(sweep, value=0.0, data=data, threaded=False, **SHORT)
    before = panel.image.value
    panel.controls["lam"].value = 3.0
    assert panel.runs == 0  # moving the slider trains nothing
    panel.button.click()
    assert panel.runs == 1 and panel.last_error is None
    history = panel.history
    assert history.stopped == "finished" and history.settings["weight_decay"] == 3.0
    assert history.step == [0, 3, 6] and panel.progress.value == 6
    assert panel.image.value != before
    assert panel.status.value.startswith("λ = 3: finished 6 steps")
    plt.close("all")


@pytest.mark.parametrize("end", ["first", "last"])
def test_every_slider_extreme_trains_without_a_crash(sweep, data, end):
    lam = sweep.lambdas[0] if end == "first" else sweep.lambdas[-1]
    panel = train_panel(sweep, value=lam, data=data, threaded=False, steps=5, eval_every=5)
    panel.click()
    history = panel.history
    assert panel.last_error is None and history.stopped == "finished"
    assert all(math.isfinite(v) for v in history.loss + history.val_loss)
    # the live run is the sweep's own configuration: the CPU preset's model and data
    assert history.settings["n_embd"] == LIVE_CONFIG.n_embd and history.settings["lr"] == 3e-3
    plt.close("all")


def test_a_diverged_run_shows_its_message_and_the_curves_so_far(sweep, data, capsys):
    panel = train_panel(sweep, value=0.0, data=data, threaded=False, lr=1e8, **SHORT)
    panel.click()
    assert panel.last_error is None and panel.runs == 1
    assert panel.history.stopped == "diverged" and panel.history.step == [0]
    assert "stopped at step" in panel.status.value and "smaller lr" in panel.status.value
    assert gpt_plots_title(panel).endswith(f"validation {panel.history.val_loss[0]:.2f}")
    capsys.readouterr()
    plt.close("all")


def gpt_plots_title(panel):
    return panel.fig._suptitle.get_text()


def test_a_second_click_while_training_starts_nothing_and_stop_is_heard(sweep, data):
    panel = train_panel(sweep, value=1.0, data=data, steps=400, eval_every=100, device="cpu")
    panel.button.click()
    panel.button.click()
    assert panel.ignored == 1
    panel.stop_button.click()
    panel.wait(60)
    assert panel.runs == 1 and not panel.running and panel.last_error is None
    assert panel.history.stopped == "callback" and len(panel.history.loss) < 400
    assert "Stop pressed" in panel.status.value
    plt.close("all")


def test_hero_draws_a_distinct_frame_for_every_lambda(sweep):
    fig, update = gpt_plots.hero(sweep)
    script = static_slider(fig, update, sweep.lambdas, "λ").data.split("<script>")[1]
    frames = re.findall(r'"data:image/png;base64,[^"]+"', script)
    assert len(frames) == len(set(frames)) == len(sweep.lambdas)
    for make in (gpt_plots.norms_figure, gpt_plots.timescale_figure, gpt_plots.rules_figure):
        assert len(make(sweep).axes) == 2
    plt.close("all")
