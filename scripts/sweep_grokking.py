"""Make ``src/helpers/data/grokking.json``: the grokking runs that chapter 5 plots.

    python scripts/sweep_grokking.py

Trains every run of ``helpers.ch5.grokking.precomputed_runs()`` on the CPU with
``torch.set_num_threads(helpers.ch5.grokking.THREADS)``: λ = 1 over three seeds (stopping when they
grok), λ = 0 over three seeds through 3000 steps, and a λ sweep (seed 0, up to 10,000 steps).
About 50k full-batch steps at ~25–30 ms each: the stored file took 19 minutes of training on
one core of a 2-core machine shared with other jobs.
Finished runs are cached in ``_build/sweep_grokking/`` so an interrupted sweep resumes.
``tests/test_grokking.py`` re-runs the first 100 steps of one stored run and compares.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from helpers import precomputed
from helpers.ch5 import grokking

COMMAND = "python scripts/sweep_grokking.py"
CACHE = Path(__file__).resolve().parents[1] / "_build" / "sweep_grokking"


def rounded(value):
    """Six significant digits: far below the 1e-3 re-run tolerance, and a small file."""
    return value if isinstance(value, int) else float(f"{value:.6g}")


def thinned(history: dict[str, list]) -> dict[str, list]:
    """Every evaluation up to ``THIN["all_until"]``, then every ``THIN["then_every"]`` steps."""
    steps, rule = history["step"], grokking.THIN
    keep = [
        i
        for i, step in enumerate(steps)
        if step <= rule["all_until"] or step % rule["then_every"] == 0 or i == len(steps) - 1
    ]
    return {key: [rounded(values[i]) for i in keep] for key, values in history.items()}


def run(config: grokking.GrokConfig) -> dict:
    """Train one configuration, or read it from the cache of an earlier, interrupted sweep."""
    path = CACHE / f"{precomputed.config_hash(config.to_dict())}.json"
    if path.exists():
        return json.loads(path.read_text())
    result = grokking.train_grokking(config, device="cpu", num_threads=grokking.THREADS)
    record = {
        "grok_step": result.grok_step,
        "stopped": result.stopped,
        "seconds": round(result.seconds, 1),
        "history": result.history,
    }
    CACHE.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record))
    return record


def main() -> None:
    torch.set_num_threads(grokking.THREADS)
    results = {}
    for name, config in grokking.precomputed_runs().items():
        record = run(config)
        results[name] = {**record, "history": thinned(record["history"])}
        best = max(record["history"]["test_acc"])
        print(
            f"{name:22s} grok_step={record['grok_step']} stopped={record['stopped']} "
            f"best_test_acc={best:.3f} {record['seconds']:.0f} s",
            flush=True,
        )
    path = precomputed.save_results(
        grokking.PRECOMPUTED, grokking.precomputed_config(), results, COMMAND
    )
    print(f"wrote {path} ({path.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
