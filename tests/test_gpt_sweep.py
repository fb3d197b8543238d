"""Chapter 4's stored λ sweep: current, reproducible on any CPU, and small."""

import math
from dataclasses import replace

import pytest
import torch

from helpers import corpus, precomputed, spreads
from helpers.ch4 import sweep as gpt_sweep
from helpers.ch4.sweep import (
    InitOverlap,
    copied_fraction,
    longest_copied,
    tau,
)
from helpers.model import GPT
from helpers.param_groups import RULES, param_groups
from helpers.runtime import set_seed
from helpers.train import train
from tests.test_train import TINY


def test_stored_sweep_matches_the_configuration_in_code(sweep):
    record = sweep.record
    assert record["command"] == gpt_sweep.STORED.command == "python scripts/sweep_tiny_gpt.py"
    assert sweep.made_on["threads"] == gpt_sweep.THREADS
    assert len(sweep.seeds) >= 3
    expected = [
        gpt_sweep.STORED.key(rule, lam, seed)
        for seed in gpt_sweep.SEEDS
        for rule, lam in [("nanogpt", lam) for lam in gpt_sweep.LAMBDAS]
        + [("mingpt", gpt_sweep.RULE_LAMBDA)]
    ]
    assert sorted(sweep.points) == sorted(expected)
    for point in sweep.points.values():
        assert point["stopped"] == "finished" and point["step"][-1] == gpt_sweep.SWEEP_CONFIG.steps
        n = len(point["step"])
        assert len(point["val_loss"]) == len(point["init_overlap"]) == n
        assert point["sample"].startswith(gpt_sweep.SAMPLE.prompt)
        # stored to 6 significant digits (helpers.precomputed.rounded)
        copied = copied_fraction(point["sample"], sweep.data["train_text"])
        assert point["copied"] == pytest.approx(copied, rel=1e-5)
    assert sweep.lambdas[0] == 0.0 and len(sweep.lambdas) >= 6
    assert len(sweep.data["train_text"]) == sweep.data["train_chars"] == 3000
    assert sweep.data["fingerprint"] == corpus.FINGERPRINT


def test_the_stored_file_stays_small():
    path = precomputed.data_files() / f"{gpt_sweep.STORED.name}.json"
    assert len(path.read_bytes()) < 600_000


def test_a_changed_configuration_is_stale(monkeypatch):
    monkeypatch.setattr(gpt_sweep, "SWEEP_CONFIG", replace(gpt_sweep.SWEEP_CONFIG, lr=1e-3))
    monkeypatch.setattr(gpt_sweep, "STORED", gpt_sweep.spec())
    with pytest.raises(ValueError, match="regenerate it with: python scripts/sweep_tiny_gpt.py"):
        gpt_sweep.load()


def test_rerunning_a_point_reproduces_the_stored_values(sweep):
    """The stored run at λ = 10 again, here: exactly where the computation is the same (this
    CPU's kernels, the stored thread count), else within the spread measured for other kernels
    (helpers.spreads)."""
    ((name, check),) = gpt_sweep.CHECKS.items()
    # with the stored runs' thread count (another count sums in another order)
    point = gpt_sweep.train_point(*check.point, threads=gpt_sweep.THREADS)[1]
    for agreement in spreads.compare(sweep, name, point):
        print(agreement)
    rule, lam, seed = check.point
    stored = sweep.run(lam, rule, seed)
    assert point["step"] == stored["step"]
    assert point["decay_params"] == stored["decay_params"]
    if sweep.same_computation():
        # the text too: sampling turns the smallest difference into other characters
        assert point["sample"] == stored["sample"]


def test_an_interrupted_run_stops_a_sweep_and_stores_nothing(monkeypatch, tmp_path):
    """Ctrl-C during a sweep: train() returns a history cut short, and the sweep must stop."""

    def interrupted_train(config, **kwargs):
        def ctrl_c(step, history):
            raise KeyboardInterrupt  # what the notebook's stop button or a terminal sends

        config = replace(config, steps=5, eval_every=5)
        return train(config, **{**kwargs, "callback": ctrl_c})

    monkeypatch.setattr(gpt_sweep, "train", interrupted_train)
    with pytest.raises(precomputed.Interrupted):
        gpt_sweep.run_point("nanogpt", 1.0, 0)
    lines = []
    spec = gpt_sweep.spec(seeds=(0,))
    with pytest.raises(precomputed.Interrupted):
        precomputed.make(
            spec,
            gpt_sweep.run_point,
            output=tmp_path / "sweep.json",
            cache_dir=tmp_path,
            log=lines.append,
        )
    assert not (tmp_path / "sweep.json").exists()
    assert "0 of 8 points are finished" in lines[-1] and "--resume" in lines[-1]


def test_init_overlap_reads_theta_0_at_step_0(data):
    config = replace(TINY, steps=20, eval_every=10, weight_decay=3.0)
    short = data.with_train_chars(config.train_chars)
    overlap = InitOverlap()
    history = train(config, data=short, callback=overlap)
    assert len(overlap.values) == len(history.step) == 3 and overlap.values[0] == 1.0
    overlap(0, history)  # a callback at step 0 adds nothing: values[0] is θ_0 already
    assert len(overlap.values) == 3
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
    assert gpt_sweep.STORED.config["rules"] == list(gpt_sweep.SWEEP_RULES)


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
