"""``train()`` against the training loop written out by hand, in float64.

Everything the loop decides is written here again from its definition, independently of
``helpers.train``: which tensors decay under each rule and with which λ, the batches (from the
training part only), the learning-rate schedule, gradient clipping, the Adam / AdamW update, and
the evaluation batches (the validation loss from the held-out part). The model's forward pass is
the one thing shared (``tests/test_model.py`` checks it against its own reference). With the
default dtype set to float64, ``train()`` and this loop agree to rounding; a skipped clip, λ = 0.01
on the no-decay group, validation scored on the training text or a wrong schedule does not.
"""

import math
from dataclasses import replace

import pytest
import torch
from torch import nn

from helpers.data import char_data
from helpers.model import GPT
from helpers.train import EVAL_SEED, TrainConfig, train

TEXT = (
    "Weight decay shrinks every weight a little at each step, so that only the weights the "
    "data keep pushing up stay large. "
) * 12
BASE = TrainConfig(
    n_layer=2,
    n_head=2,
    n_embd=16,
    block_size=12,
    batch_size=4,
    train_chars=600,
    steps=12,
    eval_every=4,
    eval_batches=2,
    lr=2e-2,
    weight_decay=0.5,
    betas=(0.8, 0.95),
    eps=1e-3,  # large enough that Adam does not blow up the rounding noise of the key biases
    device="cpu",
    seed=5,
)
CASES = {
    "nanogpt-torch-adamw-clip-dropout-warmup-cosine": dict(
        rule="nanogpt", grad_clip=0.3, dropout=0.1, warmup_steps=3, schedule="cosine"
    ),
    "mingpt-book-adamw-clip": dict(rule="mingpt", optimizer="book", grad_clip=0.2, dropout=0.2),
    "olmo2-torch-adam-l2-cosine": dict(
        rule="olmo2", decoupled=False, schedule="cosine", min_lr_ratio=0.0, dropout=0.1
    ),
    "all-book-adam-l2-clip-warmup": dict(
        rule="all", optimizer="book", decoupled=False, grad_clip=0.25, warmup_steps=5
    ),
}


@pytest.fixture
def float64():
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(before)


def decayed_names(model: nn.Module, rule: str) -> list[str]:
    """The decay rules from their sources (chapter 3), by tensor name in the book's GPT."""
    names = [name for name, _ in model.named_parameters()]
    embeddings = {"transformer.wte.weight", "transformer.wpe.weight"}  # wte is also the head
    matrices = {n for n, p in model.named_parameters() if p.dim() >= 2}
    decays = {
        "nanogpt": matrices,
        "mingpt": matrices - embeddings,  # nn.Linear weights; the tied head is the embedding
        "olmo2": set(names) - embeddings,
        "all": set(names),
    }[rule]
    return [n for n in names if n in decays]


def multiplier(i: int, c: TrainConfig) -> float:
    """s for the step with 0-based index i: linear warmup, then constant or cosine to a floor."""
    if i < c.warmup_steps:
        return (i + 1) / c.warmup_steps
    if c.schedule == "constant":
        return 1.0
    progress = min(1.0, (i - c.warmup_steps) / max(1, c.steps - 1 - c.warmup_steps))
    return c.min_lr_ratio + (1 - c.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


def windows(ids, count, c, generator):
    batches = []
    for _ in range(count):
        starts = torch.randint(len(ids) - c.block_size, (c.batch_size,), generator=generator)
        rows = torch.stack([ids[s : s + c.block_size + 1] for s in starts.tolist()])
        batches.append((rows[:, :-1], rows[:, 1:]))
    return batches


def reference(c: TrainConfig, data):
    torch.manual_seed(c.seed)
    model = GPT(c.gpt_config(data.vocab.size))
    params = dict(model.named_parameters())
    decayed = decayed_names(model, c.rule)
    lam = {n: c.weight_decay if n in decayed else 0.0 for n in params}
    train_ids, val_ids = data.train[: c.train_chars], data.val
    fixed = torch.Generator().manual_seed(EVAL_SEED)
    scored = {"train": windows(train_ids, c.eval_batches, c, fixed)}
    scored["val"] = windows(val_ids, c.eval_batches, c, fixed)  # the held-out part
    order = torch.Generator().manual_seed(c.seed)
    m = {n: torch.zeros_like(p) for n, p in params.items()}
    v = {n: torch.zeros_like(p) for n, p in params.items()}
    (beta1, beta2), out = c.betas, {"loss": [], "val_loss": [], "train_loss": [], "clipped": 0}

    def evaluate():
        model.eval()
        with torch.no_grad():
            for split in ("train", "val"):
                losses = [model(x, y)[1] for x, y in scored[split]]
                out[f"{split}_loss"].append(sum(losses).item() / len(losses))
        model.train()

    evaluate()
    for t in range(1, c.steps + 1):
        ((x, y),) = windows(train_ids, 1, c, order)
        loss = model(x, y)[1]
        out["loss"].append(loss.item())
        model.zero_grad()
        loss.backward()
        grads = {n: p.grad.clone() for n, p in params.items()}
        if c.grad_clip > 0:
            total = math.sqrt(sum(g.pow(2).sum().item() for g in grads.values()))
            if total > c.grad_clip:  # g ← g·clip/‖g‖ (PyTorch adds 1e-6 to ‖g‖)
                out["clipped"] += 1
                grads = {n: g * (c.grad_clip / (total + 1e-6)) for n, g in grads.items()}
        eta = c.lr * multiplier(t - 1, c)
        with torch.no_grad():
            for n, p in params.items():
                g = grads[n] if c.decoupled else grads[n] + lam[n] * p
                m[n] = beta1 * m[n] + (1 - beta1) * g
                v[n] = beta2 * v[n] + (1 - beta2) * g * g
                m_hat, v_hat = m[n] / (1 - beta1**t), v[n] / (1 - beta2**t)
                shrink = 1 - eta * lam[n] if c.decoupled else 1.0
                p.copy_(shrink * p - eta * m_hat / (v_hat.sqrt() + c.eps))
        if t % c.eval_every == 0 or t == c.steps:
            evaluate()
    return model, decayed, out


@pytest.mark.parametrize("case", CASES)
def test_train_is_the_loop_written_out(case, float64):
    config = replace(BASE, **CASES[case])
    data = char_data(TEXT, val_fraction=0.25, source="fixed text")
    history = train(config, data=data)
    model, decayed, expected = reference(config, data)

    # the groups: the rule's tensors decayed with λ, every other tensor with λ = 0
    groups = history.model and train_groups(config, data)
    assert groups["decay"] == (decayed, config.weight_decay)
    names = [n for n, _ in model.named_parameters()]
    assert groups["no_decay"] == ([n for n in names if n not in decayed], 0.0)

    assert history.step == [0, 4, 8, 12]
    assert history.loss == pytest.approx(expected["loss"], rel=1e-9)
    # (train() rounds each evaluation loss to float32)
    assert history.train_loss == pytest.approx(expected["train_loss"], rel=1e-6)
    assert history.val_loss == pytest.approx(expected["val_loss"], rel=1e-6)
    for a, b in zip(history.model.parameters(), model.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-8, atol=1e-10)
    if config.grad_clip > 0:
        assert expected["clipped"] >= config.steps // 2  # the clip was doing something
    # the validation loss is the held-out part's: scored on training text it would be lower
    assert history.val_loss[-1] != pytest.approx(history.train_loss[-1], rel=1e-3)


def train_groups(config, data):
    """The param groups train() gives its optimizer: decayed names and λ, per group."""
    from helpers.train import Run

    run = Run(config, data, ())
    return {
        g["name"]: (list(g["param_names"]), g["weight_decay"]) for g in run.optimizer.param_groups
    }
