"""Chapter 4's stored λ sweep: current, reproducible, and small."""

import math
import platform
from dataclasses import replace

import pytest
import torch

from helpers import precomputed
from helpers.ch4 import sweep as gpt_sweep
from helpers.ch4.sweep import (
    InitOverlap,
    copied_fraction,
    load_sweep,
    longest_copied,
    point_key,
    run_point,
    tau,
)
from helpers.model import GPT
from helpers.param_groups import RULES, param_groups
from helpers.runtime import set_seed
from helpers.train import train
from tests.test_train import TINY


def test_stored_sweep_matches_the_configuration_in_code(sweep):
    record = sweep.record
    assert record["command"] == gpt_sweep.COMMAND == "python scripts/sweep_tiny_gpt.py"
    assert record["torch_threads"] == gpt_sweep.THREADS
    expected = [point_key(lam) for lam in gpt_sweep.LAMBDAS] + [
        point_key(gpt_sweep.RULE_LAMBDA, "mingpt")
    ]
    assert sorted(sweep.points) == sorted(expected)
    for point in sweep.points.values():
        assert point["stopped"] == "finished" and point["step"][-1] == gpt_sweep.SWEEP_CONFIG.steps
        n = len(point["step"])
        assert len(point["val_loss"]) == len(point["init_overlap"]) == n
        assert point["sample"].startswith(gpt_sweep.SAMPLE.prompt)
    assert sweep.lambdas[0] == 0.0 and len(sweep.lambdas) >= 6
    assert len(sweep.data["train_text"]) == sweep.data["train_chars"] == 3000


def test_the_stored_file_stays_small():
    path = precomputed.data_files() / f"{gpt_sweep.NAME}.json"
    assert len(path.read_bytes()) < 200_000


def test_a_changed_configuration_is_stale(monkeypatch):
    monkeypatch.setattr(gpt_sweep, "SWEEP_CONFIG", replace(gpt_sweep.SWEEP_CONFIG, lr=1e-3))
    with pytest.raises(ValueError, match="regenerate it with: python scripts/sweep_tiny_gpt.py"):
        load_sweep()


def test_rerunning_a_point_reproduces_the_stored_values(sweep, data):
    if data.fingerprint != sweep.data["fingerprint"]:
        pytest.skip(
            f"the sweep trained on Python {sweep.record['python']}'s help text; Python "
            f"{platform.python_version()} ships another text (fingerprint "
            f"{data.fingerprint}, stored {sweep.data['fingerprint']})"
        )
    threads = torch.get_num_threads()
    torch.set_num_threads(gpt_sweep.THREADS)
    try:
        lam = 3.0
        point = run_point(lam, data=data)
    finally:
        torch.set_num_threads(threads)
    stored = sweep.point(lam)
    assert point["step"] == stored["step"]
    for key in ("train_loss", "val_loss", "init_overlap"):
        assert point[key] == pytest.approx(stored[key], rel=1e-3), key
    for group in ("decay", "no_decay"):
        assert point["group_norm"][group] == pytest.approx(stored["group_norm"][group], rel=1e-3)
    for name in gpt_sweep.TRACK:
        assert point["tensor_norm"][name] == pytest.approx(stored["tensor_norm"][name], rel=1e-3)
    assert point["decay_params"] == stored["decay_params"]
    # sampling turns tiny logit differences into other characters only rarely; the start holds
    assert point["sample"][:60] == stored["sample"][:60]


def test_init_overlap_reads_theta_0_at_step_0(data):
    config = replace(TINY, steps=20, eval_every=10, weight_decay=3.0)
    short = data.with_train_chars(config.train_chars)
    overlap = InitOverlap()
    history = train(config, data=short, callback=overlap)
    assert len(overlap.values) == len(history.step) == 3 and overlap.values[0] == 1.0
    assert 0 < overlap.values[-1] < 1
    # θ_0 is the run's own initialisation: train() seeds, then builds the model
    set_seed(config.seed)
    twin = dict(GPT(config.gpt_config(short.vocab.size)).named_parameters())
    decayed = param_groups(history.model, 1.0, rule=config.rule)[0]["param_names"]
    assert sorted(overlap.initial) == sorted(decayed)
    assert all(torch.equal(overlap.initial[n], twin[n]) for n in decayed)
    final = dict(history.model.named_parameters())
    inner = sum((final[n].detach() * twin[n].detach()).sum().item() for n in decayed)
    norm2 = sum(twin[n].detach().pow(2).sum().item() for n in decayed)
    assert overlap.values[-1] == pytest.approx(inner / norm2, rel=1e-12)


def test_the_sweep_trains_a_subset_of_the_books_rules():
    assert set(gpt_sweep.SWEEP_RULES) < set(RULES)
    assert gpt_sweep.sweep_config()["rules"] == list(gpt_sweep.SWEEP_RULES)


def test_longest_copied_finds_the_longest_verbatim_piece():
    source = "the assert statement is a convenient way"
    assert longest_copied("xx assert staty", source) == " assert stat"
    assert longest_copied("the way, a convenient", source) == " a convenient"
    assert longest_copied("qqq", source) == ""
    assert longest_copied("", source) == ""


def test_copied_fraction_counts_verbatim_pieces_and_skips_whitespace():
    source = "abcdef"
    assert copied_fraction("abcdxy", source, length=3) == 0.5  # abc, bcd of abc bcd cdx dxy
    assert copied_fraction("abcdef", source, length=6) == 1.0
    assert copied_fraction("      ab", source, length=3) == 0.0  # only " ab" counts
    assert copied_fraction("ab", source, length=3) == 0.0
    with pytest.raises(ValueError, match="length"):
        copied_fraction("abc", source, length=0)


def test_tau_is_one_over_lr_times_lambda():
    assert tau(3e-3, 10.0) == pytest.approx(1 / 0.03)
    assert math.isinf(tau(3e-3, 0.0))
