"""helpers.ch6.onepass and sweep: schedules, one pass, the branched twin, the control, bad input,
and a stored point re-run."""

import math
from dataclasses import replace

import pytest
import torch

from helpers.ch6 import sweep
from helpers.ch6.onepass import (
    OnePassConfig,
    Trainer,
    constant_and_wsd,
    lr_multiplier,
    train_one_pass,
)

SHORT = OnePassConfig(
    n_layer=1,
    steps=60,
    warmup_steps=10,
    eval_every=20,
    norm_every=1,
    held_out_seqs=32,
    weight_decay=0.3,
)


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_schedules():
    c = OnePassConfig(steps=1000, warmup_steps=100, schedule="wsd", cooldown_frac=0.2)
    assert lr_multiplier(0, c) == pytest.approx(0.01) and lr_multiplier(99, c) == 1.0
    assert c.cooldown_start == 800 and lr_multiplier(799, c) == 1.0
    assert lr_multiplier(899, c) == pytest.approx(0.5) and lr_multiplier(999, c) == 0.0
    assert lr_multiplier(999, replace(c, schedule="constant")) == 1.0


def test_one_pass_and_the_branched_twin_equals_a_run_from_scratch():
    constant, wsd = constant_and_wsd(SHORT)
    alone = train_one_pass(replace(SHORT, schedule="constant"))
    assert constant["excess"] == alone["excess"] and constant["norm"] == alone["norm"]
    assert constant["passes"] == wsd["passes"] == 1
    assert constant["train_tokens"] == 60 * SHORT.batch_size * SHORT.block_size
    # same until the cooldown, then apart
    start = SHORT.cooldown_start
    split = constant["norm_step"].index(start)
    assert constant["norm"][: split + 1] == wsd["norm"][: split + 1]
    assert constant["norm"][-1] != wsd["norm"][-1]


def test_control_matched_to_its_own_run_repeats_it_exactly():
    # the control's η_i = s_t·η·‖θ_i‖/N_i(t): matched to a λ = 0 run of the same seed, with
    # its norms recorded at every step, the ratio is exactly 1 and so is the run
    plain = train_one_pass(replace(SHORT, weight_decay=0.0))
    control = train_one_pass(replace(SHORT, weight_decay=0.0), match=plain)
    assert control["excess"] == plain["excess"] and control["norm"] == plain["norm"]


def test_control_follows_the_decayed_runs_norm_ratio():
    decayed = train_one_pass(SHORT)
    control = train_one_pass(SHORT, match=decayed)
    # its own norm grows (no decay), and its η_eff rises with it above s_t
    assert control["norm"][-1] > decayed["norm"][-1]
    assert control["eta_eff"][-1] > 1.0


def test_divergence_stops_with_a_message():
    trainer = Trainer(SHORT)
    with torch.no_grad():
        next(trainer.model.parameters()).fill_(math.nan)
    assert not trainer.train_until(10)
    history = trainer.finish()
    assert history["stopped"].startswith("diverged at step 0")


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"schedule": "cosine"}, "schedule"),
        ({"lr": 0.0}, "lr"),
        ({"weight_decay": -0.1}, "weight_decay"),
        ({"warmup_steps": 5000}, "warmup_steps"),
        ({"cooldown_frac": 0.0}, "cooldown_frac"),
    ],
)
def test_bad_config_is_refused_by_name(kwargs, name):
    with pytest.raises(ValueError, match=name):
        OnePassConfig(**kwargs)


def test_bad_points_are_refused_by_name():
    with pytest.raises(ValueError, match="until"):
        sweep.run_point(0.0, 0, until=0)
    with pytest.raises(ValueError, match="lam"):
        sweep.run_point(-1.0, 0, until=10)


def test_a_stored_point_is_repeated():
    # λ = 1, seed 0: the first 200 steps, against the file (exact on the machine that made it,
    # else within the gap between two other seeds)
    stored = sweep.load()
    live = sweep.run_point(1.0, 0, until=200)
    agreement = sweep.compare(stored, live, 1.0, 0, until=200)
    assert set(agreement) == set(sweep.COMPARED)
    point = stored.point(1.0, 0)
    assert set(point) == {"constant", "wsd", "control"}
    assert all(point[run]["passes"] == 1 for run in point)
