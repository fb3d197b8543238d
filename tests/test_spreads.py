"""helpers.spreads: live-vs-stored comparisons, exact on the machine that made the file, within
a measured spread elsewhere; and the measured spreads themselves."""

import math
import types

import pytest

from helpers import precomputed, spreads
from helpers.precomputed import machines
from helpers.spreads import Check

SPEC = precomputed.Spec(
    name="demo",
    command="python make_demo.py",
    threads=1,
    config={"threads": 1},
    axes=("λ", "seed"),
    points=((1.0, 0), (1.0, 1), (1.0, 2)),
)
CHECK = Check(point=(1.0, 0), series=("loss", "grok_step"), until=20)


def _point(scale: float, grok_step=100) -> dict:
    return {
        "step": [0, 10, 20, 30],
        "loss": [2.0, 1.0 * scale, 0.5 * scale, 9.0],
        "grok_step": grok_step,
    }


@pytest.fixture
def demo(monkeypatch):
    """A stored result with three seeds, and a measured spread of 1 % for every variant."""
    points = {SPEC.key(*p): _point(1.0 + 0.1 * p[1], 100 + 10 * p[1]) for p in SPEC.points}
    stored = precomputed.Stored(
        SPEC, {"machine": precomputed.machine(1), "results": {"points": points}}
    )
    module = types.SimpleNamespace(STORED=SPEC, CHECKS={"c": CHECK})
    monkeypatch.setattr(spreads, "_modules", lambda: {"demo": module})
    measured = {"gaps": {"loss": 0.01, "grok_step": 0.01}, "capability": "DEFAULT", "threads": 1}
    fake = types.SimpleNamespace(point=lambda *key: measured)
    monkeypatch.setattr(spreads, "load", lambda: fake)
    return stored


def test_relative_gap_and_series():
    assert spreads.relative_gap([1.0, 2.0], [1.0, 2.2]) == pytest.approx(0.2 / 2.2)
    assert spreads.relative_gap([0.0], [0.0]) == 0.0
    assert spreads.relative_gap([1.0], [1.0, 2.0]) == math.inf
    assert spreads.relative_gap([math.nan], [1.0]) == math.inf
    cut = spreads.series(_point(1.0), CHECK)
    assert cut == {"loss": [2.0, 1.0, 0.5], "grok_step": [100]}  # steps ≤ 20; a number as a list


def test_the_same_computation_must_agree_to_rounding(demo):
    agreements = spreads.compare(demo, "c", _point(1.0))
    assert all(a.gap == 0 and a.limit == 1e-5 for a in agreements)
    assert "rounding only" in agreements[0].basis
    with pytest.raises(AssertionError, match="loss: gap 1.0e-04"):
        spreads.compare(demo, "c", _point(1.0001))


def test_another_cpu_must_stay_within_twice_the_measured_variant_gap(demo, monkeypatch):
    here = precomputed.machine(1)
    monkeypatch.setattr(machines, "machine", lambda threads=None: {**here, "cpu": "Other"})
    agreements = spreads.compare(demo, "c", _point(1.015))  # 1.5 % ≤ 2 × 1 %
    assert {a.path: a.limit for a in agreements} == {"loss": 0.02, "grok_step": 0.02}
    with pytest.raises(AssertionError, match="further from the stored one"):
        spreads.compare(demo, "c", _point(1.03))
    # the seeds (here 10 % and 20 % apart) do not widen the limit on a CPU ...
    with pytest.raises(AssertionError):
        spreads.compare(demo, "c", _point(1.0, grok_step=115))
    # ... but do on another device, where the arithmetic itself differs (e.g. TF32 on a GPU)
    spreads.compare(demo, "c", _point(1.0, grok_step=115), device="cuda")
    line = spreads.summary(demo, "c", agreements)
    assert line.startswith("your run vs the stored one") and "another seed" in line


def test_seed_gaps_come_from_the_stored_runs(demo):
    gaps = spreads.seed_gaps(demo, "c")
    assert gaps["grok_step"] == {
        "seed 1": pytest.approx(10 / 110),
        "seed 2": pytest.approx(20 / 120),
    }


def test_the_measured_spreads_are_current_and_smaller_than_another_seed():
    """spreads.json rests on the stored results as they are (it goes stale with them), each
    variant really ran under its kernels, and on every compared curve another CPU's kernels land
    no further from the stored run than another seed: what the chapters say."""
    measured = spreads.load()
    modules = spreads._modules()
    for name, module in modules.items():
        stored = module.load()
        assert measured.made_on["cpu"] == stored.made_on["cpu"], "measured where the runs were made"
        for check_name in module.CHECKS:
            variants = {v: measured.point(name, check_name, v) for v in spreads.VARIANTS}
            assert variants["default-SSE41"]["capability"] == "DEFAULT"
            assert variants["2-threads"]["threads"] == 2
            seeds = spreads.seed_gaps(stored, check_name)
            for path, by_seed in seeds.items():
                kernels = max(point["gaps"][path] for point in variants.values())
                assert kernels <= max(by_seed.values()), (name, check_name, path)
