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
import itertools
import json
import os
from collections.abc import Callable, Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import HTML
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from helpers.checks import check_choice, check_real, check_tuple
from helpers.frames import SCALE, figure_png, panel_attribute, panel_cuts, tight_box

_ids = itertools.count()

# Set to "1" while the book is built: by book/_ext/bookfixes.py (any `jupyter-book build` of
# this book), scripts/build.sh, and the test command's nbval run (tests/conftest.py), whose
# outputs the book-build test reuses. Unset in Jupyter and Colab.
BOOK_ENV = "WDD_BOOK"


def in_book() -> bool:
    """True while the book is being built: figures then show their kernel-free twins."""
    return os.environ.get(BOOK_ENV, "") == "1"


def live_or_static(live: Callable[[], object], static: Callable[[], object]) -> object:
    """``static()`` while the book is built, ``live()`` in Jupyter or Colab: one figure, one slider.

    Both are callables so that only the one shown is made (a live panel is not built for the
    web page, and no frames are rendered in a notebook).
    """
    return static() if in_book() else live()


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


def _controls(uid: str, values: list, labels: list[str], start: int, label: str) -> str:
    """The range input between its minimum and maximum, the value label (of a fixed width, so
    the track never moves under the finger) and the list of values read to a screen reader."""
    listed = ", ".join(format_value(v) for v in values)
    spacing = "" if _evenly_spaced(values) else " Evenly spaced positions, unevenly spaced values."
    described = f"{len(values)} positions, one per value of {label}: {listed}.{spacing}"
    label_chars = max(len(text) for text in labels) + 1
    return f"""<div class="wdd-slider-controls">
<span class="wdd-slider-min" aria-hidden="true">{html.escape(format_value(values[0]))}</span>
<input type="range" class="wdd-slider-input" min="0" max="{len(values) - 1}" step="1"
 value="{start}" aria-label="{html.escape(label)}" aria-valuetext="{html.escape(labels[start])}"
 aria-describedby="{uid}-values">
<span class="wdd-slider-max" aria-hidden="true">{html.escape(format_value(values[-1]))}</span>
<output class="wdd-slider-label" aria-hidden="true"
 style="display:inline-block;width:{label_chars}ch;white-space:nowrap">{html.escape(labels[start])}</output>
</div>
<p class="wdd-slider-values" id="{uid}-values">{html.escape(described)}</p>"""


def _render_frames(fig, update, values, labels, dpi) -> tuple[list[str], Bbox]:
    """Every value's frame as a PNG data URL, all cut to one box (the union of the frames' tight
    boxes, so frames are of one size), and that box in inches."""
    box = None
    for v in values:
        update(v)
        frame_box = tight_box(fig)
        box = frame_box if box is None else Bbox.union([box, frame_box])
    frames = []
    for v, text in zip(values, labels, strict=True):
        update(v)
        png = figure_png(fig, dpi * SCALE, palette=True, bbox=box, text={"wdd-value": text})
        frames.append("data:image/png;base64," + base64.b64encode(png).decode())
    return frames, box


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
    frames, box = _render_frames(fig, update, values, labels, dpi)
    panels = panel_cuts(fig, box)
    plt.close(fig)
    start = values.index(value)
    uid = f"wdd-slider-{next(_ids)}"
    width, height = round(box.width * dpi), round(box.height * dpi)
    alt = alt or f"Figure for the chosen {label}"
    script = (
        _SCRIPT.replace("{uid}", uid)
        .replace("{frames}", json.dumps(frames))
        .replace("{labels}", json.dumps(labels, ensure_ascii=False))
    )
    return HTML(
        f"""<div class="wdd-static-slider" id="{uid}" data-alt="{html.escape(alt)}">
{_controls(uid, values, labels, start, label)}
<img class="wdd-slider-frame" data-wdd-frame src="{frames[start]}" width="{width}" height="{height}"
 data-wdd-panels="{panel_attribute(panels)}" alt="{html.escape(f"{alt} ({labels[start]})")}"
 style="max-width:100%;height:auto">
<script>
{script}
</script>
</div>"""
    )
