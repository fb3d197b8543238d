"""Make src/helpers/data/scaling_sweep.json: chapter 7's λ sweeps over data and batch size.

    python scripts/sweep_scaling.py [--workers N] [--resume] [--output PATH] [--seeds S ...]

Trains every setting of helpers.ch7.sweep.STORED on the CPU with one torch thread: N = 512, 1024
and 2048 training pairs at B = 32, η = 1e-3; B = 32, 64 and 128 at N = 1024 with η fixed and with
η ∝ √B. Each setting trains its ten λ values (λ = 0 and nine ×√2 apart) over five seeds as one
stacked model: 7 settings, 50 runs each, about 8,000 steps of the stack in all (minutes on one
quiet core; several times that on a busy 2-core machine). Progress goes to stderr. Ctrl-C stops
at once; the finished settings stay cached in _build/precomputed/ and --resume reuses them.
"""

from __future__ import annotations

import functools
import sys

from helpers import precomputed


def main(argv=None) -> int:
    parser = precomputed.script_parser(__doc__)
    args = precomputed.parse_script_args(parser, argv)
    from helpers.ch7 import sweep  # imports torch: after --help has answered

    if args.seeds is None:
        return precomputed.run_script(sweep.STORED, sweep.run_point, args)
    seeds = tuple(args.seeds)
    run = functools.partial(sweep.run_point, seeds=seeds)
    return precomputed.run_script(sweep.spec(seeds), run, args)


if __name__ == "__main__":
    sys.exit(main())
