"""Make ``src/helpers/data/decay_rules.json``: chapter 3's four decay rules × five λ.

    python scripts/sweep_decay_rules.py

Trains ``helpers.ch3.rules_sweep.SWEEP_TRAIN`` (the chapter-4 CPU preset: 400 AdamW steps at
η = 3e-3) for every point of ``helpers.ch3.rules_sweep.sweep_points()``: λ = 0 once, and each of
the rules nanogpt, mingpt, olmo2 and all at λ = 0.1, 0.3, 1 and 3, recording the norms of the
token and position tables and every LayerNorm gain. One CPU thread
(``helpers.ch3.rules_sweep.SWEEP_THREADS``). 17 runs of about 7 s on a quiet core; on the busy
2-core machine that made the stored file it took much longer. Finished runs are cached in
``_build/sweep_decay_rules/`` so an interrupted sweep resumes.
``tests/test_which_weights.py`` re-runs the first 100 steps of one stored run and compares.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import torch

from helpers import precomputed
from helpers.ch3 import rules_sweep

COMMAND = "python scripts/sweep_decay_rules.py"
CACHE = Path(__file__).resolve().parents[1] / "_build" / "sweep_decay_rules"


def significant(value):
    """Seven significant digits: far below the 1e-3 re-run tolerance, and a small file."""
    if isinstance(value, dict):
        return {key: significant(v) for key, v in value.items()}
    if isinstance(value, list):
        return [significant(v) for v in value]
    return float(f"{value:.7g}") if isinstance(value, float) else value


def cached_run(rule: str, lam: float) -> dict:
    """One point, from the cache of an interrupted sweep of the same configuration if there."""
    key = precomputed.config_hash({**rules_sweep.sweep_config(), "point": [rule, lam]})
    path = CACHE / f"{key}.json"
    if path.exists():
        return json.loads(path.read_text())
    start = time.perf_counter()
    result = significant(rules_sweep.run_point(rule, lam))
    print(f"{rules_sweep.point_key(rule, lam):14s} {time.perf_counter() - start:6.1f} s")
    CACHE.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result))
    return result


def main() -> None:
    torch.set_num_threads(rules_sweep.SWEEP_THREADS)
    results = rules_sweep.run_sweep(run=cached_run)
    path = precomputed.save_results(
        rules_sweep.SWEEP_NAME, rules_sweep.sweep_config(), results, COMMAND
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
