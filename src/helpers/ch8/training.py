"""One training run of the tiny GPT with AdamW, Muon (+ AdamW) or Lion.

:func:`helpers.train.train` builds AdamW only; Muon needs two optimizers (Muon for the hidden
matrices, AdamW for the rest) and the chapter's equilibrium needs each hidden matrix's update
u_t at every step, so this module has its own short loop (:func:`train_run`), on the same model,
data, batches and evaluation as :func:`helpers.train.train`.

Notation (the book's): η the learning rate, λ weight decay (PyTorch's convention: the shrink per
step is η·λ), u_t the optimizer's update, so that θ_t = (1 − η·λ_t)·θ_{t−1} − η·u_t.

Introduced in chapter 8 (Decay with other optimizers).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch

from helpers.checks import check_choice, check_int, check_real, check_seed
from helpers.data import CharData, char_data, get_batch
from helpers.lion import Lion
from helpers.model import GPT
from helpers.muon import ADJUST_LR_FNS, Muon
from helpers.optim import AdamW
from helpers.runtime import set_seed
from helpers.schedules import WeightDecayLambda, cosine_to_zero, linear_to_zero
from helpers.train import CPU_PRESET, EVAL_SEED

OPTIMIZERS = ("adamw", "muon", "lion")
WD_SCHEDULES = ("constant", "linear", "cosine")
# the window over which the equilibrium statistics are averaged: the last quarter of the steps
WINDOW = 0.25


@dataclass(frozen=True)
class RunConfig:
    """One run of chapter 4's CPU model on the whole training text (the chapter's settings)."""

    optimizer: str = "adamw"  # "adamw" (every tensor), "muon" (hidden matrices) + AdamW, "lion"
    lr: float = 3e-3  # η of AdamW and Lion, and of the AdamW part under "muon"
    muon_lr: float = 0.01  # η of Muon's part (the hidden matrices) under "muon"
    adjust_lr_fn: str = "original"  # Muon's update scale: "original" or "match_rms_adamw"
    weight_decay: float = 0.1  # λ of every decayed tensor: hidden matrices and embeddings
    wd_schedule: str = "constant"  # λ_t = λ·r_t: "constant" r = 1, "linear" or "cosine" to 0
    betas: tuple[float, float] = (0.9, 0.99)  # (β1, β2) of AdamW and of Lion (both papers')
    momentum: float = 0.95  # Muon's μ (Nesterov), torch.optim.Muon's default
    steps: int = 300  # optimizer steps at a constant η
    eval_every: int = 50  # evaluate every N steps (and at step 0)
    seed: int = 0  # model initialisation and batch order

    def __post_init__(self):
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_real("lr", self.lr, low=0, low_open=True)
        check_real("muon_lr", self.muon_lr, low=0, low_open=True)
        check_choice("adjust_lr_fn", self.adjust_lr_fn, ADJUST_LR_FNS)
        check_real("weight_decay", self.weight_decay, low=0)
        check_choice("wd_schedule", self.wd_schedule, WD_SCHEDULES)
        check_int("steps", self.steps, low=4)
        check_int("eval_every", self.eval_every, low=1)
        check_seed("seed", self.seed)

    @property
    def hidden_lr(self) -> float:
        """η of the hidden matrices: Muon's under "muon", else the one η."""
        return self.muon_lr if self.optimizer == "muon" else self.lr


def split_parameters(model: GPT) -> dict[str, list[tuple[str, torch.Tensor]]]:
    """The three groups of Moonlight, nanochat and modded-nanogpt.

    hidden: the 2-D weights inside the blocks (Muon's under "muon"); embed: the token
    embedding (= the tied output head) and the position embedding; gains: every 1-D tensor
    (LayerNorm gains and biases, Linear biases), never decayed (nanoGPT's rule).
    """
    groups = {"hidden": [], "embed": [], "gains": []}
    for name, param in model.named_parameters():
        if param.dim() == 2 and name.startswith("transformer.h."):
            groups["hidden"].append((name, param))
        elif param.dim() == 2:
            groups["embed"].append((name, param))
        else:
            groups["gains"].append((name, param))
    return groups


def build_optimizers(config: RunConfig, groups: dict) -> list[torch.optim.Optimizer]:
    """The optimizers of a run; the first one updates the hidden matrices."""
    lam = config.weight_decay

    def group(key: str, weight_decay: float) -> dict:
        return {"params": [p for _, p in groups[key]], "weight_decay": weight_decay}

    everything = [group("hidden", lam), group("embed", lam), group("gains", 0.0)]
    if config.optimizer == "adamw":
        return [AdamW(everything, lr=config.lr, betas=config.betas)]
    if config.optimizer == "lion":
        return [Lion(everything, lr=config.lr, betas=config.betas)]
    muon = Muon(
        [group("hidden", lam)],
        lr=config.muon_lr,
        momentum=config.momentum,
        adjust_lr_fn=config.adjust_lr_fn,
    )
    rest = AdamW([group("embed", lam), group("gains", 0.0)], lr=config.lr, betas=config.betas)
    return [muon, rest]


def decay_schedulers(config: RunConfig, optimizers) -> list[WeightDecayLambda]:
    """λ_t = λ·r_t on every optimizer (nanochat's λ falling to zero), or none for "constant"."""
    if config.wd_schedule == "constant":
        return []
    multiplier = {"linear": linear_to_zero, "cosine": cosine_to_zero}[config.wd_schedule]
    return [WeightDecayLambda(opt, multiplier(config.steps)) for opt in optimizers]


@torch.no_grad()
def _norm(params) -> float:
    return math.sqrt(sum(p.detach().pow(2).sum().item() for _, p in params))


def _recorder(model: GPT, groups: dict, data: CharData) -> tuple[dict, Callable[[int], None]]:
    """A run's record and its ``evaluate(step)``, which appends the mean loss of each split on
    fixed batches (generator :data:`~helpers.train.EVAL_SEED`), each group's norm and each
    hidden matrix's norm. :func:`train_run` adds the window's means and the config at the end.
    """
    hidden = groups["hidden"]
    fixed = torch.Generator().manual_seed(EVAL_SEED)
    size = (CPU_PRESET.batch_size, CPU_PRESET.block_size)
    eval_sets = {
        split: [get_batch(ids, *size, fixed) for _ in range(CPU_PRESET.eval_batches)]
        for split, ids in (("train", data.train), ("val", data.val))
    }
    out = {
        "step": [],
        "train_loss": [],
        "val_loss": [],
        "group_norm": {key: [] for key in groups},
        "matrix_norm": {name: [] for name, _ in hidden},
        "shape": {name: list(p.shape) for name, p in hidden},
        "stopped": "finished",
    }

    @torch.no_grad()
    def evaluate(step: int) -> None:
        model.eval()
        out["step"].append(step)
        for split in ("train", "val"):
            losses = [model(x, y)[1].item() for x, y in eval_sets[split]]
            out[f"{split}_loss"].append(sum(losses) / len(losses))
        model.train()
        for key, params in groups.items():
            out["group_norm"][key].append(_norm(params))
        for name, p in hidden:
            out["matrix_norm"][name].append(p.detach().norm().item())

    return out, evaluate


def train_run(config: RunConfig, data: CharData | None = None) -> dict:
    """Train once; return the losses and norms at each evaluation and, per hidden matrix, the
    mean of ‖u_t‖² and ⟨θ_{t−1}, u_t⟩ over the last quarter of the steps (chapter 8, §2).

    A loss that turns NaN/inf stops the run (``stopped`` says at which step) and keeps what was
    recorded.
    """
    data = (char_data() if data is None else data).with_train_chars(None)  # the whole text
    set_seed(config.seed)
    model = GPT(CPU_PRESET.gpt_config(data.vocab.size))
    groups = split_parameters(model)
    hidden = groups["hidden"]
    optimizers = build_optimizers(config, groups)
    schedulers = decay_schedulers(config, optimizers)
    out, evaluate = _recorder(model, groups, data)
    batches = torch.Generator().manual_seed(config.seed)
    size = (CPU_PRESET.batch_size, CPU_PRESET.block_size)
    window_start = config.steps - int(config.steps * WINDOW)
    u_sq = {name: 0.0 for name, _ in hidden}
    theta_u = {name: 0.0 for name, _ in hidden}

    evaluate(0)
    for step in range(1, config.steps + 1):
        x, y = get_batch(data.train, *size, batches)
        _, loss = model(x, y)
        if not math.isfinite(loss.item()):
            out["stopped"] = f"diverged at step {step}"
            break
        for opt in optimizers:
            opt.zero_grad(set_to_none=True)
        loss.backward()
        # η and λ_t of the hidden matrices at this step
        eta, lam = config.hidden_lr, optimizers[0].param_groups[0]["weight_decay"]
        before = [p.detach().clone() for _, p in hidden]
        # θ_t = (1 − η·λ_t)·θ_{t−1} − η·u_t, with each group's η, λ_t and each optimizer's u_t
        for opt in optimizers:
            opt.step()
        for scheduler in schedulers:
            scheduler.step()
        if step > window_start:
            with torch.no_grad():
                for (name, p), old in zip(hidden, before, strict=True):
                    # u_t = ((1 − ηλ)·θ_{t−1} − θ_t)/η
                    u = ((1 - eta * lam) * old - p) / eta
                    u_sq[name] += u.pow(2).sum().item()
                    theta_u[name] += (old * u).sum().item()
        if step % config.eval_every == 0 or step == config.steps:
            evaluate(step)
    steps_in_window = config.steps - window_start
    out["u_sq"] = {name: value / steps_in_window for name, value in u_sq.items()}
    out["theta_u"] = {name: value / steps_in_window for name, value in theta_u.items()}
    out["config"] = asdict(config)
    return out
