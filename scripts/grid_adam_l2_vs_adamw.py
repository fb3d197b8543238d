"""Compute chapter 2's learning-rate × weight-decay grid and store it in helpers/data/.

    python scripts/grid_adam_l2_vs_adamw.py [--workers N]

Trains every cell of :class:`helpers.ch2.grid.GridConfig`: Adam + L2, PyTorch-style AdamW and
AdamW with independent decay, each over η × λ and three initialisations, 798 runs of about
0.3 s on one CPU thread (5 minutes with ``--workers 2`` on two busy cores). Writes
``src/helpers/data/grid_adam_l2_vs_adamw.json`` with :func:`helpers.precomputed.save_results`.
Each run uses ``GridConfig.threads`` torch threads whatever ``--workers`` is, so the stored
values do not depend on it; workers only split the cells between processes. Run it again
whenever GridConfig or the training code changes (a test fails until you do).
"""

from __future__ import annotations

import argparse
import math
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict

import torch

from helpers import precomputed
from helpers.ch2 import grid as decay_grid


def _run_cells(cells: list) -> list:
    config = decay_grid.GridConfig()
    torch.set_num_threads(config.threads)
    data = decay_grid.make_data(config)
    return [(cell, decay_grid.run_cell(config, cell, data)) for cell in cells]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    args = parser.parse_args()
    if args.workers < 1:
        parser.error(f"--workers must be >= 1, got {args.workers}")

    config = decay_grid.GridConfig()
    cells = decay_grid.cells(config)
    chunks = [cells[i :: args.workers] for i in range(args.workers)]
    start = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        runs = dict(pair for chunk in pool.map(_run_cells, chunks) for pair in chunk)
    elapsed = time.perf_counter() - start

    torch.set_num_threads(config.threads)  # save_results records the thread count of the runs
    results = decay_grid.assemble(config, runs)
    path = precomputed.save_results(decay_grid.NAME, asdict(config), results, decay_grid.COMMAND)
    diverged = sum(math.isnan(run.val_loss) for run in runs.values())
    print(f"{len(runs)} runs in {elapsed:.0f} s with {args.workers} worker(s), {diverged} diverged")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
