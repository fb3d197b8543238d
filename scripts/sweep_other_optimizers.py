"""Make src/helpers/data/other_optimizers.json: chapter 8's runs of AdamW, Muon and Lion.

    python scripts/sweep_other_optimizers.py [--workers N] [--resume] [--output PATH]
                                             [--seeds S ...]

Trains every point of helpers.ch8.sweep.STORED on the CPU with one torch thread each: the tiny
GPT on the whole training text for 400 steps under AdamW, Muon (+ AdamW) and Lion at four λ
each, and Muon with λ falling linearly to 0 and with a constant λ = 0.5, over the seeds 0, 1
and 2: 42 runs of 14-17 s on a quiet core (about 10 minutes; two to three times that on a busy
2-core machine). Progress goes to stderr. Ctrl-C stops at once; the finished runs stay cached in
_build/precomputed/ and --resume reuses them. Run it again whenever the sweep's configuration or
the training code changes: tests/test_ch8_sweep.py fails until you do.
"""

from __future__ import annotations

import sys

from helpers import precomputed


def main(argv=None) -> int:
    parser = precomputed.script_parser(__doc__)
    args = precomputed.parse_script_args(parser, argv)
    from helpers.ch8 import sweep  # imports torch: after --help has answered

    spec = sweep.STORED if args.seeds is None else sweep.spec(tuple(args.seeds))
    return precomputed.run_script(spec, sweep.run_point, args)


if __name__ == "__main__":
    sys.exit(main())
