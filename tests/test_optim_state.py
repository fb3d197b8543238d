"""Saved optimizer state across optimizers: converted where the update is the same, else refused.

Issue: a ``torch.optim.AdamW`` state loaded into the book's AdamW, then died at the first step
with ``KeyError: 'decoupled'``; a state edited to ``lr=-5`` loaded without a word.
"""

import copy

import pytest
import torch
from torch import nn

from helpers import optim
from helpers.ch3.rules_sweep import load_state_dict_checked
from helpers.lion import Lion
from helpers.optim_state import WRITER, writer_of
from helpers.param_groups import param_groups


def model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3)).double()


X = torch.randn(16, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1))


def train(net, optimizer, steps):
    for _ in range(steps):
        optimizer.zero_grad()
        net(X).pow(2).mean().backward()
        optimizer.step()


# (torch.optim's optimizer, the book's of the same name), equal settings
PAIRS = {
    "adamw": (
        lambda g: torch.optim.AdamW(g, lr=1e-2, betas=(0.8, 0.95), weight_decay=0.3),
        lambda g: optim.AdamW(g, lr=1e-3),
    ),
    "adam-l2": (
        lambda g: torch.optim.Adam(g, lr=1e-2, weight_decay=0.3),
        lambda g: optim.Adam(g, lr=1e-3),
    ),
    "sgd-momentum": (
        lambda g: torch.optim.SGD(g, lr=1e-2, momentum=0.9, weight_decay=0.3),
        lambda g: optim.SGD(g, lr=1e-3, momentum=0.5),
    ),
}


@pytest.mark.parametrize("case", PAIRS)
def test_torch_state_continues_in_the_books_optimizer_exactly(case):
    make_torch, make_book = PAIRS[case]
    net = model()
    theirs = make_torch(param_groups(net, 0.3, "all"))
    train(net, theirs, 5)
    saved = copy.deepcopy(theirs.state_dict())
    twin = copy.deepcopy(net)
    ours = make_book(param_groups(twin, 0.0, "all"))  # other settings: the saved ones win
    ours.load_state_dict(saved)
    # the moments arrive, each with its own parameter
    for p_theirs, p_ours in zip(net.parameters(), twin.parameters(), strict=True):
        for key, value in theirs.state[p_theirs].items():
            if key == "step":
                assert ours.state[p_ours][key] == int(value) == 5
            else:
                assert torch.equal(ours.state[p_ours][key], value)
    assert ours.param_groups[0]["lr"] == 1e-2 and ours.param_groups[0]["weight_decay"] == 0.3
    # and the next steps are torch's, to rounding
    train(net, theirs, 5)
    train(twin, ours, 5)
    for a, b in zip(net.parameters(), twin.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-14)
    assert ours.state_dict()[WRITER] == f"helpers.optim.{type(ours).__name__}"


@pytest.mark.parametrize(
    "make_saved, make_loader, writer",
    [
        (lambda g: torch.optim.SGD(g, lr=0.1), lambda g: optim.AdamW(g), "torch.optim.SGD"),
        (lambda g: torch.optim.Adam(g), lambda g: optim.AdamW(g), "torch.optim.Adam"),
        (lambda g: optim.SGD(g, lr=0.1), lambda g: optim.AdamW(g), "helpers.optim.SGD"),
        (lambda g: Lion(g), lambda g: optim.AdamW(g), "helpers.lion.Lion"),
        (lambda g: optim.AdamW(g), lambda g: Lion(g), "helpers.optim.AdamW"),
        (lambda g: torch.optim.RMSprop(g), lambda g: optim.Adam(g), "another optimizer"),
        (
            lambda g: torch.optim.AdamW(g, amsgrad=True),
            lambda g: optim.AdamW(g),
            "torch.optim.AdamW with amsgrad=True",
        ),
        (
            lambda g: torch.optim.SGD(g, 0.1, 0.9, nesterov=True),
            lambda g: optim.SGD(g, 0.1, 0.9),
            "torch.optim.SGD with nesterov=True",
        ),
    ],
)
def test_another_optimizers_state_is_refused_at_load_naming_it(make_saved, make_loader, writer):
    net = model()
    saved_by = make_saved(list(net.parameters()))
    train(net, saved_by, 2)
    loader = make_loader(list(net.parameters()))
    before = copy.deepcopy(loader.state_dict())
    with pytest.raises(ValueError, match=f"written by {writer}"):
        loader.load_state_dict(saved_by.state_dict())
    assert loader.state_dict() == before  # nothing was loaded


@pytest.mark.parametrize(
    "key, value, says",
    [
        ("lr", -5.0, "lr must be a finite number > 0, got -5.0"),
        ("weight_decay", float("nan"), "weight_decay must be a finite number ≥ 0"),
        ("betas", (0.9, 1.0), r"betas\[1\] must be in \[0, 1\)"),
        ("decoupled", "yes", "decoupled must be True or False"),
    ],
)
def test_a_loaded_value_out_of_range_is_refused(key, value, says):
    net = model()
    saved = optim.AdamW(net.parameters(), lr=1e-3).state_dict()
    saved["param_groups"][0][key] = value
    fresh = optim.AdamW(net.parameters(), lr=1e-3)
    with pytest.raises(ValueError, match=says):
        fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["lr"] == 1e-3


def test_the_checked_resume_applies_the_same_rules():
    net = model()
    groups = param_groups(net, 0.1)
    theirs = torch.optim.AdamW(groups, lr=1e-2)
    train(net, theirs, 2)
    saved = theirs.state_dict()
    # torch's AdamW state continues in the book's AdamW, moments and all
    ours = optim.AdamW(param_groups(net, 0.1), lr=1e-2)
    load_state_dict_checked(ours, saved)
    first = ours.param_groups[0]["params"][0]
    assert torch.equal(ours.state[first]["exp_avg"], theirs.state[first]["exp_avg"])
    train(net, ours, 1)  # the KeyError 'decoupled' of before
    # a state with lr = -5 is refused for torch's optimizers too
    edited = copy.deepcopy(saved)
    edited["param_groups"][1]["lr"] = -5
    with pytest.raises(
        ValueError, match="param group 1: the loaded lr must be a finite number > 0"
    ):
        load_state_dict_checked(torch.optim.AdamW(param_groups(net, 0.1)), edited)
    # and torch's AdamW does not silently continue the book's state (its missing
    # decoupled_weight_decay key would make it plain Adam)
    with pytest.raises(ValueError, match="written by helpers.optim.AdamW"):
        load_state_dict_checked(torch.optim.AdamW(param_groups(net, 0.1)), ours.state_dict())
    with pytest.raises(ValueError, match="written by torch.optim.AdamW"):
        load_state_dict_checked(torch.optim.SGD(param_groups(net, 0.1), lr=0.1), saved)


def test_writer_of_names_torchs_optimizers_by_their_keys():
    net = model()
    assert writer_of(torch.optim.AdamW(net.parameters()).state_dict()) == "torch.optim.AdamW"
    assert writer_of(torch.optim.Adam(net.parameters()).state_dict()) == "torch.optim.Adam"
    assert writer_of(torch.optim.SGD(net.parameters(), 0.1).state_dict()) == "torch.optim.SGD"
    unnamed = optim.SGD(net.parameters(), 0.1).state_dict()
    del unnamed[WRITER]
    assert writer_of(unnamed).startswith("one of the book's optimizers")
    optim.SGD(net.parameters(), 0.1).load_state_dict(unnamed)  # still loads


@pytest.mark.parametrize("make", [optim.SGD, optim.Adam, optim.AdamW, Lion])
def test_complex_parameters_are_refused(make):
    z = nn.Parameter(torch.randn(3, dtype=torch.complex64))
    kwargs = {"lr": 0.1} if make is optim.SGD else {}
    with pytest.raises(ValueError, match="params must be real tensors.*view_as_real"):
        make([z], **kwargs)
    real = make([nn.Parameter(torch.randn(2))], **kwargs)
    with pytest.raises(ValueError, match="params must be real tensors"):
        real.add_param_group({"params": [z]})
    assert len(real.param_groups) == 1
