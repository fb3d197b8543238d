"""Make src/helpers/data/tiny_gpt_sweep.json: chapter 4's λ sweep of the tiny GPT, three seeds.

    python scripts/sweep_tiny_gpt.py [--workers N] [--resume] [--output PATH] [--seeds S ...]

Trains every point of helpers.ch4.sweep.STORED on the CPU with one torch thread each: the CPU
preset (400 steps) at each λ of LAMBDAS under the nanoGPT decay rule and at RULE_LAMBDA under the
minGPT rule, over the seeds 0, 1 and 2: 24 runs of about 7 s on a quiet core (five times that on
a busy 2-core machine). Progress goes to stderr. Ctrl-C stops at once; the finished runs stay
cached in _build/precomputed/ and --resume reuses them. Run it again whenever the sweep's
configuration or the training code changes: tests/test_gpt_sweep.py fails until you do.
"""

from __future__ import annotations

import sys

from helpers import precomputed


def main(argv=None) -> int:
    parser = precomputed.script_parser(__doc__)
    args = precomputed.parse_script_args(parser, argv)
    from helpers.ch4 import sweep  # imports torch: after --help has answered

    spec = sweep.STORED if args.seeds is None else sweep.spec(tuple(args.seeds))
    return precomputed.run_script(spec, sweep.run_point, args, extra=sweep.data_record)


if __name__ == "__main__":
    sys.exit(main())
