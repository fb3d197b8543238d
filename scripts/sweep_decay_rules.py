"""Make src/helpers/data/decay_rules.json: chapter 3's four decay rules × five λ, three seeds.

    python scripts/sweep_decay_rules.py [--workers N] [--resume] [--output PATH] [--seeds S ...]

Trains every point of helpers.ch3.rules_sweep.STORED on the CPU with one torch thread each: the
chapter-4 CPU preset (400 AdamW steps at η = 3e-3) at λ = 0 once, and under each of the rules
nanogpt, mingpt, olmo2 and all at λ = 0.1, 0.3, 1 and 3, over the seeds 0, 1 and 2, recording the
norms of the token and position tables and of every LayerNorm gain: 51 runs of about 7 s on a
quiet core (five times that on a busy 2-core machine). Progress goes to stderr. Ctrl-C stops at
once; the finished runs stay cached in _build/precomputed/ and --resume reuses them.
tests/test_which_weights.py re-runs the first 100 steps of one point and compares.
"""

from __future__ import annotations

import sys

from helpers import precomputed


def main(argv=None) -> int:
    parser = precomputed.script_parser(__doc__)
    args = precomputed.parse_script_args(parser, argv)
    from helpers.ch3 import rules_sweep  # imports torch: after --help has answered

    spec = rules_sweep.STORED if args.seeds is None else rules_sweep.spec(tuple(args.seeds))
    return precomputed.run_script(spec, rules_sweep.run_point, args)


if __name__ == "__main__":
    sys.exit(main())
