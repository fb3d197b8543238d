"""A panel for work too slow to redo on every drag of a slider: controls, Run and Stop, a progress
bar, a status line and a figure.

Introduced in chapter 4 (train a tiny GPT with a λ slider), whose live panel trains a GPT.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import ipywidgets as widgets
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from helpers.frames import figure_png


class RunPanel(widgets.VBox):
    """Controls, a Run and a Stop button, a progress bar, a status line and a figure.

    For work too slow to redo on every drag of a slider (training a model): the figure changes
    only when Run is clicked. ``run(panel, **values)`` does the work with the controls' values;
    it calls ``panel.report(done, total)`` to move the progress bar (``True`` back means the
    reader pressed Stop: finish early), ``panel.redraw()`` to show the figure so far, and returns
    the line for the status bar. An exception ends the run with its message in the status line
    (kept in ``last_error``) instead of escaping into the notebook.

    ``threaded=True`` runs the work in a background thread, so the kernel stays free to take the
    Stop click and the page stays responsive; a click on Run while a run is going starts nothing
    (``ignored`` counts such clicks). ``wait()`` blocks until the run ends. ``runs`` counts
    finished runs, so tests can click (``panel.button.click()``) and check that one finished.
    """

    def __init__(
        self,
        fig: Figure,
        run: Callable[..., str],
        controls: dict[str, widgets.ValueWidget],
        dpi: int = 80,
        threaded: bool = True,
        label: str = "Run",
    ):
        self.fig, self.run, self.controls, self.dpi = fig, run, controls, dpi
        self.threaded = threaded
        self.runs = self.ignored = 0
        self.last_error: BaseException | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._running = False
        self._stop = False
        self.button = widgets.Button(description=label, icon="play", button_style="primary")
        self.stop_button = widgets.Button(description="Stop", icon="stop", disabled=True)
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="")
        self.status = widgets.Label(value=f"Choose a value and press {label}.")
        self.image = widgets.Image(format="png")
        self.button.on_click(lambda _button: self.click())
        self.stop_button.on_click(lambda _button: self.request_stop())
        buttons = widgets.HBox([*controls.values(), self.button, self.stop_button])
        super().__init__([buttons, widgets.HBox([self.progress, self.status]), self.image])
        self.redraw()
        plt.close(fig)  # shown through the Image widget only

    @property
    def running(self) -> bool:
        return self._running

    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def redraw(self) -> None:
        self.image.value = figure_png(self.fig, self.dpi)

    def report(self, done: int, total: int) -> bool:
        """Move the progress bar to ``done`` of ``total``; True when Stop was pressed.

        The bar moves in steps of at least 1 % (each move is a message to the browser)."""
        if self.progress.max != total:
            self.progress.max = total
        if done >= total or done - self.progress.value >= max(1, total // 100) or done == 0:
            self.progress.value = done
        return self._stop

    def request_stop(self) -> None:
        self._stop = True

    def click(self) -> None:
        """What the Run button does: start a run unless one is going."""
        with self._lock:
            if self._running:
                self.ignored += 1
                return
            self._running, self._stop = True, False
        self.button.disabled, self.stop_button.disabled = True, False
        self.progress.value = 0
        self.status.value = "running…"
        values = self.values()
        if self.threaded:
            self._thread = threading.Thread(target=self._work, args=(values,), daemon=True)
            self._thread.start()
        else:
            self._work(values)

    def wait(self, timeout: float | None = None) -> None:
        """Block until the current run (if any) has ended."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _work(self, values: dict) -> None:
        self.last_error, message = None, ""
        try:
            message = self.run(self, **values)
            self.redraw()
        except Exception as error:  # shown to the reader; the notebook goes on
            self.last_error, message = error, f"error: {error}"
        finally:  # whatever happened, the panel is ready for the next run
            self.status.value = message
            self.button.disabled, self.stop_button.disabled = False, True
            self.runs += 1
            with self._lock:
                self._running = False
