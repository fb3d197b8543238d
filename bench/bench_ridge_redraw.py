"""Redraw time of chapter 1's live hero slider: one ``LiveFigure.redraw()`` per λ.

    python bench/bench_ridge_redraw.py            # 2 rounds over all 15 slider values

A redraw is what a reader waits for after releasing the handle: ``update(λ)`` (an exact ridge
solve and new artists' data) plus rendering the PNG that the ``ipywidgets.Image`` shows. Wall
time depends on what else the machine runs, so the CPU time of this process is printed too.
Goal: at most 0.3 s.
"""

from __future__ import annotations

import argparse
import statistics
import time

import matplotlib

matplotlib.use("Agg")

from helpers.ch1 import figures, ridge  # noqa: E402
from helpers.plots import use_book_style  # noqa: E402
from helpers.widgets import live_slider  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="passes over the slider values")
    rounds = parser.parse_args().rounds
    use_book_style()
    fig, update = figures.hero(ridge.make_data(), figures.HERO_LAMBDAS)
    live = live_slider(fig, update, figures.HERO_LAMBDAS, "λ", value=0.0)
    wall, cpu = [], []
    for _ in range(rounds):
        for lam in figures.HERO_LAMBDAS:
            live.controls["value"].value = lam  # as a drag does (this redraw is not timed)
            start_wall, start_cpu = time.perf_counter(), time.process_time()
            live.redraw()
            wall.append(time.perf_counter() - start_wall)
            cpu.append(time.process_time() - start_cpu)
    print(
        f"LiveFigure.redraw() over {len(wall)} redraws: wall median "
        f"{statistics.median(wall) * 1e3:.0f} ms (max {max(wall) * 1e3:.0f} ms), "
        f"CPU median {statistics.median(cpu) * 1e3:.0f} ms"
    )


if __name__ == "__main__":
    main()
