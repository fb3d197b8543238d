"""One training run of the book's tiny GPT on a never-repeating HMM stream, with AdamW.

:func:`train_one_pass` returns a history (JSON-ready lists, one entry per evaluation): the loss
on a fixed held-out set and its excess over the Bayes floor of the same tokens, the loss of the
current model on the batches it has just trained on, the norm ‖θ‖ of the decayed tensors and
their angular update per step (the angle between θ_{t−1} and θ_t, mean over the tensors).

Schedules of s_t = η_t/η: a linear warmup, then ``"constant"`` or ``"wsd"`` (warmup-stable-
decay: constant, then a linear cooldown to 0 over the last ``cooldown_frac`` of the steps).

The control (``match=`` a decayed run's per-tensor norms): λ = 0, and each decayed tensor i gets
its own learning rate η_{i,t} = s_t·η·‖θ_{i,t}‖/N_i(t), N_i(t) the decayed run's norm of the same
tensor at the same step. Adam's step has a size set by η, not by the gradient's scale, so the
angle per step, ≈ ‖Δθ‖/‖θ‖ ∝ η/‖θ‖, then follows the decayed run's: the effective learning rate
without the decay.

Introduced in chapter 6 (One pass over the data).
"""

from __future__ import annotations

import copy
import math
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import torch

from helpers.ch6.hmm import FreshStream, HMMConfig, HMMSource, held_out
from helpers.checks import check_choice, check_int, check_real, check_seed
from helpers.model import GPT, GPTConfig
from helpers.param_groups import param_groups

SCHEDULES = ("constant", "wsd")


@dataclass(frozen=True)
class OnePassConfig:
    # the model: the book's GPT (pre-LayerNorm blocks, tied embedding and head)
    n_layer: int = 2  # transformer blocks
    n_head: int = 2  # attention heads
    n_embd: int = 32  # residual width
    block_size: int = 32  # context length (tokens)
    # the data: fresh HMM samples at every step
    hmm: HMMConfig = field(default_factory=HMMConfig)  # which HMM
    batch_size: int = 16  # sequences per step
    # AdamW: θ ← θ·(1 − η_t·λ) − η_t·m̂/(√v̂ + ε) on the tensors the nanoGPT rule decays
    lr: float = 8e-3  # η, the peak learning rate
    weight_decay: float = 0.0  # λ
    betas: tuple[float, float] = (0.9, 0.95)  # β₁, β₂ (nanoGPT's)
    # the schedule s_t
    steps: int = 2000  # optimizer steps, each on a fresh batch
    warmup_steps: int = 100  # linear warmup from η/warmup_steps to η
    schedule: str = "constant"  # "constant" or "wsd"
    cooldown_frac: float = 0.2  # wsd: the share of the steps in the linear cooldown to 0
    # measurement
    eval_every: int = 100  # held-out and recent-batch loss every this many steps
    held_out_seqs: int = 256  # rows of the fixed held-out set (the same for every run)
    recent_batches: int = 8  # "training loss": the current model on its last batches
    norm_every: int = 10  # norms and one step's angle every this many steps
    seed: int = 0  # model init and the training stream

    def __post_init__(self):
        for name in ("n_layer", "n_head", "n_embd", "block_size", "batch_size", "steps"):
            check_int(name, getattr(self, name), low=1, high=100_000)
        check_real("lr", self.lr, low=0, high=1, low_open=True)
        check_real("weight_decay", self.weight_decay, low=0, high=1000)
        check_int("warmup_steps", self.warmup_steps, low=0, high=self.steps)
        check_choice("schedule", self.schedule, SCHEDULES)
        check_real("cooldown_frac", self.cooldown_frac, low=0, high=1, low_open=True)
        for name in ("eval_every", "held_out_seqs", "recent_batches", "norm_every"):
            check_int(name, getattr(self, name), low=1, high=100_000)
        check_seed("seed", self.seed)

    @property
    def cooldown_start(self) -> int:
        """The first step of the WSD cooldown."""
        return self.steps - max(1, round(self.cooldown_frac * self.steps))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["betas"] = list(self.betas)
        return d


def lr_multiplier(step: int, c: OnePassConfig) -> float:
    """s_t for the step with index ``step`` (0-based)."""
    if step < c.warmup_steps:
        return (step + 1) / c.warmup_steps
    if c.schedule == "constant" or step < c.cooldown_start:
        return 1.0
    # wsd cooldown: s_t falls linearly to 0 at the last step
    cool = c.steps - c.cooldown_start
    return 1.0 - (step - c.cooldown_start + 1) / cool


_SOURCES: dict = {}


def source_for(config: HMMConfig) -> HMMSource:
    """The HMM of ``config``, built once per process."""
    if config not in _SOURCES:
        _SOURCES[config] = HMMSource(config)
    return _SOURCES[config]


@torch.no_grad()
def losses(model: GPT, rows: torch.Tensor, chunk: int = 128) -> torch.Tensor:
    """Per-row mean loss (nats/token) of ``model`` on rows of block_size + 1 tokens."""
    model.eval()
    out = []
    for i in range(0, len(rows), chunk):
        x = rows[i : i + chunk]
        logits, _ = model(x[:, :-1])
        nll = torch.nn.functional.cross_entropy(logits.transpose(1, 2), x[:, 1:], reduction="none")
        out.append(nll.mean(1).double())
    model.train()
    return torch.cat(out)


class Trainer:
    """A run in progress. ``train_until(step)`` advances it; ``copy.deepcopy`` branches it (the
    optimizer follows the copied model), which :func:`constant_and_wsd` uses to share the
    constant phase of a WSD run with its constant-lr twin."""

    def __init__(self, c: OnePassConfig, match: dict | None = None):
        self.c, self.match = c, match
        self.source = source = source_for(c.hmm)
        self.held_x, self.held_floor = held_out(source, c.held_out_seqs, c.block_size)
        torch.manual_seed(c.seed)
        gpt = GPTConfig(source.vocab_size, c.block_size, c.n_layer, c.n_head, c.n_embd)
        self.model = GPT(gpt)
        self.named = dict(self.model.named_parameters())
        decay, rest = param_groups(self.model, 0.0, rule="nanogpt")
        self.decayed = list(decay["param_names"])
        lam = 0.0 if match is not None else c.weight_decay
        # one group per decayed tensor (the control gives each its own η), one for the rest
        groups = [{"params": [self.named[n]], "name": n, "weight_decay": lam} for n in self.decayed]
        groups.append({"params": rest["params"], "name": "no_decay", "weight_decay": 0.0})
        self.opt = torch.optim.AdamW(groups, lr=c.lr, betas=c.betas)
        self.stream = FreshStream(source, c.batch_size, c.block_size, seed=c.seed)
        self.recent: list[torch.Tensor] = []
        keys = ("step", "lr_mult", "held_out", "excess", "recent_excess")
        self.h: dict = {key: [] for key in keys}
        self.h.update(norm_step=[], norm=[], angle=[], eta_eff=[])
        self.h["tensor_norm"] = {n: [] for n in self.decayed}  # what a control follows
        self.step, self.stopped = 0, "finished"
        self._evaluate()
        self._record_norms(None)

    def _evaluate(self) -> None:
        h = self.h
        h["step"].append(self.step)
        h["lr_mult"].append(lr_multiplier(max(self.step - 1, 0), self.c))
        held = float(losses(self.model, self.held_x).mean())
        h["held_out"].append(held)
        h["excess"].append(held - self.held_floor)
        if self.recent:  # the same model on the batches it has just trained on
            rows = torch.cat(self.recent)
            floor = float(self.source.bayes_nll(rows).mean())
            h["recent_excess"].append(float(losses(self.model, rows).mean()) - floor)
        else:
            h["recent_excess"].append(h["excess"][-1])

    def _record_norms(self, before: dict | None) -> None:
        h = self.h
        h["norm_step"].append(self.step)
        squares = 0.0
        angles = []
        for n in self.decayed:
            theta = self.named[n].detach()
            h["tensor_norm"][n].append(theta.norm().item())
            squares += h["tensor_norm"][n][-1] ** 2
            if before is not None:
                cos = torch.nn.functional.cosine_similarity(theta.flatten(), before[n], dim=0)
                angles.append(math.acos(min(1.0, cos.item())))
        # ‖θ‖ over every decayed tensor; the angle per step, mean over the tensors
        h["norm"].append(math.sqrt(squares))
        h["angle"].append(float(np.mean(angles)) if angles else 0.0)
        eta = [g["lr"] / self.c.lr for g in self.opt.param_groups if g["name"] != "no_decay"]
        h["eta_eff"].append(float(np.mean(eta)))

    def _one_step(self) -> bool:
        c, step = self.c, self.step
        s = lr_multiplier(step, c)
        for g in self.opt.param_groups:
            mult = s
            if self.match is not None and g["name"] != "no_decay":
                # η_{i,t} = s_t·η·‖θ_i‖/N_i(t): the decayed run's angle per step, without decay
                own = self.named[g["name"]].detach().norm().item()
                ref = self.match["tensor_norm"][g["name"]]
                mult = s * own / float(np.interp(step, self.match["norm_step"], ref))
            g["lr"] = c.lr * mult
        x, y = self.stream.batch(step)
        assert self.stream.passes == 1, "a training batch was drawn twice"
        _, loss = self.model(x, y)
        if not math.isfinite(loss.item()):
            self.stopped = f"diverged at step {step} (loss {loss.item()})"
            return False
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        measure = (step + 1) % c.norm_every == 0
        before = (
            {n: self.named[n].detach().flatten().clone() for n in self.decayed} if measure else None
        )
        self.opt.step()
        self.recent = (self.recent + [torch.cat([x, y[:, -1:]], 1)])[-c.recent_batches :]
        self.step += 1
        if measure:
            self._record_norms(before)
        if self.step % c.eval_every == 0 or self.step == c.steps:
            self._evaluate()
        return True

    def train_until(self, stop: int) -> bool:
        """Train up to step ``stop``; False if the loss stopped being finite."""
        while self.step < stop:
            if not self._one_step():
                return False
        return True

    def finish(self) -> dict:
        """The history, with the count of passes over any token and the run's outcome."""
        if self.h["step"][-1] != self.step:  # stopped between evaluations
            self._evaluate()
        return {
            "config": self.c.to_dict(),
            "passes": self.stream.passes,
            "train_tokens": self.stream.tokens,
            "held_out_floor": self.held_floor,
            "stopped": self.stopped,
            **self.h,
        }


def train_one_pass(c: OnePassConfig, match: dict | None = None) -> dict:
    """Train one run from scratch on fresh batches; return its history (see the module)."""
    trainer = Trainer(c, match)
    trainer.train_until(c.steps)
    return trainer.finish()


def constant_and_wsd(c: OnePassConfig) -> tuple[dict, dict]:
    """A constant-lr run and its WSD twin for the price of 1 + cooldown_frac runs.

    Both take the same steps until the cooldown starts (s_t = 1 in both), so the constant run is
    branched there from a copy: bit for bit the constant run from scratch. Each branch trains on
    each batch once (each copy of the stream counts its own passes).
    """
    trainer = Trainer(replace(c, schedule="wsd"))
    if trainer.train_until(c.cooldown_start):
        branch = copy.deepcopy(trainer)
        branch.c = replace(c, schedule="constant")
        branch.train_until(c.steps)
        trainer.train_until(c.steps)
    else:
        branch = trainer
    return branch.finish(), trainer.finish()
