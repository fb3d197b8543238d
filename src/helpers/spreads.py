"""How far a live run may be from the stored one: exact where the computation is the same, a
measured spread elsewhere.

Float32 training repeats bit for bit on one CPU with one thread count, not across CPU families:
other SIMD kernels round differently, and training amplifies the difference. So a chapter compares
its live run with a stored one through :func:`compare`:

- where the computation is the same (:meth:`helpers.precomputed.Stored.same_computation`: the
  CPU model, SIMD level, kernel variables, torch build and thread count that made the file), the
  live numbers must repeat the stored ones up to their rounding;
- elsewhere, the gap must stay within the spread that was measured for that comparison: the
  same run on the machine that made the file under other kernels
  (``ATEN_CPU_CAPABILITY=default ONEDNN_MAX_CPU_ISA=SSE41``, ``ATEN_CPU_CAPABILITY=avx2``) and
  another thread count (stored in ``helpers/data/spreads.json`` by
  ``python scripts/measure_spreads.py``), and the stored runs with other seeds.

Each comparison is a :class:`Check` in its chapter's sweep module (``CHECKS``); the module's
``run_point(*point, until=…)`` makes the live run.

Introduced in the Introduction (how the book keeps every number earned).
"""

from __future__ import annotations

import importlib
import json
import math
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from helpers import precomputed

# The chapters whose stored results have live comparisons, by module.
MODULES = ("helpers.ch3.rules_sweep", "helpers.ch4.sweep", "helpers.ch5.sweep")
# Other ways the same run is computed: environment variables (set before torch starts, in a
# subprocess) and a torch thread count.
VARIANTS = {
    "default-SSE41": {
        "env": {"ATEN_CPU_CAPABILITY": "default", "ONEDNN_MAX_CPU_ISA": "SSE41"},
        "threads": None,
    },
    "AVX2": {"env": {"ATEN_CPU_CAPABILITY": "avx2"}, "threads": None},
    "2-threads": {"env": {}, "threads": 2},
}
# A new machine is one more sample of the spread the variants measure, and the largest of three
# samples is exceeded by the next one now and then: the limit is this many times the largest gap
# measured. Checked against a real second machine: chapter 4's λ = 3 run made on a Xeon with 2
# threads differs from the same run on an AMD EPYC with 1 thread by up to 1.2 times the largest
# gap the variants gave on the EPYC (validation loss 2.6e-2 against 2.2e-2), and by less
# elsewhere (λ = 10, the first 100 steps).
MARGIN = 2.0


@dataclass(frozen=True)
class Check:
    """A live-vs-stored comparison: which stored point it repeats, which of its values, how far."""

    point: tuple  # the stored point's coordinates; the live run repeats it
    series: tuple[str, ...]  # paths of the compared values inside a point, e.g. "norms/<name>"
    until: int | None = None  # compare the evaluations at steps ≤ until (None: the whole run)
    steps: str = "step"  # path of the evaluation steps inside a point


def value_at(point: dict, path: str):
    """The value at ``path`` ("history/train_loss") inside a stored or live point."""
    value = point
    for part in path.split("/"):
        value = value[part]
    return value


def series(point: dict, check: Check) -> dict[str, list[float]]:
    """The values ``check`` compares, as lists cut to the evaluations at steps ≤ ``until``."""
    keep = None
    if check.until is not None:
        keep = sum(step <= check.until for step in value_at(point, check.steps))
    out = {}
    for path in check.series:
        value = value_at(point, path)
        if isinstance(value, list):
            out[path] = value[:keep]
        else:  # a single number (e.g. the step a run grokked at): compared as one value
            out[path] = [math.nan if value is None else value]
    return out


def relative_gap(live: Sequence[float], stored: Sequence[float]) -> float:
    """max |a − b| / max(|a|, |b|) over the pairs (0 where both are 0); inf if lengths differ."""
    if len(live) != len(stored):
        return math.inf
    gap = 0.0
    for a, b in zip(live, stored, strict=True):
        scale = max(abs(a), abs(b))
        if math.isnan(a) or math.isnan(b):
            gap = max(gap, 0.0 if (math.isnan(a) and math.isnan(b)) else math.inf)
        elif scale > 0:
            gap = max(gap, abs(a - b) / scale)
    return gap


def gaps(live: dict, stored: dict, check: Check) -> dict[str, float]:
    """The relative gap of every value of ``check`` between two points."""
    ours, theirs = series(live, check), series(stored, check)
    return {path: relative_gap(ours[path], theirs[path]) for path in check.series}


# ---------------------------------------------------------------------------------------------
# The measured spreads: a stored result of its own
# ---------------------------------------------------------------------------------------------


def _module(name: str):
    return importlib.import_module(name)


def _modules() -> dict[str, object]:
    """Stored name → the sweep module that defines it and its CHECKS."""
    modules = [_module(name) for name in MODULES]
    return {module.STORED.name: module for module in modules}


def spec() -> precomputed.Spec:
    """The spreads' own :class:`~helpers.precomputed.Spec`: every check of every chapter under
    every variant. Its configuration holds the hashes of the stored results it was measured
    against, so it goes stale with them."""
    modules = _modules()
    points = tuple(
        (name, check, variant)
        for name, module in modules.items()
        for check in module.CHECKS
        for variant in VARIANTS
    )
    config = {
        "stored": {name: module.STORED.config_hash for name, module in modules.items()},
        "checks": {
            f"{name}: {check_name}": asdict(check)
            for name, module in modules.items()
            for check_name, check in module.CHECKS.items()
        },
        "variants": VARIANTS,
        "threads": 1,
    }
    return precomputed.Spec(
        name="spreads",
        command="python scripts/measure_spreads.py",
        threads=1,
        config=json.loads(json.dumps(config)),  # tuples as lists, as the file has them
        axes=("stored", "check", "variant"),
        points=points,
        check=_check_spread_point,
    )


def _check_spread_point(point: dict) -> None:
    if not isinstance(point.get("gaps"), dict) or not point["gaps"]:
        raise ValueError("gaps must map each compared value to its measured gap")
    if not isinstance(point.get("capability"), str):
        raise ValueError("capability must name the SIMD level the variant ran with")


def run_point(stored: str, check: str, variant: str) -> dict:
    """Re-run ``check`` of the stored result ``stored`` under ``variant`` in a fresh Python (the
    kernel variables only act before torch starts) and return its gap to the stored run."""
    setting = VARIANTS[variant]
    env = {**os.environ, **setting["env"]}
    threads = setting["threads"] or _modules()[stored].STORED.threads
    command = [sys.executable, "-m", "helpers.spreads", stored, check, str(threads)]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        if done.returncode in (-2, 130):
            raise precomputed.Interrupted(f"{stored}: {check} under {variant} was interrupted")
        raise RuntimeError(f"{' '.join(command)} failed under {variant}:\n{done.stderr[-2000:]}")
    live = json.loads(done.stdout.splitlines()[-1])
    module = _modules()[stored]
    spec_check = module.CHECKS[check]
    reference = module.load().point(*spec_check.point)
    return {
        "gaps": gaps(live["point"], reference, spec_check),
        "capability": live["capability"],
        "threads": threads,
    }


def _child(stored: str, check: str, threads: int) -> None:
    """In the subprocess: run one check and print the live point and the SIMD level as JSON."""
    import torch

    torch.set_num_threads(threads)
    module = _modules()[stored]
    spec_check = module.CHECKS[check]
    point = module.run_point(*spec_check.point, until=spec_check.until)
    capability = torch.backends.cpu.get_cpu_capability()
    print(json.dumps({"point": precomputed.rounded(point), "capability": capability}))


def load() -> precomputed.Stored:
    """The measured spreads, checked (stale when a stored result they rest on was remade)."""
    return precomputed.load(spec())


# ---------------------------------------------------------------------------------------------
# Comparing a live run with the stored one
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Agreement:
    """How one compared value of a live run agrees with the stored run."""

    path: str  # the compared value, e.g. "val_loss"
    gap: float  # the largest relative gap, live vs stored
    limit: float  # the gap allowed
    basis: str  # why: "same computation" or the measured spread the limit rests on

    @property
    def ok(self) -> bool:
        return self.gap <= self.limit

    def __str__(self) -> str:
        return f"{self.path}: gap {self.gap:.1e}, limit {self.limit:.1e} ({self.basis})"


def seed_gaps(stored: precomputed.Stored, check_name: str) -> dict[str, dict[str, float]]:
    """Per compared value: the gap between the stored run and the stored runs with other seeds."""
    check = _modules()[stored.spec.name].CHECKS[check_name]
    reference = stored.point(*check.point)
    out = {path: {} for path in check.series}
    axis = stored.spec.axes.index("seed")
    for seed in sorted({p[axis] for p in stored.spec.points} - {check.point[axis]}):
        other = (*check.point[:axis], seed, *check.point[axis + 1 :])
        if other in stored.spec.points:
            for path, gap in gaps(stored.point(*other), reference, check).items():
                out[path][f"seed {seed}"] = gap
    return out


def measured_spread(stored: precomputed.Stored, check_name: str) -> dict[str, dict[str, float]]:
    """Per compared value: the gap measured under each variant (``spreads.json``) and to the
    stored runs with each other seed."""
    measured = load()
    out = seed_gaps(stored, check_name)
    for variant in VARIANTS:
        point = measured.point(stored.spec.name, check_name, variant)
        for path in out:
            out[path][variant] = point["gaps"][path]
    return out


def compare(
    stored: precomputed.Stored, check_name: str, live: dict, device: str = "cpu"
) -> list[Agreement]:
    """How the live point ``live`` (from the module's ``run_point``) agrees with the stored one.

    Where the computation is the same (the CPU, with the spec's threads, on the machine that made
    the file), every value must agree to the stored rounding. On another CPU, within
    :data:`MARGIN` times the largest gap measured under other kernels and threads; on another
    device (a GPU), within :data:`MARGIN` times the largest gap to another seed or variant.
    Raises AssertionError naming every value that does not agree; returns the agreements.
    """
    module = _modules()[stored.spec.name]
    check = module.CHECKS[check_name]
    found = gaps(live, stored.point(*check.point), check)
    rounding = 10.0 ** (1 - stored.spec.digits)
    if device == "cpu" and stored.same_computation():
        basis = "same computation as the stored run: rounding only"
        agreements = [Agreement(path, gap, rounding, basis) for path, gap in found.items()]
    else:
        spread = measured_spread(stored, check_name)
        agreements = []
        for path, gap in found.items():
            measured = {
                source: value
                for source, value in spread[path].items()
                if device != "cpu" or source in VARIANTS
            }
            source = max(measured, key=measured.get)
            basis = f"{MARGIN:g} × the largest measured gap, {measured[source]:.1e} ({source})"
            limit = max(MARGIN * measured[source], rounding)
            agreements.append(Agreement(path, gap, limit, basis))
    failed = [a for a in agreements if not a.ok]
    if failed:
        made_on = precomputed.machine_summary(stored.made_on)
        here = precomputed.machine_summary(precomputed.machine(stored.spec.threads))
        raise AssertionError(
            f"{stored.spec.name}: {check_name}: the live run on {device} is further from the "
            f"stored one (made on {made_on}; here {here}) than measured:\n"
            + "\n".join(f"  {a}" for a in failed)
        )
    return agreements


def summary(stored: precomputed.Stored, check_name: str, agreements: Sequence[Agreement]) -> str:
    """Two lines for a chapter: the compared value closest to its limit, and how far the stored
    runs with other seeds are from the stored one on that value."""
    worst = max(agreements, key=lambda a: a.gap / a.limit)
    seeds = seed_gaps(stored, check_name)[worst.path]
    line = f"your run vs the stored one, {worst}"
    if seeds:
        largest = max(seeds.values())
        line += f"\nanother seed vs the stored one, {worst.path}: gap up to {largest:.1e}"
    return line


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2], int(sys.argv[3]))
