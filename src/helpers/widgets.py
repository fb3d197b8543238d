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
from collections.abc import Callable, Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import HTML
from matplotlib.figure import Figure
from PIL import Image

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
    values = list(values)
    if not values:
        raise ValueError("values must be a non-empty list")
    if value is None:
        value = values[len(values) // 2]
    if value not in values:
        raise ValueError(f"value must be one of values {values}, got {value!r}")
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
