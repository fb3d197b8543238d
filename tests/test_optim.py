"""helpers.optim against torch.optim: the same steps to rounding, over a scheduled run.

Every parity run trains two copies of a small tied-embedding language model for 300 steps in
lock-step (same batches), one with our optimizer and one with the reference, with three param
groups of different λ and lr and a warmup + cosine LambdaLR, and compares every parameter after
every step.
"""

import io
import math
from collections.abc import Callable
from typing import NamedTuple

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from helpers import optim
from helpers.ch2 import shrink
from helpers.param_groups import param_groups


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """These tensors are tiny: extra threads only add contention (10x slower on 2 busy cores)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


VOCAB, DIM, CONTEXT, BATCH = 13, 8, 6, 4
STEPS, WARMUP = 300, 20
LAMBDAS = (0.1, 0.02, 0.0)  # λ of the three groups: matrices, embeddings and gains, biases
# with independent=True λ is a fraction per step: λ_independent ≈ η_0·λ_PyTorch
LAMBDAS_INDEPENDENT = (3e-4, 2e-4, 0.0)


class TinyLM(nn.Module):
    """Token and position embeddings, a residual MLP with LayerNorm, and a head tied to wte."""

    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(VOCAB, DIM)
        self.wpe = nn.Embedding(CONTEXT, DIM)
        self.ln = nn.LayerNorm(DIM)
        self.fc = nn.Linear(DIM, 2 * DIM)
        self.proj = nn.Linear(2 * DIM, DIM)
        self.ln_f = nn.LayerNorm(DIM)
        self.head = nn.Linear(DIM, VOCAB, bias=False)
        self.head.weight = self.wte.weight

    def forward(self, idx):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        x = x + self.proj(F.gelu(self.fc(self.ln(x))))
        return self.head(self.ln_f(x))


def make_model(dtype):
    torch.manual_seed(0)
    model = TinyLM().to(dtype)
    with torch.no_grad():  # non-trivial gains and biases, so decaying them shows
        for p in model.parameters():
            if p.dim() == 1:
                p.add_(0.5 * torch.randn_like(p))
    return model


def groups(model, lrs, lambdas=LAMBDAS):
    """Three groups with different λ and lr: matrices, embeddings and gains, biases."""
    named = dict(model.named_parameters())
    names = (
        ["wte.weight", "fc.weight", "proj.weight"],
        ["wpe.weight", "ln.weight", "ln_f.weight"],
        ["fc.bias", "proj.bias", "ln.bias", "ln_f.bias"],
    )
    assert sorted(sum(names, [])) == sorted(named)  # every parameter, the tied one once
    return [
        {"params": [named[n] for n in ns], "weight_decay": lam, "lr": lr}
        for ns, lam, lr in zip(names, lambdas, lrs, strict=True)
    ]


def warmup_cosine(step):
    """s_t: linear warmup over WARMUP steps, then cosine from 1 down to 0.1."""
    if step < WARMUP:
        return (step + 1) / WARMUP
    progress = (step - WARMUP) / (STEPS - WARMUP)
    return 0.1 + 0.45 * (1 + math.cos(math.pi * progress))


def batches(steps, seed=1):
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        idx = torch.randint(VOCAB, (BATCH, CONTEXT + 1), generator=gen)
        yield idx[:, :-1], idx[:, 1:]


def train_step(model, opt, sched, x, y):
    opt.zero_grad()
    logits = model(x)
    F.cross_entropy(logits.reshape(-1, VOCAB), y.reshape(-1)).backward()
    opt.step()
    sched.step()


def lockstep(make_ours, make_ref, lrs, lambdas=LAMBDAS, dtype=torch.float64, steps=STEPS):
    """Train two identical models side by side; return (max |Δθ| over all steps, both models)."""
    models = [make_model(dtype), make_model(dtype)]
    pairs = zip((make_ours, make_ref), models, strict=True)
    opts = [make(groups(m, lrs, lambdas)) for make, m in pairs]
    scheds = [torch.optim.lr_scheduler.LambdaLR(o, warmup_cosine) for o in opts]
    worst = 0.0
    for x, y in batches(steps):
        for model, opt, sched in zip(models, opts, scheds, strict=True):
            train_step(model, opt, sched, x, y)
        for p, q in zip(models[0].parameters(), models[1].parameters(), strict=True):
            worst = max(worst, (p - q).abs().max().item())
    return worst, models


def moved(model, dtype=torch.float64):
    """The largest change of any parameter from its initial value (a run must go somewhere)."""
    start = make_model(dtype)
    pairs = zip(model.parameters(), start.parameters(), strict=True)
    return max((p - q).abs().max().item() for p, q in pairs)


ADAM_LRS = (3e-3, 1e-2, 5e-3)
SGD_LRS = (0.3, 0.5, 0.2)


# Equations written out directly (not in torch's operation order), for the variants that
# torch.optim does not have.
class EquationSGDW(torch.optim.Optimizer):
    """θ_t = (1 − c_t)·θ_{t−1} − η_t·b_t, b_t = μ·b_{t−1} + g_t, c_t = η_t·λ or s_t·λ."""

    def __init__(self, params, lr, momentum, independent):
        super().__init__(params, dict(lr=lr, momentum=momentum, independent=independent))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            lr, lam, mu = group["lr"], group["weight_decay"], group["momentum"]
            shrink = lr / group["initial_lr"] * lam if group["independent"] else lr * lam
            for p in group["params"]:
                state = self.state[p]
                b = state.get("b", torch.zeros_like(p))
                state["b"] = b = mu * b + p.grad
                p.copy_(p - shrink * p - lr * b)


class EquationAdamIndependent(torch.optim.Optimizer):
    """θ_t = θ_{t−1} − s_t·λ·θ_{t−1} − η_t·m̂_t/(√v̂_t + ε), s_t = η_t/η_0 (Algorithm 2)."""

    def __init__(self, params, lr, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            (b1, b2), eps, lr = group["betas"], group["eps"], group["lr"]
            s = lr / group["initial_lr"]
            for p in group["params"]:
                state = self.state[p]
                t = state["t"] = state.get("t", 0) + 1
                m = state["m"] = b1 * state.get("m", 0) + (1 - b1) * p.grad
                v = state["v"] = b2 * state.get("v", 0) + (1 - b2) * p.grad**2
                m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
                p.copy_(p - s * group["weight_decay"] * p - lr * m_hat / (v_hat.sqrt() + eps))


class Case(NamedTuple):
    ours: Callable  # param groups → our optimizer
    reference: Callable  # param groups → torch.optim's, or the equation written out
    lrs: tuple = ADAM_LRS
    lambdas: tuple = LAMBDAS

    def run(self, reference=None, dtype=torch.float64):
        return lockstep(self.ours, reference or self.reference, self.lrs, self.lambdas, dtype)


MOMENTUM_LRS = (0.03, 0.05, 0.02)
PARITY = {
    "sgd": Case(
        lambda g: optim.SGD(g, lr=0.1),
        lambda g: torch.optim.SGD(g, lr=0.1, foreach=False),
        SGD_LRS,
    ),
    "sgd-momentum": Case(
        lambda g: optim.SGD(g, lr=0.1, momentum=0.9),
        lambda g: torch.optim.SGD(g, lr=0.1, momentum=0.9, foreach=False),
        MOMENTUM_LRS,
    ),
    # without momentum, decoupled SGD is the same update as L2 SGD (chapter 1's claim)
    "sgdw-no-momentum": Case(
        lambda g: optim.SGD(g, lr=0.1, decoupled=True),
        lambda g: torch.optim.SGD(g, lr=0.1, foreach=False),
        SGD_LRS,
    ),
    "sgdw-momentum": Case(
        lambda g: optim.SGD(g, lr=0.1, momentum=0.9, decoupled=True),
        lambda g: EquationSGDW(g, lr=0.1, momentum=0.9, independent=False),
        MOMENTUM_LRS,
    ),
    "sgdw-independent": Case(
        lambda g: optim.SGD(g, lr=0.1, momentum=0.9, decoupled=True, independent=True),
        lambda g: EquationSGDW(g, lr=0.1, momentum=0.9, independent=True),
        MOMENTUM_LRS,
        (3e-3, 2e-3, 0.0),
    ),
    "adam-l2": Case(lambda g: optim.Adam(g), lambda g: torch.optim.Adam(g, foreach=False)),
    "adamw": Case(lambda g: optim.AdamW(g), lambda g: torch.optim.AdamW(g, foreach=False)),
    "adam-decoupled": Case(
        lambda g: optim.Adam(g, decoupled=True), lambda g: torch.optim.AdamW(g, foreach=False)
    ),
    "adamw-independent": Case(
        lambda g: optim.AdamW(g, independent=True),
        lambda g: EquationAdamIndependent(g, lr=1e-3),
        lambdas=LAMBDAS_INDEPENDENT,
    ),
}


@pytest.mark.parametrize("case", sorted(PARITY))
def test_float64_parity_over_a_scheduled_run(case):
    worst, (model, _) = PARITY[case].run()
    assert worst <= 1e-10, f"{case}: max |Δθ| = {worst:.2e}"
    assert moved(model) > 0.05  # the run trained: equal because they agree, not because idle


def test_independent_decay_is_adamw_with_lambda_over_lr0():
    """s_t·λ = η_t·(λ/η_0): independent decay with λ is PyTorch's AdamW with λ/η_0 per group."""

    def torch_adamw(gs):
        for g in gs:
            g["weight_decay"] /= g["lr"]
        return torch.optim.AdamW(gs, foreach=False)

    worst, _ = PARITY["adamw-independent"].run(torch_adamw)
    assert worst <= 1e-10


@pytest.mark.parametrize(
    "case, other",
    [("adam-l2", "adamw"), ("sgd-momentum", "sgdw-momentum"), ("sgdw-momentum", "sgd-momentum")],
)
def test_the_variants_really_differ(case, other):
    """The tolerance above is tight enough to tell L2 from decoupled decay on the same run."""
    worst, _ = PARITY[case].run(PARITY[other].ours)
    assert worst > 1e-3


def test_independent_decay_differs_from_lr_scaled_decay():
    case = PARITY["adamw-independent"]
    scaled = case._replace(ours=PARITY["adamw"].ours)
    assert scaled.run(case.ours)[0] > 1e-3


@pytest.mark.parametrize(
    "case, reference",
    [
        ("sgd-momentum", None),
        ("adam-l2", None),
        ("adamw", None),
        ("adamw", lambda g: torch.optim.AdamW(g, foreach=True)),
    ],
    ids=["sgd-momentum", "adam-l2", "adamw", "adamw-vs-foreach"],
)
def test_float32_parity(case, reference):
    _, (ours, ref) = PARITY[case].run(reference, dtype=torch.float32)
    for p, q in zip(ours.parameters(), ref.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", ["sgd-momentum", "adam-l2", "adamw", "adamw-independent"])
def test_state_dict_mid_run_continues_identically(case):
    """Save at step 150, load into a fresh optimizer (built with another lr), finish the run."""
    make, _, lrs, lambdas = PARITY[case]
    data = list(batches(STEPS))

    def start():
        model = make_model(torch.float64)
        opt = make(groups(model, lrs, lambdas))
        return model, opt, torch.optim.lr_scheduler.LambdaLR(opt, warmup_cosine)

    model, opt, sched = start()
    for x, y in data:
        train_step(model, opt, sched, x, y)

    model2, opt2, sched2 = start()
    for x, y in data[: STEPS // 2]:
        train_step(model2, opt2, sched2, x, y)
    buffer = io.BytesIO()
    torch.save(
        {"model": model2.state_dict(), "opt": opt2.state_dict(), "sched": sched2.state_dict()},
        buffer,
    )
    buffer.seek(0)
    saved = torch.load(buffer)

    model3 = make_model(torch.float64)
    model3.load_state_dict(saved["model"])
    # built with the wrong lrs: the loaded state must put back lr, initial_lr and lr_0
    opt3 = make(groups(model3, [10 * lr for lr in lrs], lambdas))
    sched3 = torch.optim.lr_scheduler.LambdaLR(opt3, warmup_cosine)
    opt3.load_state_dict(saved["opt"])
    sched3.load_state_dict(saved["sched"])
    for x, y in data[STEPS // 2 :]:
        train_step(model3, opt3, sched3, x, y)
    for p, q in zip(model.parameters(), model3.parameters(), strict=True):
        assert torch.equal(p, q)


# The decay step in isolation: with a zero loss gradient only the weight-decay term moves θ.


def one_zero_gradient_step(opt, param):
    param.grad = torch.zeros_like(param)
    opt.step()


def test_adamw_shrinks_by_lr_times_lambda():
    theta = nn.Parameter(torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64))
    one_zero_gradient_step(optim.AdamW([theta], lr=0.1, weight_decay=0.2), theta)
    torch.testing.assert_close(theta.detach(), torch.tensor([1.0, -2.0, 0.5]).double() * 0.98)


def test_l2_inside_adam_becomes_a_sign_step():
    """With only the penalty's gradient λθ, Adam's first step is η·sign(θ), whatever |θ| is."""
    start = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    theta = nn.Parameter(start.clone())
    one_zero_gradient_step(optim.Adam([theta], lr=0.1, weight_decay=0.2), theta)
    torch.testing.assert_close(theta.detach(), start - 0.1 * start.sign(), rtol=0, atol=1e-7)


def test_independent_shrink_uses_lr_at_construction_without_a_scheduler():
    theta = nn.Parameter(torch.ones(3, dtype=torch.float64))
    opt = optim.AdamW([theta], lr=1e-3, weight_decay=0.1, independent=True)
    opt.param_groups[0]["lr"] = 5e-4  # s_t = 0.5
    one_zero_gradient_step(opt, theta)
    torch.testing.assert_close(theta.detach(), torch.full_like(theta, 1 - 0.5 * 0.1))


def test_independent_shrink_prefers_the_schedulers_initial_lr():
    theta = nn.Parameter(torch.ones(3, dtype=torch.float64))
    opt = optim.AdamW([theta], lr=1e-3, weight_decay=0.1, independent=True)
    opt.param_groups[0]["lr"] = 2e-3
    torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1.0)  # initial_lr = 2e-3, so s_t = 1
    one_zero_gradient_step(opt, theta)
    torch.testing.assert_close(theta.detach(), torch.full_like(theta, 1 - 0.1))


def test_independent_group_added_later_gets_its_own_lr0():
    first = nn.Parameter(torch.ones(2, dtype=torch.float64))
    later = nn.Parameter(torch.ones(2, dtype=torch.float64))
    opt = optim.AdamW([first], lr=1e-3, weight_decay=0.1, independent=True)
    torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1.0)
    opt.add_param_group({"params": [later], "lr": 4e-3})
    opt.param_groups[1]["lr"] = 1e-3  # s_t = 0.25 for the later group
    first.grad = torch.zeros_like(first)
    one_zero_gradient_step(opt, later)
    torch.testing.assert_close(first.detach(), torch.full_like(first, 0.9))
    torch.testing.assert_close(later.detach(), torch.full_like(later, 1 - 0.25 * 0.1))


def test_sgdw_shrink_uses_weights_before_the_step_and_skips_the_buffer():
    theta = nn.Parameter(torch.tensor([2.0], dtype=torch.float64))
    opt = optim.SGD([theta], lr=0.1, momentum=0.9, weight_decay=0.5, decoupled=True)
    for grad in (1.0, 1.0):
        theta.grad = torch.tensor([grad], dtype=torch.float64)
        opt.step()
    # b_1 = 1, θ_1 = 0.95·2 − 0.1 = 1.8; b_2 = 1.9, θ_2 = 0.95·1.8 − 0.19 = 1.52
    assert opt.state[theta]["momentum_buffer"].item() == pytest.approx(1.9, abs=1e-15)
    assert theta.item() == pytest.approx(1.52, abs=1e-15)


def test_parameters_without_gradients_are_left_alone():
    a, b = nn.Parameter(torch.ones(2)), nn.Parameter(torch.ones(2))
    for opt in (optim.AdamW([a, b], weight_decay=0.5), optim.SGD([a, b], lr=0.1, weight_decay=0.5)):
        a.grad = torch.ones(2)
        opt.step()
        opt.zero_grad()
        assert torch.equal(b.detach(), torch.ones(2)) and a.grad is None


def test_step_accepts_a_closure_and_returns_its_loss():
    theta = nn.Parameter(torch.tensor([3.0]))
    opt = optim.Adam([theta], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (theta**2).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == pytest.approx(9.0)
    assert theta.item() == pytest.approx(2.9)


# effective_decay: the per-coordinate fraction the decay term removed in the last step.


def trained(make, steps=5):
    model = make_model(torch.float64)
    opt = make(param_groups(model, weight_decay=0.1))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, warmup_cosine)
    for x, y in batches(steps):
        train_step(model, opt, sched, x, y)
    return model, opt


def test_effective_decay_of_adamw_is_lr_times_lambda_of_the_last_step():
    model, opt = trained(lambda g: optim.AdamW(g, lr=1e-2))
    decay = shrink.effective_decay(opt)
    last_lr = 1e-2 * warmup_cosine(4)  # the scheduler has already moved on to step 5's lr
    assert opt.param_groups[0]["lr"] != pytest.approx(last_lr)
    assert list(decay) == [n for g in opt.param_groups for n in g["param_names"]]
    for name, param in model.named_parameters():
        assert decay[name].shape == param.shape
        expected = last_lr * 0.1 if param.dim() >= 2 else 0.0
        torch.testing.assert_close(decay[name], torch.full_like(param, expected))


def test_effective_decay_of_adam_l2_is_lr_lambda_over_sqrt_vhat_plus_eps():
    _, opt = trained(lambda g: optim.Adam(g, lr=1e-2))
    decay = shrink.effective_decay(opt)
    group = opt.param_groups[0]
    (_, beta2), eps = group["betas"], group["eps"]
    lr = 1e-2 * warmup_cosine(4)
    for name, param in zip(group["param_names"], group["params"], strict=True):
        state = opt.state[param]
        v_hat = state["exp_avg_sq"] / (1 - beta2 ** state["step"])
        expected = lr * 0.1 / (v_hat.sqrt() + eps)
        torch.testing.assert_close(decay[name], expected, rtol=1e-12, atol=0)
    spread = torch.cat([decay[n].flatten() for n in group["param_names"]])
    assert spread.max() / spread.min() > 10  # unlike AdamW's, Adam+L2's decay varies a lot
    assert all(decay[n].abs().max() == 0 for n in opt.param_groups[1]["param_names"])


def test_effective_decay_of_adam_l2_is_the_true_shrink_on_a_pure_decay_step():
    start = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    theta = nn.Parameter(start.clone())
    opt = optim.Adam([theta], lr=0.1, weight_decay=0.2, eps=1e-3)
    one_zero_gradient_step(opt, theta)
    removed = (start - theta.detach()) / start
    torch.testing.assert_close(shrink.effective_decay(opt)["group0.0"], removed)


def test_effective_decay_of_independent_and_sgd():
    _, opt = trained(lambda g: optim.AdamW(g, lr=1e-2, independent=True))
    torch.testing.assert_close(
        shrink.effective_decay(opt)["fc.weight"].max().item(), warmup_cosine(4) * 0.1
    )
    _, opt = trained(lambda g: optim.SGD(g, lr=0.1, momentum=0.9))
    torch.testing.assert_close(
        shrink.effective_decay(opt)["fc.weight"].max().item(), 0.1 * warmup_cosine(4) * 0.1
    )


def test_effective_decay_needs_a_step_and_our_optimizer():
    param = nn.Parameter(torch.ones(2))
    with pytest.raises(ValueError, match="taken a step"):
        shrink.effective_decay(optim.AdamW([param]))
    with pytest.raises(ValueError, match="helpers.optim"):
        shrink.effective_decay(torch.optim.AdamW([param]))


# Bad input: a ValueError that names the argument and the allowed range.

BAD = [
    (optim.SGD, dict(lr=0.0), "lr must be a finite number > 0"),
    (optim.SGD, dict(lr=-1.0), "lr must be a finite number > 0"),
    (optim.Adam, dict(lr=float("nan")), "lr must be a finite number > 0"),
    (optim.AdamW, dict(lr=0), "lr must be a finite number > 0"),
    (optim.Adam, dict(eps=-1e-8), "eps must be a finite number ≥ 0"),
    (optim.AdamW, dict(weight_decay=-0.1), "weight_decay must be a finite number ≥ 0"),
    (optim.SGD, dict(lr=0.1, weight_decay=-1), "weight_decay must be a finite number ≥ 0"),
    (optim.Adam, dict(betas=(1.0, 0.999)), r"betas\[0\] must be in \[0, 1\)"),
    (optim.Adam, dict(betas=(0.9, -0.1)), r"betas\[1\] must be in \[0, 1\)"),
    (optim.AdamW, dict(betas=(0.9,)), r"betas must be a pair"),
    (optim.SGD, dict(lr=0.1, momentum=-0.5), "momentum must be a finite number ≥ 0"),
    (optim.Adam, dict(independent=True), "independent=True needs decoupled=True"),
    (optim.SGD, dict(lr=0.1, independent=True), "independent=True needs decoupled=True"),
    (optim.Adam, dict(decoupled="yes"), "decoupled must be True or False"),
]


@pytest.mark.parametrize("cls, kwargs, message", BAD)
def test_bad_arguments_name_the_argument_and_range(cls, kwargs, message):
    kwargs = {"lr": 1e-3, **kwargs} if cls is optim.SGD else kwargs
    with pytest.raises(ValueError, match=message):
        cls([nn.Parameter(torch.ones(2))], **kwargs)


@pytest.mark.parametrize("cls, kwargs, message", BAD)
def test_bad_per_group_overrides_are_caught_too(cls, kwargs, message):
    base = {"lr": 1e-3} if cls is optim.SGD else {}
    good = {"params": [nn.Parameter(torch.ones(2))]}
    with pytest.raises(ValueError, match=message):
        cls([good, {"params": [nn.Parameter(torch.ones(2))], **kwargs}], **base)
    opt = cls([good], **base)
    with pytest.raises(ValueError, match=message):
        opt.add_param_group({"params": [nn.Parameter(torch.ones(2))], **kwargs})
    assert len(opt.param_groups) == 1  # a rejected group is not half-added


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.AdamW])
def test_an_empty_parameter_list_is_an_error(cls):
    with pytest.raises(ValueError, match="params must hold at least one"):
        cls([], lr=1e-3)
    with pytest.raises(ValueError, match="params must hold at least one"):
        cls(iter([]), lr=1e-3)


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.AdamW])
def test_sparse_gradients_are_refused_clearly(cls):
    emb = nn.Embedding(5, 3, sparse=True)
    emb(torch.tensor([1, 2])).sum().backward()
    opt = cls(emb.parameters(), lr=1e-3)
    with pytest.raises(ValueError, match="sparse gradients"):
        opt.step()
