"""Make ``src/helpers/data/tiny_gpt_sweep.json``: the λ sweep of the tiny GPT that chapter 4 plots.

    python scripts/sweep_tiny_gpt.py

Trains every point of :mod:`helpers.ch4.sweep` on the CPU with
``torch.set_num_threads(helpers.ch4.sweep.THREADS)``: the CPU preset (400 steps) at each λ of
``LAMBDAS`` under the nanoGPT decay rule, and at ``RULE_LAMBDA`` under the minGPT rule. Eight runs
of about 7 s each on two quiet cores (several minutes on a busy machine). Run it again whenever the
sweep's configuration or the training code changes: ``tests/test_gpt_sweep.py`` fails until you
do. The training text is Python's help text, so the file records the Python version it used.
"""

from __future__ import annotations

import time

import torch

from helpers import precomputed
from helpers.ch4 import sweep as gpt_sweep


def main() -> None:
    torch.set_num_threads(gpt_sweep.THREADS)
    start = time.perf_counter()
    results = gpt_sweep.run_sweep(log=lambda line: print(line, flush=True))
    path = precomputed.save_results(
        gpt_sweep.NAME, gpt_sweep.sweep_config(), results, gpt_sweep.COMMAND
    )
    elapsed = time.perf_counter() - start
    print(f"wrote {path} ({path.stat().st_size / 1e3:.0f} kB) in {elapsed:.0f} s")


if __name__ == "__main__":
    main()
