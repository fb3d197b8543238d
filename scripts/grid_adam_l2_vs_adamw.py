"""Make src/helpers/data/grid_adam_l2_vs_adamw.json: chapter 2's learning-rate × weight-decay grid.

    python scripts/grid_adam_l2_vs_adamw.py [--workers N] [--resume] [--output PATH] [--seeds S ...]

Trains every point of helpers.ch2.grid.STORED (GridConfig): Adam + L2, PyTorch-style AdamW and
AdamW with independent decay, each over η × λ and the initialisations 1, 2 and 3: 798 float64
runs of about 0.3 s on one CPU thread (5 minutes with --workers 2 on two free cores). Each run
uses GridConfig.threads torch threads whatever --workers is, so the stored values do not depend
on it. --seeds replaces GridConfig.init_seeds (with --output). Progress goes to stderr. Ctrl-C
stops at once; the finished runs stay cached in _build/precomputed/ and --resume reuses them.
Run it again whenever GridConfig or the training code changes (a test fails until you do).
"""

from __future__ import annotations

import sys

from helpers import precomputed


def main(argv=None) -> int:
    parser = precomputed.script_parser(__doc__)
    args = precomputed.parse_script_args(parser, argv)
    from dataclasses import replace

    from helpers.ch2 import grid  # imports torch: after --help has answered

    spec = grid.STORED
    if args.seeds is not None:
        spec = grid.spec(replace(grid.GridConfig(), init_seeds=tuple(args.seeds)))
    return precomputed.run_script(spec, grid.run_point, args)


if __name__ == "__main__":
    sys.exit(main())
