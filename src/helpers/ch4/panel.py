"""Chapter 4's live panel: pick λ, press Run, watch the tiny GPT train over the stored sweep.

:func:`train_panel` returns a :class:`helpers.run_panel.RunPanel` whose Run button trains a fresh
model with :func:`helpers.train.train` at the chosen λ, moves the progress bar after every step
and redraws the curves every second or so. The run happens in a background thread, so a second
click while it trains starts nothing and the Stop button is heard. A run that diverges, or that
is stopped, shows its message and the curves up to that point.

Introduced in chapter 4 (train a tiny GPT with a λ slider).
"""

from __future__ import annotations

import time
from dataclasses import replace

from helpers.ch4.figures import LiveRunFigure
from helpers.ch4.sweep import SWEEP_CONFIG, Sweep
from helpers.data import CharData, char_data
from helpers.run_panel import RunPanel
from helpers.train import History, TrainConfig, train
from helpers.widgets import selection_slider

# The stored sweep's run on whatever device this machine has: CUDA in a Colab GPU runtime
# (where train() also switches to TF32 matmuls), else the CPU.
LIVE_CONFIG = replace(SWEEP_CONFIG, device="auto")
REDRAW_EVERY_S = 1.0  # redraw the figure at an evaluation at most this often (a PNG each time)


def run_message(history: History) -> str:
    """The status line after a run: how it ended, in the reader's terms."""
    lam = history.settings["weight_decay"]
    if history.stopped == "callback":
        return f"λ = {lam:g}: stopped after step {len(history.loss)} (Stop pressed)"
    if history.stopped == "finished":
        return (
            f"λ = {lam:g}: {history.message} · {history.ms_per_step:.0f} ms per step on "
            f"{history.environment['device']}"
        )
    return f"λ = {lam:g}: {history.message}"


def train_panel(
    sweep: Sweep,
    value: float | None = None,
    config: TrainConfig = LIVE_CONFIG,
    data: CharData | None = None,
    threaded: bool = True,
    **overrides,
) -> RunPanel:
    """A λ slider over the sweep's values, Run/Stop buttons, a progress bar and the live figure.

    ``config`` and ``overrides`` are what :func:`helpers.train.train` receives (tests shorten the
    run with ``steps=…``). After a run, ``panel.history`` holds its :class:`History`.
    """
    data = char_data() if data is None else data
    figure = LiveRunFigure(sweep)
    slider = selection_slider(sweep.lambdas, "λ", value)

    def run(panel: RunPanel, lam: float) -> str:
        figure.start(lam)
        panel.redraw()
        last_redraw = time.monotonic()

        def callback(step: int, history: History) -> bool:
            nonlocal last_redraw
            if history.step[-1] == step and time.monotonic() - last_redraw > REDRAW_EVERY_S:
                figure.show(history)
                panel.redraw()
                last_redraw = time.monotonic()
            return panel.report(step, history.settings["steps"])

        panel.history = train(config, data=data, weight_decay=lam, callback=callback, **overrides)
        figure.show(panel.history)
        return run_message(panel.history)

    panel = RunPanel(figure.fig, run, {"lam": slider}, threaded=threaded)
    panel.history = None
    return panel
