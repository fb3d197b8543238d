"""helpers.adafactor against torch.optim.Adafactor: the same steps to rounding, over a run.

The parity runs train test_optim's tiny model (matrices factored, vectors not) for 300 steps
in lock-step with torch.optim.Adafactor's single-tensor implementation. Cautious decay is in
test_cautious.py.
"""

import math

import pytest
import torch
from torch import nn

from helpers.adafactor import Adafactor
from helpers.schedules import WeightDecayLambda, lr_squared
from tests.parity import Case, with_l2, with_lambda_over_lr0
from tests.test_optim import moved, warmup_cosine


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


ADAFACTOR_LRS = (1e-2, 3e-2, 5e-3)  # caps on ρ_t; 1e-2 is torch's default and PaLM's


def torch_adafactor(**kwargs):
    return lambda g: torch.optim.Adafactor(g, foreach=False, **kwargs)


PARITY = {
    "adafactor": Case(lambda g: Adafactor(g), torch_adafactor(), ADAFACTOR_LRS),
    "adafactor-options": Case(
        lambda g: Adafactor(g, beta2_decay=-0.5, eps=(1e-30, 1e-2), d=1.5),
        torch_adafactor(beta2_decay=-0.5, eps=(1e-30, 1e-2), d=1.5),
        ADAFACTOR_LRS,
    ),
    "adafactor-l2": Case(
        lambda g: Adafactor(g, decoupled=False),
        with_l2(torch.optim.Adafactor, foreach=False),
        ADAFACTOR_LRS,
    ),
    "adafactor-independent": Case(
        lambda g: Adafactor(g, independent=True),
        with_lambda_over_lr0(torch.optim.Adafactor, foreach=False),
        ADAFACTOR_LRS,
        (1e-3, 2e-4, 0.0),
    ),
    # PaLM's decay, a shrink of ρ_t² per step, as a λ schedule on both (λ = 1 where it decays)
    "adafactor-palm": Case(
        lambda g: Adafactor(g),
        torch_adafactor(),
        ADAFACTOR_LRS,
        (1.0, 1.0, 0.0),
        decay_multiplier=[lr_squared(lr, warmup_cosine, True) for lr in ADAFACTOR_LRS],
    ),
}


@pytest.mark.parametrize("case", sorted(PARITY))
def test_float64_parity_over_a_scheduled_run(case):
    worst, (model, _) = PARITY[case].run()
    assert worst <= 1e-10, f"{case}: max |Δθ| = {worst:.2e}"
    assert moved(model) > 0.05  # the run trained: equal because they agree, not because idle


@pytest.mark.parametrize(
    "case, reference",
    [("adafactor", None), ("adafactor-palm", None), ("adafactor", "foreach")],
    ids=["adafactor", "adafactor-palm", "adafactor-vs-foreach"],
)
def test_float32_parity(case, reference):
    reference = (
        torch_adafactor()
        if reference is None
        else (lambda g: torch.optim.Adafactor(g, foreach=True))
    )
    _, (ours, ref) = PARITY[case].run(reference, dtype=torch.float32)
    for p, q in zip(ours.parameters(), ref.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("other", ["adafactor-options", "adafactor-l2"])
def test_the_variants_really_differ(other):
    worst, _ = PARITY["adafactor"].run(PARITY[other].ours)
    assert worst > 1e-3


def test_palms_decay_is_not_negligible_on_the_parity_run():
    """The same run without any decay ends elsewhere: ρ_t² ≈ 1e-4 per step is visible."""

    def no_decay(param_groups):
        return Adafactor([{**group, "weight_decay": 0.0} for group in param_groups])

    worst, _ = PARITY["adafactor-palm"].run(no_decay)
    assert worst > 1e-3


def test_the_shrink_per_step_is_lr_times_lambda_even_when_the_step_has_decayed():
    """Zero gradient: U_t = 0, so only the decay moves θ, by η·λ. It stays η·λ at t = 10⁶, where
    the step's ρ_t = 1/√t = 1e-3 is ten times below η = 1e-2: the decay does not follow ρ_t."""
    start = torch.tensor([[1.0, -2.0], [0.5, 3.0]], dtype=torch.float64)
    theta = nn.Parameter(start.clone())
    theta.grad = torch.zeros_like(theta)
    opt = Adafactor([theta], lr=1e-2, weight_decay=0.1)
    opt.step()
    torch.testing.assert_close(theta.detach(), start * (1 - 1e-3), rtol=0, atol=1e-15)
    opt.state[theta]["step"] = 10**6 - 1
    opt.step()
    torch.testing.assert_close(theta.detach(), start * (1 - 1e-3) ** 2, rtol=0, atol=1e-15)


def test_the_step_is_relative_to_the_weights_rms():
    """α_t = max(ε2, RMS(θ_{t−1}))·ρ_t: scaling θ by 10 scales the first step by 10."""
    grad = torch.tensor([[0.3, -1.0], [2.0, 0.1]], dtype=torch.float64)
    steps = []
    for scale in (1.0, 10.0):
        theta = nn.Parameter(scale * torch.tensor([[1.0, -2.0], [0.5, 3.0]], dtype=torch.float64))
        before = theta.detach().clone()
        theta.grad = grad.clone()
        Adafactor([theta], lr=1e-2).step()
        steps.append(before - theta.detach())
    torch.testing.assert_close(steps[1], 10 * steps[0], rtol=1e-12, atol=0)


def test_palms_decay_is_a_shrink_of_rho_squared_per_step():
    """Adafactor(lr=η, weight_decay=1) with λ_t = r_t from lr_squared(η, relative_step=True):
    θ shrinks by ρ_t² = min(η, 1/√t)² at step t. With η = 0.1, ρ_t starts to fall at t = 100
    (PaLM: η = 1e-2, t = 10,000); 400 zero-gradient steps cross that point."""
    start = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    theta = nn.Parameter(start.clone())
    opt = Adafactor([theta], lr=0.1, weight_decay=1.0)
    scheduler = WeightDecayLambda(opt, lr_squared(0.1, relative_step=True))
    expected = 1.0
    for t in range(1, 401):
        theta.grad = torch.zeros_like(theta)
        opt.step()
        scheduler.step()
        expected *= 1 - min(0.1, 1 / math.sqrt(t)) ** 2
    print(f"θ_400/θ_0 = {expected:.6f}")
    torch.testing.assert_close(theta.detach(), start * expected, rtol=1e-13, atol=0)
    assert opt.param_groups[0]["last_weight_decay"] == pytest.approx(1 / 400 / 0.1)


BAD = [
    (dict(lr=0.0), "lr must be a finite number > 0"),
    (dict(weight_decay=-0.1), "weight_decay must be a finite number ≥ 0"),
    (dict(beta2_decay=0.5), "beta2_decay must be a finite number ≤ 0"),
    (dict(beta2_decay=float("-inf")), "beta2_decay must be a finite number ≤ 0"),
    (dict(eps=1e-3), "eps must be a pair"),
    (dict(eps=(-1.0, 1e-3)), r"eps\[0\] must be a finite number ≥ 0"),
    (dict(eps=(None, -1e-3)), r"eps\[1\] must be a finite number ≥ 0"),
    (dict(d=0.5), "d must be a finite number ≥ 1"),
    (dict(cautious=True, decoupled=False), "cautious=True needs decoupled=True"),
]


@pytest.mark.parametrize("kwargs, message", BAD)
def test_bad_arguments_name_the_argument_and_range(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Adafactor([nn.Parameter(torch.ones(2))], **kwargs)
    opt = Adafactor([nn.Parameter(torch.ones(2))])
    with pytest.raises(ValueError, match=message):
        opt.add_param_group({"params": [nn.Parameter(torch.ones(2))], **kwargs})
    assert len(opt.param_groups) == 1
