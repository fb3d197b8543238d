"""helpers.schedules: λ_t = λ·r_t set each step the way LambdaLR sets η_t, and the multipliers."""

import io
import math

import pytest
import torch
from torch import nn

from helpers import optim
from helpers.ch2 import shrink
from helpers.muon import Muon
from helpers.schedules import WeightDecayLambda, cosine_to_zero, linear_to_zero, lr_squared
from tests.parity import Case, matrix_groups
from tests.test_muon import MUON_LRS
from tests.test_optim import (
    ADAM_LRS,
    LAMBDAS,
    STEPS,
    batches,
    groups,
    make_model,
    moved,
    train_step,
    warmup_cosine,
)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# The same λ schedule on ours and on torch.optim's: λ_t reaches the optimizer the same way.
SCHEDULED = {
    "adamw-linear-to-zero": Case(
        lambda g: optim.AdamW(g),
        lambda g: torch.optim.AdamW(g, foreach=False),
        ADAM_LRS,
        decay_multiplier=linear_to_zero(STEPS),
    ),
    "muon-cosine-to-zero": Case(
        lambda g: Muon(g),
        lambda g: torch.optim.Muon(g),
        MUON_LRS,
        grouping=matrix_groups,
        decay_multiplier=cosine_to_zero(STEPS),
    ),
}


@pytest.mark.parametrize("case", sorted(SCHEDULED))
def test_float64_parity_under_a_lambda_schedule(case):
    worst, (model, _) = SCHEDULED[case].run()
    assert worst <= 1e-10, f"{case}: max |Δθ| = {worst:.2e}"
    assert moved(model) > 0.05


@pytest.mark.parametrize("case", sorted(SCHEDULED))
def test_the_schedule_changes_the_run(case):
    _, (scheduled, _) = SCHEDULED[case].run()
    _, (constant, _) = SCHEDULED[case]._replace(decay_multiplier=None).run()
    pairs = zip(scheduled.parameters(), constant.parameters(), strict=True)
    assert max((p - q).abs().max().item() for p, q in pairs) > 1e-3


def test_it_is_nanochats_loop():
    """nanochat sets group["weight_decay"] = λ·(1 − t/T) by hand before step t; so do we."""
    models, data = [make_model(torch.float64), make_model(torch.float64)], list(batches(STEPS))
    opts = [optim.AdamW(groups(m, ADAM_LRS)) for m in models]
    lr_scheds = [torch.optim.lr_scheduler.LambdaLR(o, warmup_cosine) for o in opts]
    decay = WeightDecayLambda(opts[0], linear_to_zero(STEPS))
    for t, (x, y) in enumerate(data):
        for group, lam in zip(opts[1].param_groups, LAMBDAS, strict=True):
            group["weight_decay"] = lam * (1 - t / STEPS)
        for model, opt, sched in zip(models, opts, lr_scheds, strict=True):
            train_step(model, opt, sched, x, y)
        decay.step()
    for p, q in zip(models[0].parameters(), models[1].parameters(), strict=True):
        assert torch.equal(p, q)


def test_each_group_gets_its_lambda_times_the_multiplier_at_the_lrs_step_index():
    params = [nn.Parameter(torch.ones(2)) for _ in range(3)]
    lambdas = (0.1, 0.4, 0.0)
    opt = optim.AdamW(
        [{"params": [p], "weight_decay": lam} for p, lam in zip(params, lambdas, strict=True)]
    )
    lr = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 1 / (t + 1))
    decay = WeightDecayLambda(opt, lambda t: 1 / (t + 1))
    for t in range(4):
        assert decay.get_last_weight_decay() == pytest.approx([0.1 / (t + 1), 0.4 / (t + 1), 0])
        assert lr.get_last_lr()[0] == pytest.approx(1e-3 / (t + 1))
        for p in params:
            p.grad = torch.zeros_like(p)
        opt.step()
        lr.step()
        decay.step()
    assert [g["initial_weight_decay"] for g in opt.param_groups] == [0.1, 0.4, 0.0]


def test_one_multiplier_per_group():
    params = [nn.Parameter(torch.ones(2)) for _ in range(2)]
    opt = optim.AdamW([{"params": [p], "weight_decay": 0.1} for p in params])
    decay = WeightDecayLambda(opt, [lambda t: 1.0, lambda t: 0.5])
    assert decay.get_last_weight_decay() == pytest.approx([0.1, 0.05])


def test_a_schedule_to_zero_leaves_no_decay_at_the_end():
    """Zero gradient, so only the decay moves θ: by η·λ·(1 − t/T) at step t < T, then not at all."""
    T, lr, lam = 50, 0.1, 0.2
    start = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    theta = nn.Parameter(start.clone())
    opt = optim.AdamW([theta], lr=lr, weight_decay=lam)
    decay = WeightDecayLambda(opt, linear_to_zero(T))
    expected = 1.0
    for t in range(T + 3):
        before = theta.detach().clone()
        theta.grad = torch.zeros_like(theta)
        opt.step()
        decay.step()
        if t < T:
            expected *= 1 - lr * lam * (1 - t / T)
        else:
            assert torch.equal(theta.detach(), before)  # λ_t = 0: θ does not move
    print(f"θ_T/θ_0 = {expected:.6f} (constant λ: {(1 - lr * lam) ** T:.6f})")
    torch.testing.assert_close(theta.detach(), start * expected, rtol=1e-14, atol=0)


def test_palms_lambda_is_the_learning_rate_so_the_shrink_is_lr_squared():
    """AdamW(lr=η_0, weight_decay=1) under LambdaLR(s_t) and WeightDecayLambda(lr_squared(η_0,
    s_t)): λ_t = η_t, so each zero-gradient step shrinks θ by exactly η_t² = (η_0·s_t)²."""
    lr0 = 0.05
    theta = nn.Parameter(torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64))
    opt = optim.AdamW([theta], lr=lr0, weight_decay=1.0)
    lr_sched = torch.optim.lr_scheduler.LambdaLR(opt, warmup_cosine)
    decay = WeightDecayLambda(opt, lr_squared(lr0, warmup_cosine))
    for t in range(60):
        before = theta.detach().clone()
        theta.grad = torch.zeros_like(theta)
        opt.step()
        eta = lr0 * warmup_cosine(t)
        assert opt.param_groups[0]["last_weight_decay"] == pytest.approx(eta, rel=1e-15)
        torch.testing.assert_close(theta.detach(), before * (1 - eta**2), rtol=1e-15, atol=0)
        lr_sched.step()
        decay.step()


def test_palms_numbers_with_adafactors_relative_step():
    """η = 1e-2 (PaLM's): weight_decay=1 times r_t gives a shrink η·r_t of 1e-4 for the first
    10,000 steps, then 1/k at step k (k = t + 1): 2.5e-5 at step 40,000."""
    r = lr_squared(1e-2, relative_step=True)
    shrink = {k: 1e-2 * r(k - 1) for k in (1, 10_000, 10_001, 40_000)}
    assert shrink[1] == pytest.approx(1e-4, rel=1e-12)
    assert shrink[10_000] == pytest.approx(1e-4, rel=1e-12)
    assert shrink[10_001] == pytest.approx(1 / 10_001, rel=1e-12)
    assert shrink[40_000] == pytest.approx(2.5e-5, rel=1e-12)
    assert lr_squared(1e-2, lambda t: 0.0)(5) == 0.0  # η_t = 0: no decay, no division by zero


def test_multiplier_values():
    linear, cosine = linear_to_zero(10), cosine_to_zero(10)
    assert [linear(t) for t in (0, 5, 9, 10, 15)] == pytest.approx([1, 0.5, 0.1, 0, 0])
    assert [cosine(t) for t in (0, 5, 10, 15)] == pytest.approx([1, 0.5, 0, 0])
    assert cosine(1) == pytest.approx(0.5 * (1 + math.cos(math.pi / 10)))


def test_state_dict_mid_run_continues_identically():
    """Save at step 150 with both schedulers; rebuild with the wrong lr and λ, load, finish."""
    data = list(batches(STEPS))

    def start(scale=1.0):
        model = make_model(torch.float64)
        opt = optim.AdamW(
            groups(model, [scale * lr for lr in ADAM_LRS], [scale * lam for lam in LAMBDAS])
        )
        lr_sched = torch.optim.lr_scheduler.LambdaLR(opt, warmup_cosine)
        return model, opt, lr_sched, WeightDecayLambda(opt, linear_to_zero(STEPS))

    def run(model, opt, lr_sched, decay, batches_):
        for x, y in batches_:
            train_step(model, opt, lr_sched, x, y)
            decay.step()

    full = start()
    run(*full, data)
    half = start()
    run(*half, data[: STEPS // 2])
    buffer = io.BytesIO()
    torch.save([half[0].state_dict(), *(part.state_dict() for part in half[1:])], buffer)
    buffer.seek(0)
    saved = torch.load(buffer)
    resumed = start(scale=10.0)
    for part, state in zip(resumed, saved, strict=True):
        part.load_state_dict(state)
    assert resumed[3].get_last_weight_decay() == half[3].get_last_weight_decay()
    run(*resumed, data[STEPS // 2 :])
    for p, q in zip(full[0].parameters(), resumed[0].parameters(), strict=True):
        assert torch.equal(p, q)


def test_effective_decay_reports_the_lambda_of_the_last_step():
    theta = nn.Parameter(torch.ones(3, dtype=torch.float64))
    opt = optim.AdamW([theta], lr=0.1, weight_decay=0.2)
    decay = WeightDecayLambda(opt, linear_to_zero(4))
    theta.grad = torch.zeros_like(theta)
    opt.step()
    decay.step()  # λ is now 0.15 for the next step; the last one used 0.2
    torch.testing.assert_close(
        shrink.effective_decay(opt)["group0.0"], torch.full_like(theta, 0.1 * 0.2)
    )


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda opt: WeightDecayLambda(opt, lambda t: -1.0), r"multiplier\(0\) of group 0 must be"),
        (lambda opt: WeightDecayLambda(opt, lambda t: math.nan), "a finite number ≥ 0"),
        (lambda opt: WeightDecayLambda(opt, 0.5), "multiplier must be a function"),
        (lambda opt: WeightDecayLambda(opt, [lambda t: 1.0] * 2), "a list of 1 of them"),
        (lambda opt: WeightDecayLambda(object(), lambda t: 1.0), "optimizer must be a torch"),
        (lambda opt: linear_to_zero(0), "steps must be an integer ≥ 1"),
        (lambda opt: cosine_to_zero(2.5), "steps must be an integer ≥ 1"),
        (lambda opt: lr_squared(0.0), "lr must be a finite number > 0"),
    ],
)
def test_bad_input_names_the_argument_and_range(make, message):
    opt = optim.AdamW([nn.Parameter(torch.ones(2))])
    with pytest.raises(ValueError, match=message):
        make(opt)


def test_a_multiplier_that_goes_negative_later_is_caught_at_that_step():
    opt = optim.AdamW([nn.Parameter(torch.ones(2))])
    decay = WeightDecayLambda(opt, lambda t: 1.0 - t)
    decay.step()  # r_1 = 0: allowed
    with pytest.raises(ValueError, match=r"multiplier\(2\) of group 0 must be a finite number"):
        decay.step()
