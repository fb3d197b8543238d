"""Make src/helpers/data/spreads.json: how far the chapters' re-runs land under other kernels.

    python scripts/measure_spreads.py [--workers N] [--resume] [--output PATH]

Float32 training repeats bit for bit only on the same CPU kernels with the same thread count. For
every live-vs-stored comparison of the chapters (CHECKS in helpers.ch3.rules_sweep,
helpers.ch4.sweep and helpers.ch5.sweep), this re-runs the stored run in a fresh Python under
each variant of helpers.spreads.VARIANTS: ATEN_CPU_CAPABILITY=default ONEDNN_MAX_CPU_ISA=SSE41,
ATEN_CPU_CAPABILITY=avx2, and two torch threads, and stores the largest relative gap of each
compared curve to the stored run. helpers.spreads.compare() lets a run on another machine differ
by up to twice the largest of these gaps. Run it on the machine that made the stored results,
after making them (the file records their configuration hashes and goes stale with them). Nine
re-runs, about 10 minutes on a quiet core; the grokking run to its grokking step is most of it.
"""

from __future__ import annotations

import sys

from helpers import precomputed


def main(argv=None) -> int:
    parser = precomputed.script_parser(__doc__, seeds=False)
    args = precomputed.parse_script_args(parser, argv)
    from helpers import spreads  # imports the chapters (and torch): after --help has answered

    return precomputed.run_script(spreads.spec(), spreads.run_point, args)


if __name__ == "__main__":
    sys.exit(main())
