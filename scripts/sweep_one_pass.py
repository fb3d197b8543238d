"""Make src/helpers/data/one_pass.json: chapter 6's one-pass runs, every λ over three seeds.

    python scripts/sweep_one_pass.py [--workers N] [--resume] [--output PATH] [--seeds S ...]

Trains every point of helpers.ch6.sweep.STORED on the CPU with one torch thread each: for each
λ in (0, 0.1, 0.3, 1) and seed in (0, 1, 2), the tiny GPT on 2,000 fresh batches of the hidden
Markov stream at a constant learning rate and its warmup-stable-decay twin (branched where the
cooldown starts, so the pair costs 1.2 runs), and for λ = 1 the control run (λ = 0 with the
decayed run's effective learning rate). About 17 run-equivalents of 2,000 steps: 14 min 10 s
with --workers 1 on one core of a busy 2-core machine (measured; less on a quiet one). Progress goes
to stderr. Ctrl-C stops at once; finished points stay cached in _build/precomputed/ and
--resume reuses them. tests/test_ch6_onepass.py re-runs the start of one point and compares.
"""

from __future__ import annotations

import sys

from helpers import precomputed


def main(argv=None) -> int:
    parser = precomputed.script_parser(__doc__)
    args = precomputed.parse_script_args(parser, argv)
    from helpers.ch6 import sweep  # imports torch: after --help has answered

    spec = sweep.STORED if args.seeds is None else sweep.spec(tuple(args.seeds))
    return precomputed.run_script(spec, sweep.run_point, args)


if __name__ == "__main__":
    sys.exit(main())
