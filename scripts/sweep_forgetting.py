"""Make src/helpers/data/forgetting.json: chapter 5's forgetting experiment over five seeds.

    python scripts/sweep_forgetting.py [--workers N] [--resume] [--output PATH] [--seeds S ...]

Runs helpers.ch5.forgetting.memory_after_switch for each seed of SEEDS (0 to 4): a linear model
learns one task for 1000 steps and another for 1000 more, under four AdamW settings and Adam + L2,
in float64; stores each setting's fitted forgetting rate × τ and its memory curve. About 10 s a
seed on a quiet core. Progress goes to stderr; Ctrl-C stops at once and --resume goes on.
"""

from __future__ import annotations

import sys

from helpers import precomputed


def main(argv=None) -> int:
    parser = precomputed.script_parser(__doc__)
    args = precomputed.parse_script_args(parser, argv)
    from dataclasses import replace

    from helpers.ch5 import forgetting  # imports torch: after --help has answered

    spec = forgetting.STORED
    if args.seeds is not None:
        spec = replace(spec, points=tuple((seed,) for seed in args.seeds))
    return precomputed.run_script(spec, forgetting.run_point, args)


if __name__ == "__main__":
    sys.exit(main())
