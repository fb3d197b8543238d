"""Stored results: one spec, one ``make`` that trains and saves them, one ``load`` that checks them.

A chapter that needs minutes of training plots a stored result instead. Every stored result has
the same shape:

- a :class:`Spec`: the file's name, the command that makes it, the torch thread count of every
  run, the configuration (everything else that decides the numbers; its hash guards the file),
  and the points, each named by its coordinates on the spec's axes: axes ``("rule", "λ", "seed")``
  and point ``("olmo2", 1.0, 0)`` give the key ``"rule=olmo2/λ=1/seed=0"``;
- a chapter module that exposes ``STORED`` (its spec), ``run_point(*coordinates)`` (one point as
  a JSON-ready dict) and ``load()`` (the checked file, a :class:`Stored`);
- :func:`make`, which owns the threads, the resume cache, the rounding, the progress lines and
  the saving, so that each script is argparse around one call.

Each file records the machine that made it (:func:`machine`). Float32 training is
bit-reproducible on one CPU with one thread count, not across CPU families, so
:func:`helpers.spreads.compare` checks a live run exactly against the stored one where the
computation is the same, and elsewhere against a spread that was measured: the same runs under
other kernels and thread counts, and other seeds (``helpers/data/spreads.json``, made by
``python scripts/measure_spreads.py``).

The parts, each one idea: :mod:`.spec` (what a stored result is), :mod:`.machines` (what it was
made on), :mod:`.making` (:func:`make`), :mod:`.loading` (:func:`load`, :class:`Stored`) and
:mod:`.script` (the scripts' command line). Import the names from here.

Introduced in the Introduction (how the book keeps every number earned).
"""

from helpers.precomputed.loading import (
    RECORD_KEYS,
    Stored,
    check_curves,
    check_values,
    data_files,
    load,
    read_record,
)
from helpers.precomputed.machines import cpu_name, machine, machine_summary
from helpers.precomputed.making import DATA_DIR, make, rounded, stop_if_interrupted, write_json
from helpers.precomputed.script import parse_script_args, run_script, script_parser
from helpers.precomputed.spec import (
    Interrupted,
    Spec,
    StoredDataError,
    config_hash,
    point_key,
)

__all__ = [
    "DATA_DIR",
    "RECORD_KEYS",
    "Interrupted",
    "Spec",
    "Stored",
    "StoredDataError",
    "check_curves",
    "check_values",
    "config_hash",
    "cpu_name",
    "data_files",
    "load",
    "machine",
    "machine_summary",
    "make",
    "parse_script_args",
    "point_key",
    "read_record",
    "rounded",
    "run_script",
    "script_parser",
    "stop_if_interrupted",
    "write_json",
]
