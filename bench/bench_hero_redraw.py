"""Redraw time of chapter 2's hero figure: what a reader waits for after moving a slider.

    python bench/bench_hero_redraw.py

Builds the live figure exactly as the chapter does (``LiveFigure`` with the λ and η sliders)
and times the redraw (``LiveFigure.redraw()``) that each slider change triggers, over every
(λ, η). "new" is a setting drawn for the first time (two 5000-step NumPy runs plus the PNG),
"seen" one drawn before (the runs are cached; only the PNG is made). Goal: at most
0.3 s on two CPU cores. Prints the median and the worst of each, and the load average, since
timings on a shared machine move with it.
"""

from __future__ import annotations

import os
import statistics
import time

import matplotlib

matplotlib.use("Agg")

from helpers.ch2 import figures  # noqa: E402
from helpers.plots import use_book_style  # noqa: E402
from helpers.widgets import LiveFigure, selection_slider  # noqa: E402


def main() -> None:
    use_book_style()
    fig, update = figures.hero()
    live = LiveFigure(
        fig,
        update,
        {
            "lam": selection_slider(figures.HERO_LAMBDAS, "λ", 0.1),
            "lr": selection_slider(figures.HERO_LRS, "η", 1e-2),
        },
    )
    timings: dict[str, list[float]] = {"new": [], "seen": []}
    for kind in ("new", "seen"):  # the second sweep revisits every setting
        for lr in figures.HERO_LRS:
            for name, value in [("lr", lr)] + [("lam", lam) for lam in figures.HERO_LAMBDAS]:
                control = live.controls[name]
                if control.value == value:
                    continue  # no change, no redraw
                redraws = live.redraws
                start = time.perf_counter()
                control.value = value  # what releasing the slider handle does
                timings[kind].append(time.perf_counter() - start)
                assert live.redraws == redraws + 1
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average (1, 5, 15 min): {load} on {os.cpu_count()} CPUs")
    for kind, values in timings.items():
        print(
            f"{kind:4s} settings: median {statistics.median(values):.3f} s, "
            f"worst {max(values):.3f} s over {len(values)} redraws"
        )


if __name__ == "__main__":
    main()
