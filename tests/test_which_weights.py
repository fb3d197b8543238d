"""helpers.ch3.rules_sweep: the stored sweep is current and reproducible; the checked resume."""

import math
import platform

import matplotlib.pyplot as plt
import pytest
import torch

from helpers.ch3 import rules_sweep
from helpers.data import char_data
from helpers.model import GPT, GPTConfig
from helpers.param_groups import RULES, param_groups


@pytest.fixture(scope="module")
def record():
    return rules_sweep.load_sweep()  # fails if the configuration in code has changed


def test_the_stored_sweep_holds_every_point_and_its_provenance(record):
    results = record["results"]
    assert list(results) == [rules_sweep.point_key(r, lam) for r, lam in rules_sweep.sweep_points()]
    assert len(results) == 1 + 4 * len(RULES)
    assert record["command"] == rules_sweep.SWEEP_COMMAND
    assert record["torch_threads"] == rules_sweep.SWEEP_THREADS
    steps = list(range(0, rules_sweep.SWEEP_TRAIN.steps + 1, rules_sweep.SWEEP_TRAIN.eval_every))
    for run in results.values():
        assert run["step"] == steps
        assert set(run["norms"]) >= {rules_sweep.WTE, rules_sweep.WPE}
        assert all(math.isfinite(v) for v in run["val_loss"])
    # every run starts from the same initialisation
    first = {key: run["norms"][rules_sweep.WTE][0] for key, run in results.items()}
    assert len(set(first.values())) == 1


def test_a_stored_run_reproduces(record):
    """Re-run the first 100 steps of one stored run at the stored thread count."""
    rule, lam, stop = "olmo2", 1.0, 100
    stored = record["results"][rules_sweep.point_key(rule, lam)]
    if stored["data_fingerprint"] != char_data().fingerprint:
        pytest.skip(
            f"the sweep trained on Python {record['python']}'s help text; Python "
            f"{platform.python_version()} ships another text"
        )
    threads = torch.get_num_threads()
    torch.set_num_threads(record["torch_threads"])
    try:
        again = rules_sweep.run_point(rule, lam, stop_after=stop)
    finally:
        torch.set_num_threads(threads)
    n = len(again["step"])
    assert again["step"] == stored["step"][:n] and again["step"][-1] == stop
    for name, values in again["norms"].items():
        assert values == pytest.approx(stored["norms"][name][:n], rel=1e-3), name
    assert again["val_loss"] == pytest.approx(stored["val_loss"][:n], rel=1e-3)


def test_curves_start_at_the_initialisation(record):
    results = record["results"]
    curves = {
        (rule, lam): rules_sweep.curves(results, rule, lam)
        for rule in RULES
        for lam in rules_sweep.SWEEP_LAMBDAS
    }
    for key, series in curves.items():
        assert series["step"][0] == 0, key
        assert series["gain_rms"][0] == pytest.approx(1.0, rel=1e-6), key  # gains start at 1
        assert len(series["wte"]) == len(series["step"]) == len(series["val_loss"]), key
    # every stored run starts from the same θ_0: the same first point on every curve
    firsts = {(s["wte"][0], s["val_loss"][0]) for s in curves.values()}
    assert len(firsts) == 1
    # at λ = 0 no rule decays anything, so one stored run stands for all four
    assert {rules_sweep.point_key(rule, 0.0) for rule in RULES} == {"λ=0"}


def test_norms_figure_redraws_for_each_lambda(record):
    fig, update = rules_sweep.norms_figure(record["results"], rules_sweep.SWEEP_LAMBDAS)
    seen = set()
    for lam in rules_sweep.SWEEP_LAMBDAS:
        update(lam)
        wte_line = fig.axes[0].lines[1 + RULES.index("nanogpt")]
        seen.add(round(wte_line.get_ydata()[-1], 6))
        assert fig._suptitle.get_text().endswith(f"λ = {lam:g} (AdamW, η = 0.003)")
    assert len(seen) == len(rules_sweep.SWEEP_LAMBDAS)
    plt.close(fig)


def test_run_sweep_asks_for_each_point_once():
    asked = []
    results = rules_sweep.run_sweep(lambdas=(0.0, 0.5), run=lambda r, lam: asked.append((r, lam)))
    assert asked == [("nanogpt", 0.0)] + [(rule, 0.5) for rule in RULES]
    assert list(results) == ["λ=0"] + [f"{rule} λ=0.5" for rule in RULES]


# --- load_state_dict_checked -------------------------------------------------------------------


def trained_optimizer(model, groups):
    optimizer = torch.optim.AdamW(groups, lr=1e-2)
    idx = torch.arange(6).view(1, 6)
    model(idx, idx)[1].backward()
    optimizer.step()
    return optimizer


@pytest.fixture
def model():
    torch.manual_seed(0)
    return GPT(GPTConfig(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=8))


def test_checked_load_accepts_the_same_layout(model):
    saved = trained_optimizer(model, param_groups(model, 0.1)).state_dict()
    fresh = torch.optim.AdamW(param_groups(model, 0.1), lr=1e-2)
    rules_sweep.load_state_dict_checked(fresh, saved)
    first = fresh.param_groups[0]["params"][0]
    assert torch.equal(fresh.state[first]["exp_avg"], saved["state"][0]["exp_avg"])


def permuted(model, i, j):
    groups = param_groups(model, 0.1)
    for key in ("params", "param_names"):
        g = groups[0][key]
        g[i], g[j] = g[j], g[i]
    return groups


def test_checked_load_refuses_another_order_that_pytorch_accepts(model):
    groups = param_groups(model, 0.1)
    names = groups[0]["param_names"]
    # two decayed tensors of the same shape: PyTorch loads them swapped without a word
    i, j = (k for k, p in enumerate(groups[0]["params"]) if p.shape == (24, 8))
    saved = trained_optimizer(model, param_groups(model, 0.1)).state_dict()
    swapped = torch.optim.AdamW(permuted(model, i, j), lr=1e-2)
    swapped.load_state_dict(saved)
    # the tensor named names[j] now carries the moments saved for names[i]
    tensor_j = groups[0]["params"][j]
    assert torch.equal(swapped.state[tensor_j]["exp_avg"], saved["state"][i]["exp_avg"])
    assert not torch.equal(saved["state"][i]["exp_avg"], saved["state"][j]["exp_avg"])
    with pytest.raises(ValueError, match=f"position {i}: the state was saved for '{names[i]}'"):
        rules_sweep.load_state_dict_checked(
            torch.optim.AdamW(permuted(model, i, j), lr=1e-2), saved
        )


def test_checked_load_refuses_a_shape_mismatch_and_unnamed_groups(model):
    saved = trained_optimizer(model, param_groups(model, 0.1)).state_dict()
    saved["param_groups"][0]["param_names"] = list(saved["param_groups"][0]["param_names"])
    wrong = dict(saved, state=dict(saved["state"]))
    wrong["state"][0] = dict(saved["state"][0], exp_avg=torch.zeros(3))
    with pytest.raises(ValueError, match="saved exp_avg has shape \\(3,\\)"):
        rules_sweep.load_state_dict_checked(torch.optim.AdamW(param_groups(model, 0.1)), wrong)
    unnamed = torch.optim.AdamW(
        [
            {"params": g["params"], "weight_decay": g["weight_decay"]}
            for g in param_groups(model, 0.1)
        ]
    )
    with pytest.raises(ValueError, match="param group 0 has no param_names"):
        rules_sweep.load_state_dict_checked(unnamed, saved)
    with pytest.raises(ValueError, match="state_dict has 2 param groups, the optimizer 1"):
        rules_sweep.load_state_dict_checked(torch.optim.AdamW(model.parameters()), saved)
