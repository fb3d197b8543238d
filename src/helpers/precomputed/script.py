"""The sweep scripts' command line: argparse around :func:`~helpers.precomputed.make`.

The parser needs no torch, so ``--help`` is instant. Introduced in the Introduction (how the book
keeps every number earned).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

from helpers.precomputed.making import make
from helpers.precomputed.spec import Interrupted, Spec

ROOT = Path(__file__).resolve().parents[3]  # the repository, for an editable install


def script_parser(doc: str, seeds: bool = True) -> argparse.ArgumentParser:
    """The options every sweep script shares; ``doc`` is the script's docstring."""
    first, _, rest = doc.strip().partition("\n")
    parser = argparse.ArgumentParser(
        description=first,
        epilog=rest.strip("\n"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cpus = os.cpu_count() or 1
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help=f"processes that share the points out, 1 to {cpus} (default 1); each run uses the "
        "stored thread count whatever N is, so the numbers do not depend on it",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="reuse the points an interrupted run finished (cached in _build/precomputed/)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        metavar="PATH",
        help="write here instead of the package's data file (the book reads only that one)",
    )
    if seeds:
        parser.add_argument(
            "--seeds",
            type=int,
            nargs="+",
            metavar="S",
            help="train these seeds instead of the book's (needs --output: the book's file "
            "must hold the book's seeds)",
        )
    return parser


def parse_script_args(parser: argparse.ArgumentParser, argv=None) -> argparse.Namespace:
    """Parse, and refuse what make() would refuse later: bad workers, seeds without --output."""
    args = parser.parse_args(argv)
    cpus = os.cpu_count() or 1
    if not 1 <= args.workers <= cpus:
        parser.error(f"--workers must be from 1 to {cpus} (the CPUs here), got {args.workers}")
    if getattr(args, "seeds", None) is not None:
        if args.output is None:
            parser.error("--seeds needs --output: the book's data file holds the book's seeds")
        if any(seed < 0 for seed in args.seeds) or len(set(args.seeds)) != len(args.seeds):
            parser.error(f"--seeds must be distinct integers ≥ 0, got {args.seeds}")
    return args


def run_script(
    spec: Spec,
    run_point: Callable[..., dict],
    args: argparse.Namespace,
    extra: Callable[[], dict] | None = None,
) -> int:
    """:func:`make` with the script's options; the exit status (130 after Ctrl-C)."""
    try:
        make(
            spec,
            run_point,
            output=args.output,
            cache_dir=ROOT / "_build" / "precomputed",
            resume=args.resume,
            workers=args.workers,
            extra=extra,
        )
    except Interrupted:
        return 130
    return 0
