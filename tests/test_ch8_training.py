"""Chapter 8's training run: settings checked, groups split as Moonlight's, updates recovered."""

import math
from dataclasses import replace

import pytest

from helpers.ch8.training import RunConfig, split_parameters, train_run
from helpers.data import char_data
from helpers.model import GPT
from helpers.runtime import cpu_threads
from helpers.train import CPU_PRESET

SHORT = RunConfig(steps=8, eval_every=4)


@pytest.fixture(autouse=True)
def one_thread():
    with cpu_threads(1):  # as the chapter's runs; two are far slower on a busy machine
        yield


@pytest.fixture(scope="module")
def data():
    return char_data()


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("optimizer", "sgd", "optimizer"),
        ("lr", 0.0, "lr"),
        ("muon_lr", -1.0, "muon_lr"),
        ("adjust_lr_fn", "bigger", "adjust_lr_fn"),
        ("weight_decay", -0.1, "weight_decay"),
        ("wd_schedule", "step", "wd_schedule"),
        ("steps", 2, "steps"),
        ("eval_every", 0, "eval_every"),
        ("seed", -1, "seed"),
    ],
)
def test_bad_settings_are_named(field, value, message):
    with pytest.raises(ValueError, match=message):
        replace(SHORT, **{field: value})


def test_the_groups_are_the_hidden_matrices_the_embeddings_and_the_rest(data):
    model = GPT(CPU_PRESET.gpt_config(data.vocab.size))
    groups = split_parameters(model)
    assert len(groups["hidden"]) == 8  # c_attn, attn.c_proj, c_fc, mlp.c_proj × 2 layers
    assert {n for n, _ in groups["embed"]} == {"transformer.wte.weight", "transformer.wpe.weight"}
    assert all(p.dim() == 1 for _, p in groups["gains"])
    total = sum(p.numel() for ps in groups.values() for _, p in ps)
    assert total == sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("optimizer", ["adamw", "muon", "lion"])
def test_a_short_run_of_each_optimizer(optimizer, data):
    run = train_run(replace(SHORT, optimizer=optimizer, weight_decay=1.0), data=data)
    assert run["stopped"] == "finished" and run["step"] == [0, 4, 8]
    assert all(math.isfinite(v) for v in run["val_loss"])
    assert run["val_loss"][-1] < run["val_loss"][0]
    assert len(run["u_sq"]) == len(run["theta_u"]) == 8


def test_the_recovered_update_of_lion_is_a_sign(data):
    """u_t = ((1 − ηλ)·θ_{t−1} − θ_t)/η recovers Lion's sign(c_t): ‖u‖² is the entry count."""
    run = train_run(replace(SHORT, optimizer="lion", lr=1e-3, weight_decay=3.0), data=data)
    for name, u_sq in run["u_sq"].items():
        assert u_sq == pytest.approx(math.prod(run["shape"][name]), rel=1e-3)


def test_a_falling_lambda_decays_less_than_a_constant_one(data):
    constant = train_run(replace(SHORT, optimizer="muon", weight_decay=3.0), data=data)
    falling = train_run(
        replace(SHORT, optimizer="muon", weight_decay=3.0, wd_schedule="linear"), data=data
    )
    assert falling["group_norm"]["hidden"][-1] > constant["group_norm"]["hidden"][-1]
    assert falling["val_loss"][1] != constant["val_loss"][1]
