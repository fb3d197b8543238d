"""helpers.precomputed: one spec, one make (threads, resume cache, rounding, progress, Ctrl-C),
one load that names every fault with the command that regenerates the file."""

import json
import math
from pathlib import Path

import pytest
import torch

from helpers import precomputed
from helpers.precomputed import Interrupted, Spec, StoredDataError, loading, machines, making


def _check(point):
    precomputed.check_curves(point, ["loss"])


SPEC = Spec(
    name="demo",
    command="python make_demo.py",
    threads=1,
    config={"steps": 3, "threads": 1},
    axes=("rule", "λ", "seed"),
    points=(("a", 0.0, 0), ("a", 0.5, 0), ("b", 0.5, 1)),
    check=_check,
)


def run_demo(rule, lam, seed):
    """A point of SPEC: a fake loss curve, with more digits than the file keeps."""
    return {"step": [0, 1, 2], "loss": [1 / 3 + lam, 0.25 + seed, math.pi], "rule": rule}


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """Reads and writes of helpers/data go to a temporary folder."""
    monkeypatch.setattr(making, "DATA_DIR", tmp_path)
    monkeypatch.setattr(loading, "data_files", lambda: tmp_path)
    return tmp_path


def make(tmp_path, run_point=run_demo, **kwargs):
    lines = []
    path = precomputed.make(
        SPEC, run_point, cache_dir=tmp_path / "cache", log=lines.append, **kwargs
    )
    return path, lines


def test_keys_name_every_coordinate_in_one_format():
    assert SPEC.keys == ["rule=a/λ=0/seed=0", "rule=a/λ=0.5/seed=0", "rule=b/λ=0.5/seed=1"]
    assert precomputed.point_key(("η", "λ"), (10**-3.5, 1.0)) == "η=0.000316228/λ=1"
    with pytest.raises(ValueError, match="3 coordinates"):
        SPEC.key("a", 0.5)
    with pytest.raises(ValueError, match="same key"):
        Spec("x", "c", 1, {}, ("λ",), ((1.0,), (1,)))
    with pytest.raises(ValueError, match="threads"):
        Spec("x", "c", 2, {"threads": 1}, ("λ",), ((1.0,),))


def test_hash_ignores_key_order_but_not_values():
    assert precomputed.config_hash({"a": 1, "b": 2}) == precomputed.config_hash({"b": 2, "a": 1})
    assert precomputed.config_hash({"a": 1}) != precomputed.config_hash({"a": 2})


def test_make_rounds_saves_and_records_the_machine(data_dir, tmp_path):
    path, lines = make(tmp_path)
    assert path == data_dir / "demo.json"
    stored = precomputed.load(SPEC)
    assert stored.point("a", 0.5, 0)["loss"] == [0.833333, 0.25, 3.14159]  # 6 digits
    assert stored.record["command"] == SPEC.command
    made_on = stored.made_on
    assert made_on["threads"] == 1 and made_on["torch"] == torch.__version__
    assert made_on["cpu_capability"] == torch.backends.cpu.get_cpu_capability()
    assert made_on["cpu"] == precomputed.cpu_name() and made_on["cpu"]
    assert stored.same_computation()
    # progress: point i of n, elapsed and an estimate of the time left
    assert "[point 3 of 3]" in lines[-2] and "elapsed" in lines[-2] and "left" in lines[-2]
    assert lines[-1].startswith(f"wrote {path}")
    assert not list(data_dir.glob(".*.tmp")), "no temporary file is left behind"


def test_make_uses_the_spec_threads_and_restores_the_callers(data_dir, tmp_path):
    seen = []

    def run(*point):
        seen.append(torch.get_num_threads())
        return run_demo(*point)

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        make(tmp_path, run)
        assert seen == [1, 1, 1] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_another_machine_does_not_compute_the_same(data_dir, tmp_path, monkeypatch):
    make(tmp_path)
    stored = precomputed.load(SPEC)
    here = precomputed.machine(1)
    for change in ({"cpu_capability": "OTHER"}, {"cpu": "Other CPU"}, {"threads": 2}):
        monkeypatch.setattr(machines, "machine", lambda threads=None, c=change: {**here, **c})
        assert not stored.same_computation(), change
    monkeypatch.setattr(machines, "machine", lambda threads=None: {**here, "python": "3.12.1"})
    assert stored.same_computation(), "the Python version does not change float32 sums"


def test_resume_reuses_finished_points_and_ignores_an_unreadable_cache(data_dir, tmp_path):
    make(tmp_path)
    calls = []

    def counted(*point):
        calls.append(point)
        return run_demo(*point)

    make(tmp_path, counted, resume=True)
    assert calls == []
    cached = sorted((tmp_path / "cache" / "demo").glob("*.json"))
    assert len(cached) == 3
    cached[0].write_text('{"step": [0, 1')  # cut short, as by a crash mid-write
    with pytest.warns(UserWarning, match="unreadable cache"):
        make(tmp_path, counted, resume=True)
    assert len(calls) == 1
    make(tmp_path, counted)  # without --resume every point runs again
    assert len(calls) == 4


def test_the_resume_cache_is_per_point(tmp_path):
    """Adding seeds to a sweep keeps the finished points' caches; other settings do not."""
    key = "rule=a/λ=0/seed=0"

    def cache(config, point_config=None):
        spec = Spec(**{**SPEC.__dict__, "config": config, "point_config": point_config})
        return making.cache_path(spec, key, tmp_path)

    more_seeds = {**SPEC.config, "seeds": [0, 1, 2]}
    assert cache(SPEC.config) != cache(more_seeds), "by default the whole configuration decides"
    per_point = lambda *point: {"steps": 3}  # noqa: E731
    assert cache(SPEC.config, per_point) == cache(more_seeds, per_point)
    assert cache(SPEC.config, per_point) != cache(SPEC.config, lambda *point: {"steps": 4})


def test_ctrl_c_stops_at_once_writes_nothing_and_says_how_to_resume(data_dir, tmp_path):
    calls = []

    def interrupted_at_the_second(*point):
        calls.append(point)
        if len(calls) == 2:
            # what a sweep's run_point does when train() returns a history cut short by Ctrl-C
            precomputed.stop_if_interrupted("interrupted", "the second point")
        return run_demo(*point)

    with pytest.raises(Interrupted):
        make(tmp_path, interrupted_at_the_second)
    assert len(calls) == 2, "the sweep stopped at the first interrupt"
    assert not (data_dir / "demo.json").exists(), "nothing half-done in the stored data"
    assert len(list((tmp_path / "cache" / "demo").glob("*.json"))) == 1


def test_ctrl_c_message_names_the_resume_command(data_dir, tmp_path):
    def interrupt(*point):
        raise KeyboardInterrupt

    lines = []
    with pytest.raises(Interrupted):
        precomputed.make(SPEC, interrupt, cache_dir=tmp_path, log=lines.append)
    assert "0 of 3 points are finished" in lines[-1]
    assert lines[-1].endswith("Resume with: python make_demo.py --resume")


def test_a_point_with_a_nan_is_refused_before_anything_is_saved(data_dir, tmp_path):
    def diverged(*point):
        return {"step": [0, 1, 2], "loss": [1.0, float("nan"), 2.0]}

    with pytest.raises(StoredDataError, match=r"loss\[1\] is None, not a finite number"):
        make(tmp_path, diverged)
    assert not (data_dir / "demo.json").exists()


def test_workers_share_the_points_out_and_give_the_same_file(data_dir, tmp_path):
    one, _ = make(tmp_path, output=tmp_path / "one.json")
    two, _ = make(tmp_path, output=tmp_path / "two.json", workers=2)
    first, second = (json.loads(Path(p).read_text())["results"] for p in (one, two))
    assert first == second
    with pytest.raises(ValueError, match="workers must be an integer from 1"):
        make(tmp_path, workers=0)


def test_write_json_is_all_or_nothing(tmp_path):
    path = tmp_path / "x.json"
    precomputed.write_json(path, {"a": 1})
    with pytest.raises(ValueError):
        precomputed.write_json(path, {"a": float("nan")})  # JSON has no NaN
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


# ---------------------------------------------------------------------------------------------
# Damaged or foreign files: each error names the file, the fault and the command
# ---------------------------------------------------------------------------------------------


def _good_record(data_dir, tmp_path) -> dict:
    make(tmp_path)
    return json.loads((data_dir / "demo.json").read_text())


def _broken(record, **changes):
    return json.dumps({**record, **changes})


@pytest.mark.parametrize(
    "damage, fault",
    [
        (lambda r: b"", "is empty"),
        (lambda r: json.dumps(r)[:200].encode(), "not valid JSON"),
        (lambda r: bytes(range(256)), "not UTF-8"),
        (lambda r: b"[1, 2, 3]", "not a stored result"),
        (lambda r: _broken(r, config_hash=None).encode(), "another configuration"),
        (lambda r: json.dumps({k: v for k, v in r.items() if k != "machine"}).encode(), "needs"),
        (lambda r: _broken(r, results={"points": []}).encode(), "hold no points"),
        (lambda r: _broken(r, results=[]).encode(), "hold no points"),
        (
            lambda r: json.dumps(r).replace("0.25", "NaN").encode(),
            "holds NaN",
        ),
        (
            lambda r: json.dumps(r).replace("0.25", "null").encode(),
            r"loss\[1\] is None",
        ),
        (
            lambda r: json.dumps(r).replace('"loss": [', '"loss": [1, ').encode(),
            "loss has 4 values for 3 evaluations",
        ),
        (
            lambda r: json.dumps(r).replace('"step"', '"steps"').encode(),
            "step is missing",
        ),
        (
            lambda r: _broken(
                r, results={"points": dict(list(r["results"]["points"].items())[:2])}
            ).encode(),
            "lacks points",
        ),
    ],
)
def test_a_damaged_file_names_itself_the_fault_and_the_fix(data_dir, tmp_path, damage, fault):
    record = _good_record(data_dir, tmp_path)
    (data_dir / "demo.json").write_bytes(damage(record))
    with pytest.raises(StoredDataError, match=fault) as error:
        precomputed.load(SPEC)
    message = str(error.value)
    assert str(data_dir / "demo.json") in message
    assert "regenerate it with: python make_demo.py" in message


def test_a_missing_file_and_a_changed_configuration_name_the_command(data_dir, tmp_path):
    with pytest.raises(StoredDataError, match="missing; make it with: python make_demo.py"):
        precomputed.load(SPEC)
    make(tmp_path)
    changed = Spec(**{**SPEC.__dict__, "config": {"steps": 4, "threads": 1}})
    with pytest.raises(ValueError, match="regenerate it with: python make_demo.py"):
        precomputed.load(changed)


def test_an_unknown_point_is_an_error_listing_the_stored_ones(data_dir, tmp_path):
    make(tmp_path)
    with pytest.raises(KeyError, match="no point rule=a/λ=3/seed=0; stored: rule=a/λ=0/seed=0"):
        precomputed.load(SPEC).point("a", 3.0, 0)


def test_check_values_and_rounding():
    assert precomputed.rounded({"a": [1 / 3, float("inf")], "b": (2, "x")}) == {
        "a": [0.333333, None],
        "b": [2, "x"],
    }
    precomputed.check_values({"a": [1, 2.5], "b": {"c": [0.0]}, "d": None, "e": "text"})
    for bad, where in (({"a": [1, None]}, r"a\[1\]"), ({"a": {"b": [True]}}, r"a/b\[0\]")):
        with pytest.raises(ValueError, match=where):
            precomputed.check_values(bad)
    with pytest.raises(ValueError, match="not a JSON object"):
        precomputed.check_values([1, 2])


def test_every_stored_file_says_what_made_it():
    """Every stored result names its command, its configuration and the machine that made it."""
    for path in sorted(precomputed.DATA_DIR.glob("*.json")):
        record = json.loads(path.read_text())
        assert set(precomputed.RECORD_KEYS) <= set(record), path.name
        made_on = record["machine"]
        for key in ("cpu", "cpu_capability", "kernel_env", "threads", "torch", "python", "numpy"):
            assert key in made_on, (path.name, key)
        assert made_on["threads"] == record["config"]["threads"], path.name


def test_a_config_with_tuples_is_held_as_the_file_holds_it():
    # TrainConfig's betas are a tuple; JSON turns it into a list, and load() compares the two
    spec = precomputed.Spec(
        name="x", command="c", threads=1, config={"betas": (0.9, 0.99)}, axes=("a",), points=((1,),)
    )
    assert spec.config == {"betas": [0.9, 0.99]}
    assert spec.config_hash == precomputed.config_hash({"betas": [0.9, 0.99]})
