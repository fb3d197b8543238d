"""helpers.ch5.grokking: data split, model shapes, determinism, bad input, and the stored runs."""

import math

import pytest
import torch

from helpers import spreads
from helpers.ch5 import grokking
from helpers.ch5 import sweep as grok_sweep
from helpers.ch5.grokking import (
    GrokConfig,
    OneLayerTransformer,
    cross_entropy_float64,
    modular_addition_data,
    split_pairs,
    train_grokking,
    weight_norm,
)

TINY = dict(p=11, d_model=16, n_heads=2, d_mlp=32, max_steps=30, eval_every=10)


def test_split_is_a_partition_of_all_pairs():
    p, frac = 13, 0.3
    train, test = split_pairs(p, frac, seed=4)
    assert len(train) == round(frac * p * p) and len(train) + len(test) == p * p
    assert set(train.tolist()).isdisjoint(test.tolist())
    assert sorted(train.tolist() + test.tolist()) == list(range(p * p))
    # seeded: the same seed gives the same split, another seed another one
    assert torch.equal(split_pairs(p, frac, seed=4)[0], train)
    assert not torch.equal(split_pairs(p, frac, seed=5)[0], train)


def test_data_holds_every_sum_once_with_the_equals_token():
    p = 7
    data = modular_addition_data(p, 0.5, seed=0)
    x = torch.cat([data.train_x, data.test_x])
    y = torch.cat([data.train_y, data.test_y])
    assert x.shape == (p * p, 3) and y.shape == (p * p,)
    assert torch.all(x[:, 2] == p), "the third token is '='"
    assert torch.equal(y, (x[:, 0] + x[:, 1]) % p)
    assert len({(int(a), int(b)) for a, b in x[:, :2]}) == p * p


def test_model_shapes_and_parameter_count():
    p, d_model, heads, d_mlp = 97, 64, 4, 256
    model = OneLayerTransformer(p, d_model, heads, d_mlp)
    logits = model(modular_addition_data(p, 0.4, 0).test_x[:5])
    assert logits.shape == (5, p)
    # W_E, W_pos, W_Q/K/V/O, MLP with biases, W_U (untied): no LayerNorm parameters
    expected = (
        (p + 1) * d_model
        + 3 * d_model
        + 4 * d_model**2
        + 2 * d_model * d_mlp
        + d_mlp
        + d_model
        + d_model * p
    )
    assert sum(w.numel() for w in model.parameters()) == expected


def test_attention_is_causal_for_the_read_out_position():
    """Nanda's model masks attention causally; the last position sees all three anyway."""
    torch.manual_seed(0)
    model = OneLayerTransformer(11, 16, 2, 32)
    tokens = torch.tensor([[3, 5, 11]])
    # a reference forward pass with explicit causal masking of all positions
    resid = model.W_E[tokens] + model.W_pos
    n, h, e = 3, model.n_heads, model.d_head
    q = (resid @ model.W_Q).view(1, n, h, e).transpose(1, 2)
    k = (resid @ model.W_K).view(1, n, h, e).transpose(1, 2)
    v = (resid @ model.W_V).view(1, n, h, e).transpose(1, 2)
    scores = q @ k.transpose(-1, -2) / math.sqrt(e)
    scores = scores.masked_fill(torch.triu(torch.ones(n, n, dtype=torch.bool), 1), -torch.inf)
    z = (scores.softmax(-1) @ v).transpose(1, 2).reshape(1, n, -1)
    x = resid + z @ model.W_O
    x = x + torch.relu(x @ model.W_in + model.b_in) @ model.W_out + model.b_out
    torch.testing.assert_close(model(tokens), (x @ model.W_U)[:, -1])


def test_float64_loss_matches_cross_entropy_and_survives_confident_logits():
    logits = torch.randn(6, 5)
    labels = torch.tensor([0, 1, 2, 3, 4, 0])
    reference = torch.nn.functional.cross_entropy(logits.double(), labels)
    torch.testing.assert_close(cross_entropy_float64(logits, labels), reference)
    confident = torch.zeros(1, 5)
    confident[0, 0] = 30.0  # margin 30: float32 rounds p(correct) to 1, float64 does not
    assert float(torch.nn.functional.cross_entropy(confident, labels[:1])) == 0.0
    assert float(cross_entropy_float64(confident, labels[:1])) == pytest.approx(4 * math.exp(-30))


def test_weight_norm_is_the_norm_of_all_parameters():
    model = OneLayerTransformer(5, 8, 2, 8)
    flat = torch.cat([w.detach().flatten() for w in model.parameters()])
    assert weight_norm(model) == pytest.approx(float(flat.norm()), rel=1e-6)


def test_training_is_deterministic_for_a_seed_and_records_a_full_history():
    first = train_grokking(GrokConfig(**TINY, seed=3))
    second = train_grokking(GrokConfig(**TINY, seed=3))
    other = train_grokking(GrokConfig(**TINY, seed=4))
    assert first.history == second.history
    assert first.history["train_loss"] != other.history["train_loss"]
    assert first.history["step"] == [0, 10, 20, 30]
    assert set(first.history) == set(grokking.HISTORY_KEYS)
    assert all(len(v) == 4 for v in first.history.values())
    assert first.stopped in ("max_steps", "grokked") and first.seconds > 0
    assert first.history["train_loss"][-1] < first.history["train_loss"][0], "it learns"


def test_early_stopping_at_the_first_evaluation_that_reaches_the_target():
    # At initialisation test accuracy is about 1/p, so a target of 1e-9 is met at step 0.
    result = train_grokking(GrokConfig(**TINY, target_acc=1e-9))
    assert result.grok_step == 0 and result.stopped == "grokked"
    assert result.history["step"] == [0]
    result = train_grokking(GrokConfig(**TINY, target_acc=1e-9, stop_at_target=False))
    assert result.grok_step == 0 and result.history["step"][-1] == TINY["max_steps"]


def test_divergence_stops_with_a_message_and_keeps_the_history():
    result = train_grokking(GrokConfig(**{**TINY, "max_steps": 200}, lr=1e30, weight_decay=0.0))
    assert result.stopped.startswith("diverged")
    assert result.history["step"][0] == 0 and len(result.history["step"]) >= 2
    assert math.isfinite(result.history["train_loss"][0])


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(p=1), "p"),
        (dict(p=7.0), "p"),
        (dict(train_frac=0.0), "train_frac"),
        (dict(train_frac=1.0), "train_frac"),
        (dict(p=3, train_frac=0.01), "train_frac"),
        (dict(d_model=30, n_heads=4), "d_model must be divisible by n_heads"),
        (dict(lr=0.0), "lr"),
        (dict(lr=float("nan")), "lr"),
        (dict(weight_decay=-0.1), "weight_decay"),
        (dict(weight_decay=float("inf")), "weight_decay"),
        (dict(betas=(0.9, 1.0)), "betas"),
        (dict(betas=(-0.1, 0.98)), "betas"),
        (dict(warmup_steps=-1), "warmup_steps"),
        (dict(max_steps=0), "max_steps"),
        (dict(eval_every=0), "eval_every"),
        (dict(target_acc=0.0), "target_acc"),
        (dict(target_acc=1.5), "target_acc"),
        (dict(seed=-1), "seed"),
    ],
)
def test_bad_configuration_is_an_error_naming_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=name):
        GrokConfig(**kwargs)


def test_bad_split_arguments_and_device():
    with pytest.raises(ValueError, match="train_frac"):
        split_pairs(7, 1.2, 0)
    with pytest.raises(ValueError, match="seed"):
        split_pairs(7, 0.5, -3)
    with pytest.raises(ValueError, match="device"):
        train_grokking(GrokConfig(**TINY), device="tpu")
    with pytest.raises(ValueError, match="num_threads"):
        train_grokking(GrokConfig(**TINY), num_threads=0)


# ---------------------------------------------------------------------------------------------
# The stored runs (helpers/data/grokking.json, made by scripts/sweep_grokking.py)
# ---------------------------------------------------------------------------------------------


def test_stored_runs_match_the_configuration_in_code():
    runs = grok_sweep.load()  # raises ValueError if the code's runs changed
    assert list(runs.points) == grok_sweep.STORED.keys
    assert runs.made_on["threads"] == grok_sweep.THREADS
    lambdas = {lam for lam, _ in grok_sweep.STORED.points}
    assert lambdas == set(grok_sweep.LAMBDAS)
    for lam in lambdas - set(grok_sweep.SLOW_SEEDS):
        seeds = {seed for other, seed in grok_sweep.STORED.points if other == lam}
        assert seeds == set(grok_sweep.SEEDS)
    assert len(grok_sweep.SEEDS) >= 3
    for key, run in runs.points.items():
        history = run["history"]
        assert set(history) == set(grokking.HISTORY_KEYS), key
        if run["grok_step"] is not None:
            assert max(history["test_acc"]) >= 0.99, key


def test_rerunning_the_first_100_steps_reproduces_the_stored_run():
    """The first 100 steps of λ = 1, seed 0 again: exactly where the computation is the same,
    else within the spread measured for other kernels (helpers.spreads)."""
    stored = grok_sweep.load()
    check = grok_sweep.CHECKS["first 100 steps"]
    before = torch.get_num_threads()
    fresh = grok_sweep.run_point(*check.point, until=check.until)  # as the sweep did
    assert torch.get_num_threads() == before, "the thread count is restored"
    assert float(torch.tensor([1e-38]) / 100) != 0, "subnormals are no longer flushed"
    assert fresh["history"]["step"] == list(range(0, 101, 10))
    for agreement in spreads.compare(stored, "first 100 steps", fresh):
        print(agreement)


# ---------------------------------------------------------------------------------------------
# Figures (helpers.ch5.figures)
# ---------------------------------------------------------------------------------------------


def _fake_run(grok_step, last=300):
    steps = list(range(0, last + 1, 50))
    acc = [min(1.0, s / last) for s in steps]
    history = {key: [0.5] * len(steps) for key in grokking.HISTORY_KEYS}
    history.update(step=steps, train_acc=[1.0] * len(steps), test_acc=acc)
    return {"grok_step": grok_step, "history": history}


def test_hero_redraws_for_every_lambda_including_zero():
    import matplotlib

    matplotlib.use("Agg")
    from helpers.ch5.figures import hero, history_figure
    from helpers.frames import figure_png

    sweep = {0.0: _fake_run(None), 0.5: _fake_run(300), 1.0: _fake_run(150)}
    seeds = {0.0: [None, None], 0.5: [300, 350, None], 1.0: [150, 180]}
    fig, update = hero(sweep, lr=1e-3, seeds=seeds)
    assert "each seed" in fig.axes[1].get_legend_handles_labels()[1]
    frames = set()
    for lam in sweep:
        update(lam)
        title = fig.axes[0].get_title()
        assert ("not grokked" in title) == (sweep[lam]["grok_step"] is None), title
        frames.add(figure_png(fig))
    assert len(frames) == len(sweep), "each λ draws a different frame"
    fig = history_figure([("λ = 1", _fake_run(150)["history"], "C0")])
    assert len(fig.axes) == 2 and fig.axes[1].get_ylabel() == "weight norm ‖θ‖"
