"""Make src/helpers/data/grokking.json: chapter 5's grokking runs, every λ over three seeds.

    python scripts/sweep_grokking.py [--workers N] [--resume] [--output PATH] [--seeds S ...]

Trains every point of helpers.ch5.sweep.STORED on the CPU with one torch thread each: every λ of
LAMBDAS (0 to 10) over the seeds 0, 1 and 2 (λ = 0.3, the slowest, over seed 0 only), each until
it groks (99 % test accuracy) or reaches its step cap; λ = 0 runs 3000 steps. About 75k
full-batch steps at 28 ms each on a quiet core (about five times that on a busy 2-core machine):
with --workers 2 on two free cores, about 20 minutes. Progress goes to stderr. Ctrl-C stops at
once; the finished points stay cached in _build/precomputed/ and --resume reuses them.
tests/test_grokking.py re-runs the first 100 steps of one point and compares.
"""

from __future__ import annotations

import sys

from helpers import precomputed


def main(argv=None) -> int:
    parser = precomputed.script_parser(__doc__)
    args = precomputed.parse_script_args(parser, argv)
    from helpers.ch5 import sweep  # imports torch: after --help has answered

    spec = sweep.STORED if args.seeds is None else sweep.spec(tuple(args.seeds))
    return precomputed.run_script(spec, sweep.run_point, args)


if __name__ == "__main__":
    sys.exit(main())
