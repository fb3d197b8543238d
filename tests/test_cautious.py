"""Cautious weight decay (Chen et al. 2025, arXiv:2510.12402) against its equation.

Algorithm 1 of the paper: x_{t+1} = x_t − η_t·(u_t + λ·𝕀(u_t⊙x_t ≥ 0)⊙x_t), u_t the update of
the underlying optimizer. First on hand-made tensors with every sign combination, then over
300 scheduled steps of every optimizer that has the option, against
tests.parity.with_cautious_decay: the reference optimizer with its own decay off supplies u_t
(torch.optim's AdamW, SGD, Muon and Adafactor; Lion's equations), the equation the decay.
"""

import pytest
import torch
from torch import nn

from helpers import optim
from helpers.adafactor import Adafactor
from helpers.ch2 import shrink
from helpers.lion import Lion
from helpers.muon import Muon
from tests.parity import Case, matrix_groups, with_cautious_decay
from tests.test_lion import LION_LAMBDAS, LION_LRS, EquationLion
from tests.test_muon import MUON_LRS
from tests.test_optim import ADAM_LRS, MOMENTUM_LRS, moved


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# θ and g with every sign combination. At the first step each of these optimizers has
# u_1 = sign(g_1) (AdamW up to ε: g/(|g| + ε)), so the cautious mask is 𝕀(g⊙θ ≥ 0).
THETA = [1.0, 1.0, -1.0, -1.0, 2.0, 0.0]
GRAD = [1.0, -1.0, 1.0, -1.0, 0.0, 1.0]
# η = 0.1, λ = 0.5: θ − 0.1·(u + 0.5·mask·θ), coordinate by coordinate:
CAUTIOUS = [
    0.85,  # θ > 0, u > 0: decayed, 1 − 0.1·(1 + 0.5)
    1.1,  # θ > 0, u < 0: not decayed, 1 + 0.1
    -1.1,  # θ < 0, u > 0: not decayed, −1 − 0.1
    -0.85,  # θ < 0, u < 0: decayed, −1 − 0.1·(−1 − 0.5)
    1.9,  # u = 0: u·θ = 0 ≥ 0, decayed, 2 − 0.1·0.5·2
    -0.1,  # θ = 0: decayed, but 0.5·0 = 0; −0.1·1
]
PLAIN = [0.85, 1.05, -1.05, -0.85, 1.9, -0.1]  # decoupled decay on every coordinate

FIRST_STEP_IS_SIGN = {
    "lion": lambda p, **kw: Lion(p, lr=0.1, weight_decay=0.5, **kw),
    "sgdw": lambda p, **kw: optim.SGD(p, lr=0.1, weight_decay=0.5, decoupled=True, **kw),
    "sgdw-momentum": lambda p, **kw: optim.SGD(
        p, lr=0.1, momentum=0.9, weight_decay=0.5, decoupled=True, **kw
    ),
    "adamw": lambda p, **kw: optim.AdamW(p, lr=0.1, weight_decay=0.5, **kw),
}


@pytest.mark.parametrize("name", sorted(FIRST_STEP_IS_SIGN))
@pytest.mark.parametrize("cautious, expected", [(True, CAUTIOUS), (False, PLAIN)])
def test_one_step_on_every_sign_combination(name, cautious, expected):
    theta = nn.Parameter(torch.tensor(THETA, dtype=torch.float64))
    theta.grad = torch.tensor(GRAD, dtype=torch.float64)
    FIRST_STEP_IS_SIGN[name]([theta], cautious=cautious).step()
    atol = 2e-9 if name == "adamw" else 1e-15  # AdamW's u_1 = g/(|g| + ε): η·ε = 1e-9 off
    expected = torch.tensor(expected, dtype=torch.float64)
    torch.testing.assert_close(theta.detach(), expected, rtol=0, atol=atol)


def test_a_muon_step_on_a_hand_made_matrix():
    """G diagonal, so O = NS(G) is diagonal too, with O's signs those of G and exact zeros off
    the diagonal: θ's (−1 at u > 0) and (1 at u < 0) are spared, the two at u = 0 decayed."""
    start = torch.tensor([[-1.0, 1.0], [2.0, 1.0]], dtype=torch.float64)
    theta = nn.Parameter(start.clone())
    theta.grad = torch.tensor([[1.0, 0.0], [0.0, -1.0]], dtype=torch.float64)
    opt = Muon([theta], lr=0.1, weight_decay=0.5, momentum=0.0, cautious=True)
    opt.step()
    o = (start - theta.detach() - 0.05 * torch.tensor([[0.0, 1.0], [2.0, 0.0]]).double()) / 0.1
    assert o[0, 0] > 0.5 and o[1, 1] < -0.5
    torch.testing.assert_close(o[0, 0], -o[1, 1], rtol=0, atol=1e-15)
    torch.testing.assert_close(o[0, 1], torch.tensor(0.0).double(), rtol=0, atol=1e-14)
    torch.testing.assert_close(o[1, 0], torch.tensor(0.0).double(), rtol=0, atol=1e-14)


CAUTIOUS_PARITY = {
    "adamw-cautious": Case(
        lambda g: optim.AdamW(g, cautious=True),
        with_cautious_decay(torch.optim.AdamW, lambda opt, p: opt.state[p]["exp_avg"]),
        ADAM_LRS,
    ),
    "sgdw-cautious": Case(
        lambda g: optim.SGD(g, lr=0.1, momentum=0.9, decoupled=True, cautious=True),
        with_cautious_decay(
            torch.optim.SGD, lambda opt, p: opt.state[p]["momentum_buffer"], lr=0.1, momentum=0.9
        ),
        MOMENTUM_LRS,
    ),
    "muon-cautious": Case(
        lambda g: Muon(g, cautious=True),
        with_cautious_decay(torch.optim.Muon),
        MUON_LRS,
        grouping=matrix_groups,
    ),
    "lion-cautious": Case(
        lambda g: Lion(g, cautious=True), with_cautious_decay(EquationLion), LION_LRS, LION_LAMBDAS
    ),
    "adafactor-cautious": Case(
        lambda g: Adafactor(g, cautious=True),
        with_cautious_decay(torch.optim.Adafactor, lambda opt, p: p.grad),
        (1e-2, 3e-2, 5e-3),
    ),
}


@pytest.mark.parametrize("case", sorted(CAUTIOUS_PARITY))
def test_float64_parity_with_the_equation_over_a_scheduled_run(case):
    worst, (model, _) = CAUTIOUS_PARITY[case].run()
    assert worst <= 1e-10, f"{case}: max |Δθ| = {worst:.2e}"
    assert moved(model) > 0.05


@pytest.mark.parametrize(
    "case", ["adamw-cautious", "sgdw-cautious", "lion-cautious", "adafactor-cautious"]
)
def test_float32_parity_with_the_equation(case):
    """Not Muon: its reference rounds the decay in another order, and a 1e-7 difference in B_t
    sometimes rounds to another bfloat16 in Newton–Schulz; the gap then grows (the parity table
    prints it). Plain Muon is bit-identical to torch in float32 (test_muon.py)."""
    _, (ours, ref) = CAUTIOUS_PARITY[case].run(dtype=torch.float32)
    for p, q in zip(ours.parameters(), ref.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", sorted(CAUTIOUS_PARITY))
def test_cautious_decay_really_differs_from_plain_decay(case):
    """Our cautious optimizer against the plain-decay reference (the cautious one, λ mask off)."""
    plain = CAUTIOUS_PARITY[case]
    cautious_off = plain.ours
    worst, _ = plain.run(lambda g: _plain(cautious_off, g))
    assert worst > 1e-3


def _plain(make_cautious, param_groups):
    """The same optimizer with cautious=False in every group."""
    return make_cautious([{**group, "cautious": False} for group in param_groups])


def test_cautious_needs_decoupled_decay():
    param = nn.Parameter(torch.ones(2))
    for make in (
        lambda: optim.Adam([param], cautious=True),
        lambda: optim.SGD([param], lr=0.1, cautious=True),
    ):
        with pytest.raises(ValueError, match="cautious=True needs decoupled=True"):
            make()
    optim.Adam([param], decoupled=True, cautious=True)  # accepted


def test_effective_decay_refuses_cautious_groups():
    param = nn.Parameter(torch.ones(2))
    opt = optim.AdamW([param], cautious=True)
    param.grad = torch.ones(2)
    opt.step()
    with pytest.raises(ValueError, match="cautious=True"):
        shrink.effective_decay(opt)
