"""The book's plotting style and colours, shared by every chapter.

Introduced in the Introduction; first used in chapter 1.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import numpy as np

from helpers.frames import SCALE, figure_png, panel_attribute, panel_cuts, tight_box

# One colour per decay rule of helpers.param_groups, the same in every chapter (3 and 4).
RULE_COLORS = {"mingpt": "#1b9e77", "nanogpt": "#d95f02", "olmo2": "#7570b3", "all": "#e7298a"}
RULE_LABELS = {
    "mingpt": "minGPT: Linear weights",
    "nanogpt": "nanoGPT: ≥ 2-D tensors",
    "olmo2": "OLMo 2: all but embeddings",
    "all": "all parameters",
}

BOOK_STYLE = {
    "figure.figsize": (7.0, 3.6),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "font.size": 10,
}


def use_book_style() -> None:
    """Apply the book's matplotlib defaults (call once at the top of a chapter).

    In IPython (Jupyter, Colab, the book build) figures are then shown by :func:`book_png`:
    drawn at twice their size and displayed at it, sharp on high-resolution screens.
    """
    mpl.rcParams.update(BOOK_STYLE)
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: nothing displays figures
        return
    shell = get_ipython()
    if shell is not None:
        import matplotlib.pyplot as plt
        from matplotlib.figure import Figure

        # The inline backend registers its own PNG formatter when it loads, at the first figure:
        # make it load now, so the book's formatter, registered after it, is the one used.
        plt.close(plt.figure())
        shell.display_formatter.formatters["image/png"].for_type(Figure, book_png)


def book_png(fig) -> tuple[bytes, dict]:
    """A figure as the book shows it: PNG at 2× (at most 256 colours), with its display size.

    Where the figure has side-by-side panels, the PNG records where each lies (``wdd-panels``,
    fractions of the width): the web page stacks the panels on narrow screens.
    """
    box = tight_box(fig)
    panels = panel_cuts(fig, box)
    text = {"wdd-panels": panel_attribute(panels)} if panels else None
    png = figure_png(fig, fig.dpi * SCALE, palette=True, bbox=box, text=text)
    return png, {"width": round(box.width * fig.dpi), "height": round(box.height * fig.dpi)}


def lambda_colors(lambdas: Sequence[float], cmap: str = "viridis") -> dict[float, tuple]:
    """One colour per λ, ordered from small (dark) to large (light); λ = 0 is black.

    Every chapter uses it, so the same λ has the same colour across a chapter's figures.
    """
    positive = sorted({lam for lam in lambdas if lam > 0})
    colormap = mpl.colormaps[cmap]
    shades = np.linspace(0.1, 0.85, len(positive))
    colours = {lam: colormap(shade) for lam, shade in zip(positive, shades, strict=True)}
    if any(lam == 0 for lam in lambdas):
        colours[0.0] = (0.0, 0.0, 0.0, 1.0)
    return {lam: colours[float(lam) if lam == 0 else lam] for lam in lambdas}


_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def decade_label(value: float, _position=None) -> str:
    """'10⁻³' for a power of ten, '' between decades; usable as a matplotlib tick formatter.

    Plain text, not mathtext: a live figure would re-parse TeX labels on every redraw.
    """
    exponent = np.log10(value)
    if abs(exponent - round(exponent)) > 1e-9:
        return ""
    return "10" + str(round(exponent)).translate(_SUPERSCRIPTS)
