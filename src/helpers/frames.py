"""Figures as PNG frames: what the sliders and the book's figures show.

Both slider kinds (:mod:`helpers.widgets`) and every figure of the built book
(:func:`helpers.plots.book_png`) go through :func:`figure_png`. :func:`panel_cuts` finds the
side-by-side panels of a figure so that the web page can stack them on a narrow screen.

Introduced in the Introduction; first used in chapter 1.
"""

from __future__ import annotations

import io

from matplotlib.figure import Figure
from matplotlib.transforms import Bbox
from PIL import Image, PngImagePlugin

# Frames are drawn at SCALE × the pixels they are shown at: sharp on high-resolution screens.
SCALE = 2
# Narrow figure parts (a colour bar) stay with their neighbour when a figure is split into
# panels for a narrow screen: a part narrower than this fraction of the figure is no panel.
MIN_PANEL = 0.15


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
