"""helpers.muon against torch.optim.Muon: the same steps to rounding, over a scheduled run.

The parity runs train the 2-D tensors of test_optim's tiny model (three groups: the MLP, the
tied embedding/head, the positions) for 300 steps in lock-step with torch.optim.Muon.
Cautious decay is in test_cautious.py.
"""

import io
import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.optim._muon import _zeropower_via_newtonschulz

from helpers.muon import NS_COEFFICIENTS, Muon, orthogonalize, update_scale
from tests.parity import Case, matrix_groups, with_l2, with_lambda_over_lr0
from tests.test_optim import STEPS, batches, make_model, moved, train_step, warmup_cosine


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


MUON_LRS = (0.02, 0.05, 0.01)  # Muon's usual η; "match_rms_adamw" takes AdamW's
ADAMW_LRS = (3e-3, 1e-2, 5e-3)


def muon_case(ours, reference, lrs=MUON_LRS, **fields):
    return Case(ours, reference, lrs, grouping=matrix_groups, **fields)


PARITY = {
    "muon": muon_case(lambda g: Muon(g), lambda g: torch.optim.Muon(g)),
    "muon-no-nesterov": muon_case(
        lambda g: Muon(g, nesterov=False), lambda g: torch.optim.Muon(g, nesterov=False)
    ),
    "muon-match-rms-adamw": muon_case(
        lambda g: Muon(g, adjust_lr_fn="match_rms_adamw"),
        lambda g: torch.optim.Muon(g, adjust_lr_fn="match_rms_adamw"),
        ADAMW_LRS,
    ),
    "muon-original": muon_case(
        lambda g: Muon(g, adjust_lr_fn="original"), lambda g: torch.optim.Muon(g)
    ),
    "muon-l2": muon_case(lambda g: Muon(g, decoupled=False), with_l2(torch.optim.Muon)),
    "muon-independent": muon_case(
        lambda g: Muon(g, independent=True),
        with_lambda_over_lr0(torch.optim.Muon),
        lambdas=(2e-3, 1e-3, 0.0),
    ),
}


@pytest.mark.parametrize("case", sorted(PARITY))
def test_float64_parity_over_a_scheduled_run(case):
    worst, (model, _) = PARITY[case].run()
    assert worst <= 1e-10, f"{case}: max |Δθ| = {worst:.2e}"
    assert moved(model) > 0.05  # the run trained: equal because they agree, not because idle


@pytest.mark.parametrize("case", ["muon", "muon-no-nesterov", "muon-match-rms-adamw"])
def test_float32_parity(case):
    _, (ours, ref) = PARITY[case].run(dtype=torch.float32)
    for p, q in zip(ours.parameters(), ref.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "case, other", [("muon", "muon-no-nesterov"), ("muon", "muon-l2"), ("muon", "muon-independent")]
)
def test_the_variants_really_differ(case, other):
    """The tolerance above is tight enough to tell the variants apart on the same run."""
    worst, _ = PARITY[case]._replace(lambdas=PARITY[other].lambdas).run(PARITY[other].ours)
    assert worst > 1e-3


def test_match_rms_adamw_differs_from_original():
    case = PARITY["muon-match-rms-adamw"]
    worst, _ = case.run(PARITY["muon"].ours)
    assert worst > 1e-3


def test_state_dict_mid_run_continues_identically():
    """Save at step 150, load into a fresh Muon (built with another lr), finish the run."""
    data = list(batches(STEPS))

    def start():
        model = make_model(torch.float64)
        opt = Muon(matrix_groups(model, MUON_LRS))
        return model, opt, torch.optim.lr_scheduler.LambdaLR(opt, warmup_cosine)

    model, opt, sched = start()
    for x, y in data:
        train_step(model, opt, sched, x, y)
    model2, opt2, sched2 = start()
    for x, y in data[: STEPS // 2]:
        train_step(model2, opt2, sched2, x, y)
    buffer = io.BytesIO()
    torch.save({"m": model2.state_dict(), "o": opt2.state_dict(), "s": sched2.state_dict()}, buffer)
    buffer.seek(0)
    saved = torch.load(buffer)
    model3 = make_model(torch.float64)
    model3.load_state_dict(saved["m"])
    opt3 = Muon(matrix_groups(model3, [10 * lr for lr in MUON_LRS]))
    sched3 = torch.optim.lr_scheduler.LambdaLR(opt3, warmup_cosine)
    opt3.load_state_dict(saved["o"])
    sched3.load_state_dict(saved["s"])
    for x, y in data[STEPS // 2 :]:
        train_step(model3, opt3, sched3, x, y)
    for p, q in zip(model.parameters(), model3.parameters(), strict=True):
        assert torch.equal(p, q)


# Newton–Schulz: the same bits as torch's, and what it does to singular values.

SHAPES = [(8, 16), (16, 8), (32, 32), (64, 16), (13, 8), (6, 8)]


def random_matrix(shape, seed, dtype=torch.float64):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("shape", SHAPES)
def test_orthogonalize_is_torchs_newton_schulz_bit_for_bit(shape, dtype):
    for seed in range(3):
        g = random_matrix(shape, seed, dtype)
        reference = _zeropower_via_newtonschulz(g, NS_COEFFICIENTS, 5, 1e-7)
        assert torch.equal(orthogonalize(g), reference)


def quintic(sigma, steps=5):
    """The scalar map σ ↦ a·σ + b·σ³ + c·σ⁵, iterated: what NS does to each singular value."""
    a, b, c = NS_COEFFICIENTS
    for _ in range(steps):
        sigma = a * sigma + b * sigma**3 + c * sigma**5
    return sigma


def test_the_quintic_maps_singular_values_into_0_68_to_1_21():
    """In exact arithmetic, every σ/‖G‖_F ≥ 0.002 ends in [0.68, 1.21]; smaller ones grow ~a⁵."""
    sigma = np.logspace(np.log10(0.002), 0, 100_001)
    out = quintic(sigma)
    print(f"σ/‖G‖ in [0.002, 1] → [{out.min():.3f}, {out.max():.3f}]")
    assert 0.68 <= out.min() and out.max() <= 1.21
    assert quintic(1e-6) == pytest.approx(NS_COEFFICIENTS[0] ** 5 * 1e-6, rel=1e-3)


@pytest.mark.parametrize("shape", SHAPES)
def test_orthogonalize_does_to_singular_values_what_the_quintic_does(shape):
    """In bfloat16 the singular values of O follow the scalar map to within 0.1 (measured:
    at most 0.093 over 30 seeds × these shapes), and stay in [0.58, 1.31] when σ/‖G‖ ≥ 0.002."""
    for seed in range(10):
        g = random_matrix(shape, seed)
        sigma = torch.linalg.svdvals(g) / g.norm()
        expected = quintic(sigma).sort(descending=True).values
        got = torch.linalg.svdvals(orthogonalize(g).double())
        assert (got - expected).abs().max() < 0.1
        if sigma.min() >= 0.002:
            assert 0.58 <= got.min() and got.max() <= 1.31


def test_orthogonalize_leaves_its_input_alone_and_maps_zero_to_zero():
    """torch 2.13's Newton–Schulz divides a bfloat16 input in place (it aliases it); ours copies."""
    g = random_matrix((4, 6), 0).bfloat16()
    before = g.clone()
    orthogonalize(g)
    assert torch.equal(g, before)
    assert torch.equal(orthogonalize(torch.zeros(3, 5)), torch.zeros(3, 5, dtype=torch.bfloat16))


def test_torch_muon_normalises_a_bfloat16_momentum_buffer_in_place_and_ours_does_not():
    """A torch 2.13 quirk the book may mention: with bf16 weights and nesterov=False, its
    buffer B_t is divided by ‖B_t‖ at each step. Ours keeps B_1 = (1 − μ)·g_1."""
    g = random_matrix((4, 6), 1).bfloat16()
    buffers = []
    for cls in (Muon, torch.optim.Muon):
        p = nn.Parameter(torch.zeros(4, 6, dtype=torch.bfloat16))
        p.grad = g.clone()
        opt = cls([p], lr=0.02, momentum=0.9, nesterov=False, weight_decay=0.0)
        opt.step()
        buffers.append(opt.state[p]["momentum_buffer"].float())
    expected = (0.1 * g.float()).norm().item()
    assert buffers[0].norm().item() == pytest.approx(expected, rel=1e-2)
    assert buffers[1].norm().item() == pytest.approx(1.0, rel=1e-2)


# The update's size, and what λ means.


def test_update_scale_values():
    assert update_scale(torch.Size([8, 16]), "original") == 1.0  # wide: r = 1
    assert update_scale(torch.Size([32, 8]), None) == 2.0  # tall: √(32/8)
    assert update_scale(torch.Size([8, 16]), "match_rms_adamw") == pytest.approx(0.2 * 4)


@pytest.mark.parametrize("shape", [(16, 64), (64, 16), (32, 32), (128, 32)])
def test_match_rms_adamw_makes_the_update_rms_about_0_2(shape):
    """Moonlight's claim (Liu et al. 2025, §2.2): RMS(r·O) ≈ 0.2. With exact orthogonalisation
    it would be 0.2; Newton–Schulz's σ' in [0.68, 1.21] gives 0.16–0.20 (measured)."""
    for seed in range(5):
        p = nn.Parameter(torch.zeros(shape, dtype=torch.float64))
        p.grad = random_matrix(shape, seed)
        Muon([p], lr=1.0, weight_decay=0.0, adjust_lr_fn="match_rms_adamw").step()
        rms = p.detach().pow(2).mean().sqrt().item()
        assert 0.15 <= rms <= 0.21, rms
        # "original": RMS ≈ 1/√B, B the number of columns, whatever the rows
        p = nn.Parameter(torch.zeros(shape, dtype=torch.float64))
        p.grad = random_matrix(shape, seed)
        Muon([p], lr=1.0, weight_decay=0.0).step()
        rms = p.detach().pow(2).mean().sqrt().item() * math.sqrt(shape[1])
        assert 0.75 <= rms <= 1.05, rms


@pytest.mark.parametrize("adjust_lr_fn", ["original", "match_rms_adamw"])
def test_the_shrink_per_step_is_lr_times_lambda_whatever_the_update_scale(adjust_lr_fn):
    """With a zero gradient O_t = 0, so only the decay moves θ: by η_t·λ, not η_t·r·λ."""
    start = random_matrix((32, 8), 0)
    theta = nn.Parameter(start.clone())
    theta.grad = torch.zeros_like(theta)
    Muon([theta], lr=0.02, weight_decay=0.1, adjust_lr_fn=adjust_lr_fn).step()
    torch.testing.assert_close(theta.detach(), start * (1 - 0.02 * 0.1), rtol=0, atol=1e-15)


# Bad input: a ValueError that names the argument and the allowed range.

BAD = [
    (dict(lr=0.0), "lr must be a finite number > 0"),
    (dict(lr=-0.02), "lr must be a finite number > 0"),
    (dict(weight_decay=-0.1), "weight_decay must be a finite number ≥ 0"),
    (dict(momentum=1.0), r"momentum must be in \[0, 1\)"),
    (dict(momentum=-0.1), r"momentum must be in \[0, 1\)"),
    (dict(nesterov="yes"), "nesterov must be True or False"),
    (dict(ns_steps=0), r"ns_steps must be an integer in \[1, 99\]"),
    (dict(ns_steps=100), r"ns_steps must be an integer in \[1, 99\]"),
    (dict(ns_steps=2.5), r"ns_steps must be an integer in \[1, 99\]"),
    (dict(ns_coefficients=(1.0, 2.0)), "ns_coefficients must be three finite numbers"),
    (dict(ns_coefficients=(1.0, 2.0, float("nan"))), "ns_coefficients must be three finite"),
    (dict(eps=0.0), "eps must be a finite number > 0"),
    (dict(adjust_lr_fn="rms"), "adjust_lr_fn must be one of"),
    (dict(cautious=True, decoupled=False), "cautious=True needs decoupled=True"),
    (dict(independent=True, decoupled=False), "independent=True needs decoupled=True"),
]


@pytest.mark.parametrize("kwargs, message", BAD)
def test_bad_arguments_name_the_argument_and_range(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Muon([nn.Parameter(torch.ones(2, 3))], **kwargs)
    opt = Muon([nn.Parameter(torch.ones(2, 3))])
    with pytest.raises(ValueError, match=message):
        opt.add_param_group({"params": [nn.Parameter(torch.ones(2, 3))], **kwargs})
    assert len(opt.param_groups) == 1  # a rejected group is not half-added


@pytest.mark.parametrize("shape", [(3,), (2, 3, 4), ()])
def test_only_matrices_are_accepted_as_by_torch(shape):
    """torch.optim.Muon refuses the same tensors; ours says what to do with them instead."""
    for cls in (Muon, torch.optim.Muon):
        with pytest.raises(ValueError, match="2D|2-D"):
            cls([nn.Parameter(torch.ones(shape))])
    with pytest.raises(ValueError, match="params must be 2-D matrices.*AdamW"):
        Muon([nn.Parameter(torch.ones(shape))])
    opt = Muon([nn.Parameter(torch.ones(2, 3))])
    with pytest.raises(ValueError, match="params must be 2-D matrices"):
        opt.add_param_group({"params": nn.Parameter(torch.ones(shape))})
    assert len(opt.param_groups) == 1


def test_an_empty_parameter_list_and_sparse_gradients_are_errors():
    with pytest.raises(ValueError, match="params must hold at least one"):
        Muon([])
    p = nn.Parameter(torch.ones(3, 2))
    p.grad = torch.ones(3, 2).to_sparse()
    with pytest.raises(ValueError, match="sparse gradients"):
        Muon([p]).step()
