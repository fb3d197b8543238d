"""Sliders for the book: live ipywidgets in Jupyter/Colab, and kernel-free twins for the web page.

A static web page cannot run Python, so every live slider has a twin made by
:func:`static_slider`: all its frames are rendered when the book is built and embedded as PNG
images, and a few lines of JavaScript show the frame of the chosen value. The same ``update``
function draws both, so the twin shows exactly what the live slider would.

Introduced in the Introduction; first used in chapter 1.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import json
import threading
from collections.abc import Callable, Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import HTML
from matplotlib.figure import Figure
from PIL import Image

from helpers.checks import check_choice, check_real, check_tuple

_ids = itertools.count()


def figure_png(fig: Figure, dpi: int = 80, palette: bool = False) -> bytes:
    """The figure as PNG bytes (what both slider kinds display).

    ``palette=True`` stores at most 256 colours, which makes a plot's PNG about 3× smaller;
    the static sliders use it because every frame is embedded in the page.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    if not palette:
        return buffer.getvalue()
    image = Image.open(buffer).convert("RGB")
    image = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def format_value(value: float) -> str:
    """Compact label for a slider value: 0, 0.001, 0.3, 10, 1e-05."""
    return "0" if value == 0 else f"{value:g}"


def selection_slider(
    values: Sequence[float], label: str, value: float | None = None
) -> widgets.SelectionSlider:
    """A slider over a fixed list of values (so λ = 0 can sit beside log-spaced values).

    ``continuous_update=False``: the callback runs once when the handle is released, never once
    per pixel dragged, so slow redraws cannot pile up.
    """
    values = list(check_tuple("values", values, check_real))
    value = values[len(values) // 2] if value is None else check_choice("value", value, values)
    if not isinstance(label, str):
        raise ValueError(f"label must be a string, got {label!r}")
    return widgets.SelectionSlider(
        options=[(format_value(v), v) for v in values],
        value=value,
        description=label,
        continuous_update=False,
        layout=widgets.Layout(width="420px"),
    )


class LiveFigure(widgets.VBox):
    """A matplotlib figure redrawn by ``update(**values)`` whenever a control changes.

    The figure is shown as a PNG in an ``ipywidgets.Image`` (no ``Output`` widget: those can
    stall notebook executors). ``controls`` maps keyword names of ``update`` to widgets.
    ``redraws`` counts finished redraws, so tests can check that a change was handled.
    """

    def __init__(
        self,
        fig: Figure,
        update: Callable[..., None],
        controls: dict[str, widgets.ValueWidget],
        dpi: int = 80,
    ):
        self.fig, self.update, self.controls, self.dpi = fig, update, controls, dpi
        self.redraws = 0
        self.image = widgets.Image(format="png")
        for control in controls.values():
            control.observe(self._on_change, names="value")
        super().__init__([widgets.HBox(list(controls.values())), self.image])
        self.redraw()
        plt.close(fig)  # shown through the Image widget only

    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def redraw(self) -> None:
        self.update(**self.values())
        self.image.value = figure_png(self.fig, self.dpi)
        self.redraws += 1

    def _on_change(self, _change) -> None:
        self.redraw()


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


def live_slider(
    fig: Figure,
    update: Callable[[float], None],
    values: Sequence[float],
    label: str,
    value: float | None = None,
) -> LiveFigure:
    """One selection slider driving ``update(value)``; the live twin of :func:`static_slider`."""
    slider = selection_slider(values, label, value)
    # LiveFigure passes controls by keyword; `update` takes the value positionally.
    return LiveFigure(fig, lambda value: update(value), {"value": slider})


def static_slider(
    fig: Figure,
    update: Callable[[float], None],
    values: Sequence[float],
    label: str,
    value: float | None = None,
    dpi: int = 80,
    alt: str = "",
) -> HTML:
    """A slider that works in a static page: one PNG frame per value, switched by JavaScript.

    ``update(value)`` redraws ``fig`` for one value (the same function the live slider uses).
    The figure is closed afterwards. Keep frames few and small: each is embedded in the page.
    """
    values = list(values)
    if not values:
        raise ValueError("values must be a non-empty list")
    if value is None:
        value = values[len(values) // 2]
    if value not in values:
        raise ValueError(f"value must be one of values {values}, got {value!r}")
    frames = []
    for v in values:
        update(v)
        png = figure_png(fig, dpi, palette=True)
        frames.append("data:image/png;base64," + base64.b64encode(png).decode())
    plt.close(fig)
    start = values.index(value)
    labels = [f"{label} = {format_value(v)}" for v in values]
    uid = f"wdd-slider-{next(_ids)}"
    ticks = "".join(f'<option value="{i}"></option>' for i in range(len(values)))
    return HTML(
        f"""<div class="wdd-static-slider" id="{uid}">
<div style="display:flex;align-items:center;gap:0.8em;font-family:sans-serif">
<input type="range" class="wdd-slider-input" min="0" max="{len(values) - 1}" step="1"
 value="{start}" list="{uid}-ticks" aria-label="{html.escape(label)}" style="width:320px">
<datalist id="{uid}-ticks">{ticks}</datalist>
<output class="wdd-slider-label">{html.escape(labels[start])}</output>
</div>
<img class="wdd-slider-frame" src="{frames[start]}" alt="{html.escape(alt or label)}"
 style="max-width:100%">
<script>
(function () {{
  const root = document.getElementById("{uid}");
  const frames = {json.dumps(frames)};
  const labels = {json.dumps(labels, ensure_ascii=False)};
  const input = root.querySelector("input"), img = root.querySelector("img"),
        out = root.querySelector("output");
  input.addEventListener("input", function () {{
    img.src = frames[input.value];
    out.textContent = labels[input.value];
  }});
}})();
</script>
</div>"""
    )
