"""Sliders for the book: live ipywidgets in Jupyter/Colab, and kernel-free twins for the web page.

A static web page cannot run Python, so every live slider has a twin made by
:func:`static_slider`: all its frames are rendered when the book is built and embedded as PNG
images, and a few lines of JavaScript show the frame of the chosen value. The same ``update``
function draws both, so the twin shows exactly what the live slider would.

Each figure shows one of the two, chosen by :func:`live_or_static` (or :func:`slider`): the
static twin while the book is built (:func:`in_book`, the environment variable ``WDD_BOOK``),
the live widget anywhere else (Jupyter, Colab), where a kernel answers the slider.

Introduced in the Introduction; first used in chapter 1.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import json
import os
import threading
from collections.abc import Callable, Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import HTML
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox
from PIL import Image, PngImagePlugin

from helpers.checks import check_choice, check_real, check_tuple

_ids = itertools.count()

# Set to "1" while the book is built: by book/_ext/bookfixes.py (any `jupyter-book build` of
# this book), scripts/build.sh, and the test command's nbval run (tests/conftest.py), whose
# outputs the book-build test reuses. Unset in Jupyter and Colab.
BOOK_ENV = "WDD_BOOK"
# Frames are drawn at SCALE × the pixels they are shown at: sharp on high-resolution screens.
SCALE = 2
# Narrow figure parts (a colour bar) stay with their neighbour when a figure is split into
# panels for a narrow screen: a part narrower than this fraction of the figure is no panel.
MIN_PANEL = 0.15


def in_book() -> bool:
    """True while the book is being built: figures then show their kernel-free twins."""
    return os.environ.get(BOOK_ENV, "") == "1"


def live_or_static(live: Callable[[], object], static: Callable[[], object]) -> object:
    """``static()`` while the book is built, ``live()`` in Jupyter or Colab: one figure, one slider.

    Both are callables so that only the one shown is made (a live panel is not built for the
    web page, and no frames are rendered in a notebook).
    """
    return static() if in_book() else live()


def figure_png(
    fig: Figure,
    dpi: float = 80,
    palette: bool = False,
    bbox: Bbox | str = "tight",
    text: dict[str, str] | None = None,
) -> bytes:
    """The figure as PNG bytes (what both slider kinds display).

    ``palette=True`` stores at most 256 colours, which makes a plot's PNG about 3× smaller;
    the static sliders use it because every frame is embedded in the page. ``bbox`` is the part
    of the figure saved, in inches (default: its tight box). ``text`` is stored in the PNG as
    text chunks (the static slider records which value each frame shows).
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches=bbox)
    if not palette and not text:
        return buffer.getvalue()
    image = Image.open(buffer)
    if palette:
        image = image.convert("RGB").quantize(
            colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
    info = PngImagePlugin.PngInfo()
    for key, value in (text or {}).items():
        info.add_itxt(key, value)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True, pnginfo=info)
    return buffer.getvalue()


def tight_box(fig: Figure, pad: float = 0.1) -> Bbox:
    """The figure's tight bounding box in inches, padded as ``bbox_inches="tight"`` pads it."""
    renderer = fig.canvas.get_renderer()
    fig.draw(renderer)  # lays the figure out (constrained layout, text sizes)
    return fig.get_tightbbox(renderer).padded(pad)


def panel_cuts(fig: Figure, box: Bbox) -> list[tuple[float, float]]:
    """The side-by-side panels of the saved figure, as (left, right) fractions of its width.

    A panel is a group of axes whose plotting areas overlap, with all its labels, title and
    legend (its tight box); an area narrower than :data:`MIN_PANEL` of the figure (a colour
    bar) joins its left neighbour. Panels may overlap a little: each is a window onto the whole
    figure, complete. One panel: an empty list.
    """
    renderer = fig.canvas.get_renderer()
    width = fig.get_figwidth()

    def fraction(x_inches: float) -> float:
        return round(float(min(1.0, max(0.0, (x_inches - box.x0) / box.width))), 4)

    areas = []  # [plot left, plot right, tight left, tight right], in inches
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        position = ax.get_position()
        tight = ax.get_tightbbox(renderer)
        left, right = position.x0 * width, position.x1 * width
        if tight is not None:
            areas.append([left, right, tight.x0 / fig.dpi, tight.x1 / fig.dpi])
        else:
            areas.append([left, right, left, right])
    areas.sort()
    panels: list[list[float]] = []
    for area in areas:
        narrow = (area[1] - area[0]) / box.width < MIN_PANEL
        if panels and (area[0] < panels[-1][1] or narrow):  # overlapping, or a colour bar
            last = panels[-1]
            last[1], last[3] = max(last[1], area[1]), max(last[3], area[3])
            last[2] = min(last[2], area[2])
        else:
            panels.append(list(area))
    if len(panels) < 2:
        return []
    windows = [(fraction(p[2]), fraction(p[3])) for p in panels]
    # the outer panels reach the figure's edges (its padding)
    windows[0], windows[-1] = (0.0, windows[0][1]), (windows[-1][0], 1.0)
    return windows


def panel_attribute(panels: list[tuple[float, float]]) -> str:
    """``data-wdd-panels`` for the page: "left-right,left-right" (what _static/wdd.js reads)."""
    return ",".join(f"{left:g}-{right:g}" for left, right in panels)


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


def slider(
    fig: Figure,
    update: Callable[[float], None],
    values: Sequence[float],
    label: str,
    value: float | None = None,
    alt: str = "",
) -> object:
    """One slider over ``values``: :func:`live_slider` in Jupyter/Colab, :func:`static_slider`
    (with ``alt``, the figure's description) in the built book."""
    return live_or_static(
        lambda: live_slider(fig, update, values, label, value),
        lambda: static_slider(fig, update, values, label, value, alt=alt),
    )


def _evenly_spaced(values: Sequence[float]) -> bool:
    steps = [b - a for a, b in itertools.pairwise(values)]
    return all(abs(step - steps[0]) <= 1e-9 * max(map(abs, values)) for step in steps)


# The slider's behaviour; {uid}, {frames}, {labels} are filled in. Frames start loading when the
# reader first reaches for the slider, so a page transfers only the frame it shows.
_SCRIPT = """(function () {
  const root = document.getElementById("{uid}");
  const frames = {frames};
  const labels = {labels};
  const input = root.querySelector("input"), out = root.querySelector("output");
  const alt = root.dataset.alt;
  let warm = false;
  function preload() {
    if (warm) return;
    warm = true;
    frames.forEach(function (src) { new Image().src = src; });
  }
  ["pointerenter", "touchstart", "focusin"].forEach(function (type) {
    root.addEventListener(type, preload, {once: true, passive: true});
  });
  input.addEventListener("input", function () {
    const i = Number(input.value);
    root.querySelectorAll("img[data-wdd-frame]").forEach(function (img) {
      img.src = frames[i];
      if (img.alt) img.alt = alt + " (" + labels[i] + ")";
    });
    out.textContent = labels[i];
    input.setAttribute("aria-valuetext", labels[i]);
  });
})();"""


def static_slider(
    fig: Figure,
    update: Callable[[float], None],
    values: Sequence[float],
    label: str,
    value: float | None = None,
    dpi: float = 100,
    alt: str = "",
) -> HTML:
    """A slider that works in a static page: one PNG frame per value, switched by JavaScript.

    ``update(value)`` redraws ``fig`` for one value (the same function the live slider uses).
    Every frame covers the same part of the figure (the union of the frames' tight boxes), is
    drawn at ``SCALE × dpi`` and shown at ``dpi`` pixels per inch, and records the value it
    shows in its PNG text (``wdd-value``). The figure is closed afterwards. The slider announces
    its value ("λ = 0.01", ``aria-valuetext``), shows its minimum and maximum, and keeps its value
    label at a fixed width so the track never moves under the finger. ``alt`` describes the
    figure for readers who cannot see it. Keep frames few: each is stored in the page.
    """
    values = list(values)
    if not values:
        raise ValueError("values must be a non-empty list")
    if value is None:
        value = values[len(values) // 2]
    if value not in values:
        raise ValueError(f"value must be one of values {values}, got {value!r}")
    labels = [f"{label} = {format_value(v)}" for v in values]
    box = None
    for v in values:  # the union of every frame's tight box: frames of one size
        update(v)
        frame_box = tight_box(fig)
        box = frame_box if box is None else Bbox.union([box, frame_box])
    frames = []
    for v, text in zip(values, labels, strict=True):
        update(v)
        png = figure_png(fig, dpi * SCALE, palette=True, bbox=box, text={"wdd-value": text})
        frames.append("data:image/png;base64," + base64.b64encode(png).decode())
    panels = panel_cuts(fig, box)
    plt.close(fig)
    start = values.index(value)
    uid = f"wdd-slider-{next(_ids)}"
    width, height = round(box.width * dpi), round(box.height * dpi)
    alt = alt or f"Figure for the chosen {label}"
    listed = ", ".join(format_value(v) for v in values)
    spacing = "" if _evenly_spaced(values) else " Evenly spaced positions, unevenly spaced values."
    described = f"{len(values)} positions, one per value of {label}: {listed}.{spacing}"
    script = (
        _SCRIPT.replace("{uid}", uid)
        .replace("{frames}", json.dumps(frames))
        .replace("{labels}", json.dumps(labels, ensure_ascii=False))
    )
    label_chars = max(len(text) for text in labels) + 1
    return HTML(
        f"""<div class="wdd-static-slider" id="{uid}" data-alt="{html.escape(alt)}">
<div class="wdd-slider-controls">
<span class="wdd-slider-min" aria-hidden="true">{html.escape(format_value(values[0]))}</span>
<input type="range" class="wdd-slider-input" min="0" max="{len(values) - 1}" step="1"
 value="{start}" aria-label="{html.escape(label)}" aria-valuetext="{html.escape(labels[start])}"
 aria-describedby="{uid}-values">
<span class="wdd-slider-max" aria-hidden="true">{html.escape(format_value(values[-1]))}</span>
<output class="wdd-slider-label" aria-hidden="true"
 style="display:inline-block;width:{label_chars}ch;white-space:nowrap">{html.escape(labels[start])}</output>
</div>
<p class="wdd-slider-values" id="{uid}-values">{html.escape(described)}</p>
<img class="wdd-slider-frame" data-wdd-frame src="{frames[start]}" width="{width}" height="{height}"
 data-wdd-panels="{panel_attribute(panels)}" alt="{html.escape(f"{alt} ({labels[start]})")}"
 style="max-width:100%;height:auto">
<script>
{script}
</script>
</div>"""
    )
