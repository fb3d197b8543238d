"""Bad input anywhere in the public API: a ValueError that names the argument and its range.

One table of wrong types and out-of-range values for every config dataclass and the functions a
reader calls, the numbers a slider or a typo produce: strings, None, booleans, NaN, inf,
negative sizes, seeds torch cannot take. Each must raise ``ValueError("NAME must be …")``;
NumPy scalars, which the optimizers always accepted, must be accepted everywhere.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict

import numpy as np
import pytest
import torch

from helpers import checks, optim
from helpers.ch1 import ridge
from helpers.ch2 import grid, toy
from helpers.ch3 import figures as ch3_figures
from helpers.ch3 import rules_sweep
from helpers.ch5 import figures as ch5_figures
from helpers.ch5 import sweep as grok_sweep
from helpers.ch5.grokking import GrokConfig, split_pairs, train_grokking
from helpers.data import Vocab, char_data, get_batch
from helpers.model import GPT, GPTConfig
from helpers.param_groups import param_groups
from helpers.runtime import set_seed
from helpers.schedules import cosine_to_zero, linear_to_zero, lr_multiplier
from helpers.train import TrainConfig, train
from helpers.widgets import selection_slider

NAN, INF = math.nan, math.inf
TINY_GPT = GPTConfig(vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=8)
VOCAB = Vocab("abc")
TEXT = "the quick brown fox jumps over the lazy dog " * 20


def model():
    return GPT(TINY_GPT)


def fields_case(make, bad: dict[str, list]) -> list:
    """(description, call, name) for every bad value of every field of a config."""
    return [
        (f"{make.__name__}({field}={value!r})", lambda f=field, v=value: make(**{f: v}), field)
        for field, values in bad.items()
        for value in values
    ]


REAL = ["0.1", None, True, NAN, INF, [0.1], 1j]
COUNT = ["3", None, True, 2.5, NAN, -1, 0]
SEED = ["0", None, True, 1.5, -1, 2**63, 2**64]
FLAG = ["no", None, 1, 0.0]

CASES = [
    *fields_case(
        TrainConfig,
        {
            "lr": [*REAL, 0.0, -5],
            "weight_decay": [*REAL, -0.1],
            "dropout": [*REAL, 1.0, -0.1],
            "eps": ["1e-8", None, -1e-8],
            "grad_clip": ["1", None, -1.0],
            "min_lr_ratio": [None, 1.5, -0.1],
            "betas": [None, 0.9, (0.9,), ("0.9", 0.99), (0.9, 1.0), (-0.1, 0.9), "ab"],
            "batch_size": COUNT,
            "steps": COUNT,
            "eval_every": COUNT,
            "eval_batches": COUNT,
            "warmup_steps": ["1", None, -1, 1.5],
            "n_layer": COUNT,
            "n_head": COUNT,
            "n_embd": COUNT,
            "block_size": COUNT,
            "train_chars": ["3000", 2.5, 64],
            "seed": SEED,
            "bias": FLAG,
            "decoupled": FLAG,
            "bf16": FLAG,
            "rule": [None, "NanoGPT", ["nanogpt"]],
            "optimizer": [None, "sgd"],
            "schedule": [None, "linear"],
            "device": [None, 0],
        },
    ),
    *fields_case(
        lambda **kw: GPTConfig(**{"vocab_size": 11, **kw}),
        {"vocab_size": COUNT, "dropout": ["0.1", None, 1.0], "bias": FLAG},
    ),
    *fields_case(
        GrokConfig,
        {
            "p": ["97", None, 1, 7.0, True],
            "train_frac": [*REAL, 0.0, 1.0],
            "lr": [*REAL, 0.0],
            "weight_decay": [*REAL, -1.0],
            "betas": [None, "ab", (0.9, 1.0), (None, 0.98)],
            "target_acc": [*REAL, 0.0, 1.5],
            "stop_at_target": FLAG,
            "max_steps": COUNT,
            "eval_every": COUNT,
            "warmup_steps": [None, -1],
            "seed": SEED,
            "d_model": COUNT,
        },
    ),
    *fields_case(
        toy.ToyConfig,
        {
            "curvatures": [(100.0, -0.01), (100.0, 0.0), (1.0,), None, ("a", 1.0)],
            "target": [(1.0, NAN), None, (1.0, 1.0, 1.0)],
            "start": [(INF, 0.0), "00"],
            "lr": [*REAL, 0.0],
            "weight_decay": [*REAL, -0.1],
            "steps": COUNT,
            "betas": [(0.9, 1.0), (1.0, 0.999), None],
            "eps": [None, -1.0],
        },
    ),
    *fields_case(
        grid.GridConfig,
        {
            "label_noise": [2.0, -0.1, None],
            "features": COUNT,
            "classes": [1, None],
            "train_points": [0, None],
            "steps": COUNT,
            "data_seed": SEED,
            "init_seeds": [(), (1, -2), None, 3],
            "decay_rule": ["every", None],
            "lrs": [(), (1e-3, 0.0), (1e-3, NAN), None],
            "lambdas": [(0.0, -1.0), ("0",)],
            "threads": [0, None],
        },
    ),
    *fields_case(
        ridge.RidgeConfig,
        {"noise": [*REAL, -0.1], "n_train": [1, None, 2.5], "degree": [-1, None], "seed": SEED},
    ),
    ("train(config=None)", lambda: train(None), "config"),
    ("train(data='text')", lambda: train(data="text"), "data"),
    ("train(callback=5)", lambda: train(callback=5), "callback"),
    ("train(progress='yes')", lambda: train(progress="yes"), "progress"),
    ("train_grokking(None)", lambda: train_grokking(None), "config"),
    ("train_grokking(num_threads=0)", lambda: train_grokking(num_threads=0), "num_threads"),
    ("split_pairs(7, '0.5', 0)", lambda: split_pairs(7, "0.5", 0), "train_frac"),
    ("char_data(val_fraction='0.1')", lambda: char_data(TEXT, val_fraction="0.1"), "val_fraction"),
    ("char_data(val_fraction=1.0)", lambda: char_data(TEXT, val_fraction=1.0), "val_fraction"),
    ("char_data(text=5)", lambda: char_data(5), "text"),
    ("Vocab.decode([-1])", lambda: VOCAB.decode([-1]), "ids[0]"),
    ("Vocab.decode([3])", lambda: VOCAB.decode([0, 3]), "ids[1]"),
    ("Vocab.decode([1.0])", lambda: VOCAB.decode([1.0]), "ids[0]"),
    ("with_train_chars('9')", lambda: char_data(TEXT).with_train_chars("9"), "train_chars"),
    ("get_batch(batch_size=0)", lambda: get_batch(torch.arange(50), 0, 4, None), "batch_size"),
    (
        "generate(temperature=None)",
        lambda: model().generate(torch.ones(1, 1).long(), 2, None),
        "temperature",
    ),
    (
        "generate(temperature=-1)",
        lambda: model().generate(torch.ones(1, 1).long(), 2, -1.0),
        "temperature",
    ),
    ("generate(top_k=0)", lambda: model().generate(torch.ones(1, 1).long(), 2, top_k=0), "top_k"),
    (
        "generate(top_k=2.5)",
        lambda: model().generate(torch.ones(1, 1).long(), 2, top_k=2.5),
        "top_k",
    ),
    (
        "generate(max_new_tokens='3')",
        lambda: model().generate(torch.ones(1, 1).long(), "3"),
        "max_new_tokens",
    ),
    ("generate(seed=-1)", lambda: model().generate(torch.ones(1, 1).long(), 2, seed=-1), "seed"),
    (
        "generate(seed=2**64)",
        lambda: model().generate(torch.ones(1, 1).long(), 2, seed=2**64),
        "seed",
    ),
    ("generate(idx=[[1]])", lambda: model().generate([[1]], 2), "idx"),
    ("generate(idx=[[99]])", lambda: model().generate(torch.tensor([[99]]), 2), "idx"),
    ("param_groups(None)", lambda: param_groups(None, 0.1), "model"),
    ("param_groups(λ='0.1')", lambda: param_groups(model(), "0.1"), "weight_decay"),
    ("param_groups(λ=-1)", lambda: param_groups(model(), -1.0), "weight_decay"),
    ("param_groups(rule='x')", lambda: param_groups(model(), 0.1, rule="x"), "rule"),
    ("lr_multiplier(-1)", lambda: lr_multiplier(-1, TrainConfig(warmup_steps=0)), "step"),
    ("lr_multiplier(2.5)", lambda: lr_multiplier(2.5, TrainConfig()), "step"),
    ("linear_to_zero(0)", lambda: linear_to_zero(0), "steps"),
    ("cosine_to_zero('9')", lambda: cosine_to_zero("9"), "steps"),
    ("set_seed(2**64)", lambda: set_seed(2**64), "seed"),
    ("set_seed(-1)", lambda: set_seed(-1), "seed"),
    ("set_seed('1')", lambda: set_seed("1"), "seed"),
    ("AdamW(lr='1e-3')", lambda: optim.AdamW(model().parameters(), lr="1e-3"), "lr"),
    ("AdamW(lr=-5)", lambda: optim.AdamW(model().parameters(), lr=-5), "lr"),
    ("AdamW(betas=None)", lambda: optim.AdamW(model().parameters(), betas=None), "betas"),
    ("AdamW(eps=None)", lambda: optim.AdamW(model().parameters(), eps=None), "eps"),
    ("SGD(momentum=None)", lambda: optim.SGD(model().parameters(), 0.1, momentum=None), "momentum"),
    ("Adam(decoupled=1)", lambda: optim.Adam(model().parameters(), decoupled=1), "decoupled"),
    ("grid.train(steps=-5)", lambda: grid_train(steps=-5), "steps"),
    ("grid.train(lr=0)", lambda: grid_train(lr=0.0), "lr"),
    ("grid.train(lam='1')", lambda: grid_train(lam="1"), "lam"),
    ("grid.train(name='sgd')", lambda: grid_train(name="sgd"), "optimizer"),
    ("ridge_optimum(lam=-1)", lambda: toy.ridge_optimum(toy.ToyConfig(), -1.0), "lam"),
    ("adam_paths(steps=0)", lambda: toy.adam_paths(toy.ToyConfig(), steps=0), "steps"),
    ("adam_paths(lr='1')", lambda: toy.adam_paths(toy.ToyConfig(), lr="1"), "lr"),
    (
        "adam_paths(decoupled=(0,))",
        lambda: toy.adam_paths(toy.ToyConfig(), decoupled=(0,)),
        "decoupled[0]",
    ),
    ("gradient_descent(lr='0.1')", lambda: ridge_gd(lr="0.1"), "lr"),
    ("gradient_descent(lr=None)", lambda: ridge_gd(lr=None), "lr"),
    ("gradient_descent(steps=1.5)", lambda: ridge_gd(steps=1.5), "steps"),
    ("ridge_svd(lam='big')", lambda: ridge.ridge_svd(np.eye(3), np.ones(3), "big"), "lam"),
    ("chapter 3 figure update(0.2)", lambda: rules_update()(0.2), "lam"),
    ("chapter 3 curves(rule='x')", lambda: rules_sweep.curves({}, "x", 0.1), "rule"),
    ("chapter 5 figure update(0.2)", lambda: grokking_update()(0.2), "lam"),
    ("selection_slider([])", lambda: selection_slider([], "λ"), "values"),
    ("selection_slider(value=0.5)", lambda: selection_slider([0.0, 1.0], "λ", 0.5), "value"),
    ("selection_slider(['a'])", lambda: selection_slider(["a"], "λ"), "values[0]"),
]


def rules_update():
    return ch3_figures.hero(rules_sweep.load())[1]


def grokking_update():
    stored = grok_sweep.load()
    sweep = {lam: stored.point(lam, 0) for lam in grok_sweep.LAMBDAS}
    return ch5_figures.hero(sweep, lr=1e-3)[1]


def grid_train(name="adamw", lr=1e-3, lam=0.1, steps=None):
    config = grid.GridConfig(train_points=20, val_points=20)
    return grid.train(config, grid.make_data(config), name, lr, lam, seed=1, steps=steps)


def ridge_gd(lr=0.1, steps=3):
    return ridge.gradient_descent(np.eye(3), np.ones(3), 0.0, lr, steps)


@pytest.mark.parametrize("what, call, name", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_a_valueerror_naming_the_argument_and_its_range(what, call, name):
    with pytest.raises(ValueError) as error:
        call()
    message = str(error.value)  # the argument, or one item of it: "betas[1] must be in [0, 1)"
    assert re.match(rf"(.*: )?{re.escape(name)}(\[\d+\])? must be ", message), message


def test_numpy_scalars_are_accepted_and_stored_as_plain_python_numbers():
    config = TrainConfig(
        lr=np.float32(3e-3), batch_size=np.int64(8), seed=np.int64(3), n_embd=np.int32(32)
    )
    assert type(config.lr) is float and type(config.batch_size) is int
    json.dumps(asdict(config))  # plain types: the stored files hash this
    assert GPTConfig(vocab_size=np.int64(50)).vocab_size == 50
    grok = GrokConfig(p=np.int64(13), weight_decay=np.float64(0.5), betas=np.array([0.9, 0.98]))
    json.dumps(grok.to_dict())
    assert ridge.RidgeConfig(seed=np.uint8(4)).seed == 4
    assert VOCAB.decode(np.array([0, 2])) == "ac"
    assert param_groups(model(), np.float32(0.5))[0]["weight_decay"] == 0.5


def test_the_checks_say_what_is_allowed_in_one_style():
    cases = {
        lambda: checks.check_real(
            "lr", -5, low=0, low_open=True
        ): "lr must be a finite number > 0, got -5",
        lambda: checks.check_real(
            "p", 1.0, low=0, high=1, high_open=True
        ): "p must be in [0, 1), got 1.0",
        lambda: checks.check_real("x", 2, high=1): "x must be a finite number ≤ 1, got 2",
        lambda: checks.check_int("steps", 2.5, low=1): "steps must be an integer ≥ 1, got 2.5",
        lambda: checks.check_int("k", 0, low=1, high=9): "k must be an integer in [1, 9], got 0",
        lambda: checks.check_bool("bias", "no"): "bias must be True or False, got 'no'",
        lambda: checks.check_choice(
            "rule", "x", ("a", "b")
        ): "rule must be one of 'a', 'b', got 'x'",
        lambda: checks.check_seed(
            "seed", 2**63
        ): "seed must be an integer in [0, 2**63), got 9223372036854775808",
        lambda: checks.check_betas(
            "betas", 0.9
        ): "betas must be a pair (β₁, β₂), each in [0, 1), got 0.9",
        lambda: checks.check_tuple(
            "lrs", (), checks.check_real
        ): "lrs must be a non-empty sequence, got ()",
    }
    for call, message in cases.items():
        with pytest.raises(ValueError) as error:
            call()
        assert str(error.value) == message
    # what passes comes back as a plain Python value
    assert checks.check_real("x", np.float32(0.5)) == 0.5
    assert type(checks.check_int("n", np.int64(3))) is int
    assert checks.check_bool("b", np.bool_(True)) is True
    assert checks.check_betas("betas", [0.9, np.float64(0.95)]) == (0.9, 0.95)
    assert checks.check_real("x", 10**400 if False else 1e308) == 1e308
    with pytest.raises(ValueError, match="x must be a finite number"):
        checks.check_real("x", 10**400)


def test_history_to_dict_is_json_without_nan(data):
    history = train(
        TrainConfig(
            n_layer=1,
            n_head=2,
            n_embd=16,
            block_size=8,
            batch_size=4,
            steps=2,
            eval_every=1,
            eval_batches=1,
            train_chars=500,
            device="cpu",
        ),
        data=data,
    )
    assert math.isnan(history.update_ratio["decay"][0])  # no update before step 0
    record = history.to_dict()
    json.dumps(record, allow_nan=False)
    assert record["update_ratio"]["decay"][0] is None and record["ms_per_step"] > 0
