"""What a training run of the tiny GPT measured, and the bookkeeping that measures it.

:class:`History` is what :func:`helpers.train.train` returns. :class:`Recorder` fills it while
the loop runs: it evaluates the model at step 0 and every ``eval_every`` steps, keeps θ_{t−1}
for the update ratio ‖θ_t − θ_{t−1}‖/‖θ_{t−1}‖ (and to put back the last finite weights when a
run diverges), times the steps, calls the callback, and says how the run ended.

A History is consistent at every instant, even when Ctrl-C (the notebook's stop button) arrives
in the middle of an evaluation: an evaluation's row is added whole or not at all, a step counts
(with its loss and its time) only once it is taken, and a step cut short leaves the model at the
weights of the last step taken.

Introduced in chapter 4 (train a tiny GPT with a λ slider).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING

import torch

from helpers.runtime import interrupts_held
from helpers.schedules import lr_multiplier

if TYPE_CHECKING:
    from helpers.data import CharData
    from helpers.model import GPT
    from helpers.train import Run


def norm(tensors: Iterable[torch.Tensor]) -> float:
    """‖θ‖ over ``tensors``: the square root of the sum of every entry squared."""
    return math.sqrt(sum(t.detach().float().pow(2).sum().item() for t in tensors))


def _json_ready(value):
    """``value`` with every NaN or ±inf replaced by None (JSON has neither)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(item) for item in value]
    return value


@dataclass
class History:
    """What a training run measured. Lists under "at eval" have one entry per ``step``."""

    settings: dict  # the TrainConfig as a dict
    environment: dict  # device, versions, threads, data source and fingerprint, parameter count
    step: list[int] = field(default_factory=list)  # steps at which the model was evaluated
    train_loss: list[float] = field(default_factory=list)  # at eval: mean loss, fixed train batches
    val_loss: list[float] = field(default_factory=list)  # at eval: mean loss, fixed val batches
    lr: list[float] = field(default_factory=list)  # at eval: η_t of the last step (step 0: first)
    weight_norm: list[float] = field(default_factory=list)  # at eval: ‖θ‖ over all parameters
    group_norm: dict[str, list[float]] = field(default_factory=dict)  # at eval: ‖θ‖ per group
    # at eval: ‖θ_t − θ_{t−1}‖/‖θ_{t−1}‖ per group for the step just taken (NaN at step 0)
    update_ratio: dict[str, list[float]] = field(default_factory=dict)
    tensor_norm: dict[str, list[float]] = field(default_factory=dict)  # at eval: tracked tensors
    # every step taken: the loss of its own batch (and, last, the NaN/inf one of a diverged run)
    loss: list[float] = field(default_factory=list)
    wall_s: float = 0.0  # the whole run, evaluation included
    ms_per_step: float = math.nan  # training steps only (the first one's warm-up included)
    tokens_per_s: float = math.nan  # training tokens per second of training steps
    stopped: str = ""  # "finished", "diverged", "interrupted" or "callback"
    message: str = ""  # one line saying how the run ended
    model: GPT | None = field(default=None, repr=False, compare=False)  # the trained model
    data: CharData | None = field(default=None, repr=False, compare=False)  # ... and its data

    def to_dict(self) -> dict:
        """Every measurement as plain JSON values (NaN as None), without the model and the data."""
        return _json_ready(
            {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("model", "data")}
        )


def _update_ratios(before: dict[str, list], after: dict[str, list]) -> dict[str, float]:
    """‖θ_t − θ_{t−1}‖/‖θ_{t−1}‖ for each group (NaN for an empty group)."""
    return {
        name: norm([a - b for a, b in zip(after[name], old, strict=True)]) / (norm(old) or math.nan)
        for name, old in before.items()
    }


class Recorder:
    """The bookkeeping of :func:`helpers.train.train`: fills a :class:`History` as the loop runs.

    The loop calls :meth:`after_step` after step 0 (the initial weights) and after every step
    taken, :meth:`diverged` with each step's loss before its update, :meth:`keep_weights` just
    before the update, :meth:`interrupted` when Ctrl-C arrives, and :meth:`finish` at the end.
    """

    def __init__(self, run: Run, callback: Callable | None = None, progress: bool = False):
        self.run, self.config = run, run.config
        self.callback, self.progress = callback, progress
        groups = run.group_params
        self.history = History(
            settings=asdict(run.config),
            environment=run.environment(),
            group_norm={name: [] for name in groups},
            update_ratio={name: [] for name in groups},
            tensor_norm={name: [] for name in run.tracked},
            model=run.model,
            data=run.data,
        )
        self.stopped, self.message = "finished", ""
        # θ_{t−1}, kept by keep_weights(); kept_after: how many steps had been taken then
        self.kept = {name: [p.detach().clone() for p in ps] for name, ps in groups.items()}
        self.kept_after: int | None = None
        self.train_s = 0.0  # time in training steps (evaluations and callbacks left out)
        self.start = self.step_start = time.perf_counter()

    @property
    def steps_taken(self) -> int:
        return len(self.history.loss) - (self.stopped == "diverged")

    def after_step(self, step: int, loss: float | None = None) -> bool:
        """Count step ``step`` with its ``loss`` (none for step 0), evaluate the model when due and
        call the callback; True when the run should stop."""
        if loss is not None:
            with interrupts_held():  # the step counts whole, with its time, or not at all
                self.train_s += time.perf_counter() - self.step_start
                self.history.loss.append(loss)
        if step % self.config.eval_every == 0 or step == self.config.steps:
            self._evaluate(step)
        stop = self.callback is not None and self.callback(step, self.history)
        if stop:
            self.stopped, self.message = "callback", f"stopped by the callback after step {step}"
        self.step_start = time.perf_counter()
        return bool(stop)

    def keep_weights(self) -> None:
        """Keep θ_{t−1}, the weights the coming update starts from."""
        with torch.no_grad():
            for name, params in self.run.group_params.items():
                for kept, param in zip(self.kept[name], params, strict=True):
                    kept.copy_(param)
        self.kept_after = len(self.history.loss)

    def diverged(self, step: int, loss: float) -> bool:
        """True if the loss of step ``step`` is NaN or ±inf: the run stops there, and the model
        goes back to the last weights that gave a finite loss."""
        if math.isfinite(loss):
            return False
        with interrupts_held():
            restored = self._restore()
            self.history.loss.append(loss)
            self.stopped = "diverged"
            self.message = self._divergence_message(step, loss, restored)
        return True

    def interrupted(self) -> None:
        """Ctrl-C: stop with the history so far and the weights of the last step taken.

        Like :meth:`finish`, it runs after the loop, where train()'s gate
        (:func:`helpers.runtime.interrupts_gated`) holds any further Ctrl-C."""
        if self.kept_after == len(self.history.loss):  # cut short during its update
            self._restore()
        self.stopped = "interrupted"
        self.message = (
            f"interrupted after {self.steps_taken} steps; the history holds what was "
            "measured so far, the model the weights after the last step taken"
        )

    def finish(self) -> History:
        """Fill in the speed and how the run ended; the model is left in eval mode."""
        history, steps = self.history, self.steps_taken
        history.wall_s = time.perf_counter() - self.start
        if steps and self.train_s > 0:
            history.ms_per_step = 1000 * self.train_s / steps
            tokens = steps * self.config.batch_size * self.config.block_size
            history.tokens_per_s = tokens / self.train_s
        history.stopped = self.stopped
        history.message = self.message or (
            f"finished {steps} steps in {history.wall_s:.1f} s; val loss {history.val_loss[-1]:.3f}"
        )
        self.run.model.eval()
        if self.progress or history.stopped in ("diverged", "interrupted"):
            print(history.message)
        return history

    def _evaluate(self, step: int) -> None:
        """Measure the model at ``step`` and add the row whole (a Ctrl-C meanwhile adds nothing)."""
        run, history = self.run, self.history
        train_loss, val_loss = run.mean_loss("train"), run.mean_loss("val")
        lr = self.config.lr * lr_multiplier(max(step - 1, 0), self.config)
        weight_norm = norm(run.model.parameters())
        group_norms = {name: norm(params) for name, params in run.group_params.items()}
        ratios = {} if step == 0 else _update_ratios(self.kept, run.group_params)
        tensor_norms = {name: norm([p]) for name, p in run.tracked.items()}
        with interrupts_held():
            history.step.append(step)
            history.train_loss.append(train_loss)
            history.val_loss.append(val_loss)
            history.lr.append(lr)
            history.weight_norm.append(weight_norm)
            for name, value in group_norms.items():
                history.group_norm[name].append(value)
                history.update_ratio[name].append(ratios.get(name, math.nan))
            for name, value in tensor_norms.items():
                history.tensor_norm[name].append(value)
        if self.progress:
            print(
                f"step {step:>5}/{self.config.steps} · train {train_loss:.3f} · "
                f"val {val_loss:.3f} · lr {lr:.2e}"
            )

    def _restore(self) -> bool:
        """Put back the weights kept by :meth:`keep_weights`; False if none were kept."""
        if self.kept_after is None:
            return False
        with torch.no_grad():
            for name, params in self.run.group_params.items():
                for param, kept in zip(params, self.kept[name], strict=True):
                    param.copy_(kept)
        return True

    def _divergence_message(self, step: int, loss: float, restored: bool) -> str:
        config = self.config
        message = (
            f"stopped at step {step}: the training loss is {loss} (lr={config.lr:g}, "
            f"weight_decay={config.weight_decay:g}); "
        )
        if restored:
            message += (
                f"the model is back at the weights it had before step {self.kept_after + 1}, "
                "the last that gave a finite loss. "
            )
        else:
            message += "the initial weights already give it: the model is unusable. "
        message += "Try a smaller lr"
        if config.decoupled and config.lr * config.weight_decay >= 1:
            message += " or λ: with lr·λ ≥ 1 each step multiplies θ by 1 − lr·λ ≤ 0"
        return message + "."
