"""helpers.ch3.rules_sweep: the stored sweep is current and reproducible; the checked resume."""

import math

import matplotlib.pyplot as plt
import pytest
import torch

from helpers import corpus, spreads
from helpers.ch3 import figures, rules_sweep
from helpers.model import GPT, GPTConfig
from helpers.param_groups import RULES, param_groups


@pytest.fixture(scope="module")
def record():
    return rules_sweep.load()  # fails if the configuration in code has changed


def test_the_stored_sweep_holds_every_point_and_its_provenance(record):
    points = record.points
    assert list(points) == rules_sweep.STORED.keys
    assert len(points) == (1 + 4 * len(RULES)) * len(rules_sweep.SEEDS)
    assert len(rules_sweep.SEEDS) >= 3
    assert record.record["command"] == rules_sweep.STORED.command
    assert record.made_on["threads"] == rules_sweep.THREADS
    steps = list(range(0, rules_sweep.SWEEP_TRAIN.steps + 1, rules_sweep.SWEEP_TRAIN.eval_every))
    for run in points.values():
        assert run["step"] == steps
        assert set(run["norms"]) >= {rules_sweep.WTE, rules_sweep.WPE}
        assert all(math.isfinite(v) for v in run["val_loss"])
        assert run["data_fingerprint"] == corpus.FINGERPRINT
    # the runs of one seed start from one initialisation, another seed's from another
    for seed in rules_sweep.SEEDS:
        first = {
            run["norms"][rules_sweep.WTE][0]
            for key, run in points.items()
            if key.endswith(f"/seed={seed}")
        }
        assert len(first) == 1
    starts = {
        rules_sweep.point(record, "olmo2", 1.0, seed)["norms"][rules_sweep.WTE][0]
        for seed in rules_sweep.SEEDS
    }
    assert len(starts) == len(rules_sweep.SEEDS)


def test_a_stored_run_reproduces(record):
    """Re-run the first 100 steps of one stored run: exactly where the computation is the same,
    else within the spread measured for other kernels (helpers.spreads)."""
    ((name, check),) = rules_sweep.CHECKS.items()
    threads = torch.get_num_threads()
    torch.set_num_threads(rules_sweep.THREADS)
    try:
        again = rules_sweep.run_point(*check.point, until=check.until)
    finally:
        torch.set_num_threads(threads)
    assert again["step"][-1] == check.until
    for agreement in spreads.compare(record, name, again):
        print(agreement)


def test_curves_start_at_the_initialisation(record):
    for rule in RULES:
        for lam in rules_sweep.SWEEP_LAMBDAS:
            series = rules_sweep.curves(record, rule, lam)
            assert series["step"][0] == 0, (rule, lam)
            assert series["gain_rms"][0] == pytest.approx(1.0, rel=1e-6), (rule, lam)
            assert len(series["wte"]) == len(series["step"]) == len(series["val_loss"])
    # at λ = 0 every rule is the same run
    assert rules_sweep.curves(record, "mingpt", 0.0) == rules_sweep.curves(record, "all", 0.0)


def test_the_hero_marks_every_lambda_and_refuses_others(record):
    fig, update = figures.hero(record, value=0.0)  # λ = 0 selectable
    ends = figures.final_values(record)
    marked = set()
    for lam in rules_sweep.SWEEP_LAMBDAS:
        update(lam)
        assert f"λ = {lam:g} marked" in fig._suptitle.get_text()
        # the marker sits on the mean of the seeds, in every panel
        for k, ax in enumerate(fig.axes[:3]):
            ys = [line.get_ydata() for line in ax.lines if len(line.get_ydata()) == 1]
            means = sorted(float(ends[rule, lam][:, k].mean()) for rule in RULES)
            assert sorted(float(y[0]) for y in ys) == pytest.approx(means)
        marked.add(tuple(fig.axes[0].lines[-1].get_xdata()))
    assert len(marked) == len(rules_sweep.SWEEP_LAMBDAS)
    with pytest.raises(ValueError, match="lam must be one of"):
        update(0.2)
    with pytest.raises(ValueError, match="value must be one of"):
        figures.hero(record, value=5.0)
    plt.close(fig)


def test_final_values_keep_every_seed(record):
    ends = figures.final_values(record)
    for (rule, lam), values in ends.items():
        assert values.shape == (len(rules_sweep.SEEDS), len(figures.PANELS)), (rule, lam)
        assert (values > 0).all()
    # λ = 0 is one run for every rule
    assert (ends["mingpt", 0.0] == ends["all", 0.0]).all()


def test_the_sweep_trains_lambda_zero_once_per_seed_and_every_rule_above():
    points = rules_sweep.STORED.points
    for seed in rules_sweep.SEEDS:
        at_zero = [p for p in points if p[1] == 0 and p[2] == seed]
        assert at_zero == [(rules_sweep.ANY_RULE, 0.0, seed)]
        for lam in rules_sweep.SWEEP_LAMBDAS[1:]:
            assert [p[0] for p in points if p[1] == lam and p[2] == seed] == list(RULES)


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
