"""helpers.lion against Lion's published algorithm, written out below as equations.

PyTorch has no Lion. :class:`EquationLion` is Chen et al. 2023's Algorithm 2 line by line, in
plain tensor arithmetic (not our order of operations); the parity runs train test_optim's tiny
model with both for 300 scheduled steps in lock-step. Cautious decay is in test_cautious.py.
"""

import pytest
import torch
from torch import nn

from helpers import optim
from helpers.lion import Lion
from tests.parity import Case, with_l2, with_lambda_over_lr0
from tests.test_optim import batches, make_model, moved, train_step, warmup_cosine


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


class EquationLion(torch.optim.Optimizer):
    """Chen et al. 2023 (arXiv:2302.06675), Algorithm 2:

    c_t = β1·m_{t−1} + (1 − β1)·g_t
    θ_t = θ_{t−1} − η_t·(sign(c_t) + λ·θ_{t−1})
    m_t = β2·m_{t−1} + (1 − β2)·g_t
    """

    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            (b1, b2), lr, lam = group["betas"], group["lr"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g, m = p.grad, self.state[p].get("m", torch.zeros_like(p))
                c = b1 * m + (1 - b1) * g
                p.copy_(p - lr * (torch.sign(c) + lam * p))
                self.state[p]["m"] = b2 * m + (1 - b2) * g


# Lion's lr is 3–10× smaller than AdamW's (test_optim uses 3e-3, 1e-2, 5e-3) and its λ 3–10×
# larger (test_optim: 0.1, 0.02, 0), so that η·λ, the shrink per step, stays about the same.
LION_LRS = (3e-4, 1e-3, 5e-4)
LION_LAMBDAS = (1.0, 0.2, 0.0)

PARITY = {
    "lion": Case(lambda g: Lion(g), lambda g: EquationLion(g), LION_LRS, LION_LAMBDAS),
    "lion-betas": Case(
        lambda g: Lion(g, betas=(0.95, 0.98)),
        lambda g: EquationLion(g, betas=(0.95, 0.98)),
        LION_LRS,
        LION_LAMBDAS,
    ),
    "lion-l2": Case(
        lambda g: Lion(g, decoupled=False), with_l2(EquationLion), LION_LRS, LION_LAMBDAS
    ),
    "lion-independent": Case(
        lambda g: Lion(g, independent=True),
        with_lambda_over_lr0(EquationLion),
        LION_LRS,
        (1e-3, 2e-4, 0.0),
    ),
}


@pytest.mark.parametrize("case", sorted(PARITY))
def test_float64_parity_with_the_equations_over_a_scheduled_run(case):
    worst, (model, _) = PARITY[case].run()
    assert worst <= 1e-10, f"{case}: max |Δθ| = {worst:.2e}"
    assert moved(model) > 0.05  # the run trained: equal because they agree, not because idle


@pytest.mark.parametrize("case", ["lion", "lion-l2"])
def test_float32_parity_with_the_equations(case):
    """In float32 the two round differently (θ·(1 − η·λ) − η·sign vs θ − η·(sign + λ·θ)), and a
    sign(c_t) could flip where c_t ≈ 0; on this run none does: the largest |Δθ| over all steps
    is 4.8e-6 on weights of order 1 (python bench/parity_table.py)."""
    _, (ours, ref) = PARITY[case].run(dtype=torch.float32)
    for p, q in zip(ours.parameters(), ref.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case, other", [("lion", "lion-betas"), ("lion", "lion-l2")])
def test_the_variants_really_differ(case, other):
    worst, _ = PARITY[case].run(PARITY[other].ours)
    assert worst > 1e-3


def test_one_step_by_hand():
    """m_0 = 0, so c_1 = 0.1·g_1 and the step is θ − η·(sign(g_1) + λ·θ), η = 0.1, λ = 0.5."""
    theta = nn.Parameter(torch.tensor([1.0, -2.0, 0.5, 0.0], dtype=torch.float64))
    opt = Lion([theta], lr=0.1, weight_decay=0.5)
    theta.grad = torch.tensor([0.3, 0.3, -1.0, 0.0], dtype=torch.float64)
    opt.step()
    # 1 − 0.1·(1 + 0.5); −2 − 0.1·(1 − 1); 0.5 − 0.1·(−1 + 0.25); 0 − 0.1·(0 + 0)
    expected = torch.tensor([0.85, -2.0, 0.575, 0.0], dtype=torch.float64)
    torch.testing.assert_close(theta.detach(), expected, rtol=0, atol=1e-15)
    # m_1 = 0.01·g_1
    torch.testing.assert_close(opt.state[theta]["exp_avg"], 0.01 * theta.grad, rtol=0, atol=1e-17)


def test_the_shrink_per_step_is_lr_times_lambda():
    """With a zero gradient c_t = 0 and sign(0) = 0: only the decay moves θ, by η_t·λ."""
    start = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    theta = nn.Parameter(start.clone())
    theta.grad = torch.zeros_like(theta)
    Lion([theta], lr=3e-4, weight_decay=1.0).step()
    torch.testing.assert_close(theta.detach(), start * (1 - 3e-4), rtol=0, atol=1e-16)


def test_lions_update_is_larger_than_adamws():
    """Why Lion's lr is 3–10× smaller: every coordinate of sign(c_t) has size 1, while AdamW's
    m̂_t/(√v̂_t + ε) has an RMS of 0.12 to 0.31 per tensor at the end of a 300-step AdamW run
    on the parity model (measured), a ratio of 3–9, in line with the paper's 3–10×."""
    model = make_model(torch.float64)
    opt = optim.AdamW(model.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, warmup_cosine)
    for x, y in batches(300):
        train_step(model, opt, sched, x, y)
    rms = []
    for p in model.parameters():
        state = opt.state[p]
        t = state["step"]
        m_hat = state["exp_avg"] / (1 - 0.9**t)
        v_hat = state["exp_avg_sq"] / (1 - 0.999**t)
        rms.append((m_hat / (v_hat.sqrt() + 1e-8)).pow(2).mean().sqrt().item())
    print("RMS of AdamW's update per tensor:", [round(r, 3) for r in rms])
    assert 0.1 <= min(rms) and max(rms) <= 0.35


BAD = [
    (dict(lr=0.0), "lr must be a finite number > 0"),
    (dict(lr=float("inf")), "lr must be a finite number > 0"),
    (dict(weight_decay=-1.0), "weight_decay must be a finite number ≥ 0"),
    (dict(betas=(1.0, 0.99)), r"betas\[0\] must be in \[0, 1\)"),
    (dict(betas=(0.9, -0.01)), r"betas\[1\] must be in \[0, 1\)"),
    (dict(betas=0.9), "betas must be a pair"),
    (dict(cautious=True, decoupled=False), "cautious=True needs decoupled=True"),
    (dict(cautious=1), "cautious must be True or False"),
]


@pytest.mark.parametrize("kwargs, message", BAD)
def test_bad_arguments_name_the_argument_and_range(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Lion([nn.Parameter(torch.ones(2))], **kwargs)
    opt = Lion([nn.Parameter(torch.ones(2))])
    with pytest.raises(ValueError, match=message):
        opt.add_param_group({"params": [nn.Parameter(torch.ones(2))], **kwargs})
    assert len(opt.param_groups) == 1
