"""Train the tiny GPT: ``train()``, the loop, and :class:`Run`, what it builds before the loop.

``train(CPU_PRESET, weight_decay=3.0)`` (the settings: :mod:`helpers.train_config`) trains the
chapter-4 model for a few seconds on a laptop CPU and returns a
:class:`~helpers.history.History`: losses at intervals, weight norms per decay
group and per tracked tensor, update-to-weight ratios, speed, and why it stopped. A loss that
turns NaN/inf, an interrupt (the notebook's stop button) or a callback asking to stop ends the
run early with a message; the history so far comes back either way.

The loop, :func:`train_loop`, is the whole algorithm; what it needs is built by :class:`Run` and
what it measures is kept by :class:`~helpers.history.Recorder`. Started by ``torchrun`` (after
``torch.distributed.init_process_group``, as ``scripts/train_gpt.py`` does), the same loop runs
data-parallel with PyTorch's DDP: each process takes its share of the same global batch, so the
run takes the steps of one process with that batch, up to float rounding.

Introduced in chapter 4 (train a tiny GPT with a λ slider); chapter 3 uses the per-tensor norms
to compare decay rules.
"""

from __future__ import annotations

import fnmatch
import platform
from collections.abc import Callable, Sequence
from dataclasses import fields, replace

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from helpers.checks import check_bool
from helpers.data import CharData, char_data, get_batch
from helpers.history import History, Recorder
from helpers.model import GPT, flops_per_token
from helpers.optim import Adam, AdamW
from helpers.param_groups import param_groups
from helpers.runtime import get_device, grad_mode_kept, interrupts_gated, set_seed
from helpers.schedules import lr_multiplier
from helpers.train_config import CPU_PRESET, TrainConfig

# The fixed evaluation batches come from their own seed, so runs with different training seeds
# are scored on exactly the same text.
EVAL_SEED = 1234


class Run:
    """What :func:`train` builds before its first step: the data on the device, the model, its
    decay groups, the optimizer and its learning-rate schedule, and the batches."""

    def __init__(self, config: TrainConfig, data: CharData | None, track: Sequence[str]):
        self.config = config
        self.device = get_device(config.device)
        if self.device.type == "cuda":
            # TF32 tensor cores for fp32 matmuls: ≈ 10 bits of mantissa, ample for training
            torch.set_float32_matmul_precision("high")
        self.data = (char_data() if data is None else data).with_train_chars(config.train_chars)
        set_seed(config.seed)
        self.model = GPT(config.gpt_config(self.data.vocab.size)).to(self.device)
        groups = param_groups(self.model, config.weight_decay, rule=config.rule)
        self.group_params = {g["name"]: g["params"] for g in groups}
        self.optimizer = _optimizer(groups, config, self.device)
        # η_t = lr·s_t, s_t from helpers.schedules.lr_multiplier: warmup, then constant or cosine
        self.schedule = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda t: lr_multiplier(t, config)
        )
        self.tracked = _tracked(self.model, track)
        # data parallel (under torchrun): process `rank` of `processes` computes the gradient of
        # its share of each batch and DDP averages the shares' gradients during backward()
        self.rank, self.processes = _process_group()
        if config.batch_size % self.processes:
            raise ValueError(
                f"batch_size must be a multiple of the {self.processes} processes, "
                f"got {config.batch_size}"
            )
        self.net = self.model
        if self.processes > 1:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.net = DistributedDataParallel(self.model, device_ids=ids)
        self.train_ids = self.data.train.to(self.device)
        self.batches = torch.Generator().manual_seed(config.seed)  # the training batches' order
        fixed = torch.Generator().manual_seed(EVAL_SEED)
        self.eval_sets = {
            name: [
                get_batch(ids, config.batch_size, config.block_size, fixed)
                for _ in range(config.eval_batches)
            ]
            for name, ids in (("train", self.train_ids), ("val", self.data.val.to(self.device)))
        }

    def next_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """This process's share of the next training batch: inputs and targets,
        (batch_size/processes, block_size) each (the whole batch in a single process)."""
        x, y = get_batch(
            self.train_ids, self.config.batch_size, self.config.block_size, self.batches
        )
        share = self.config.batch_size // self.processes
        rows = slice(self.rank * share, (self.rank + 1) * share)
        return x[rows], y[rows]

    def mean_over_processes(self, loss: torch.Tensor) -> float:
        """The loss of the whole batch: the mean of the processes' equal shares."""
        if self.processes == 1:
            return loss.item()
        total = loss.detach().clone()
        dist.all_reduce(total)
        return (total / self.processes).item()

    def autocast(self):
        """bf16 autocast if the config asks for it, else nothing."""
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.config.bf16)

    @torch.no_grad()
    def mean_loss(self, split: str) -> float:
        """The mean loss over the fixed batches of ``split`` ("train" or "val"), in eval mode."""
        batches = self.eval_sets[split]
        self.model.eval()
        with self.autocast():
            total = sum(self.model(x, y)[1].float() for x, y in batches)
        self.model.train()
        return (total / len(batches)).item()

    def environment(self) -> dict:
        """Where the run ran and on what: device, versions, threads, data, model size."""
        device, data = self.device, self.data
        return dict(
            device=str(device) if device.type != "cuda" else torch.cuda.get_device_name(device),
            python=platform.python_version(),
            torch=torch.__version__,
            torch_threads=torch.get_num_threads(),
            processes=self.processes,
            data_source=data.source,
            data_fingerprint=data.fingerprint,
            train_chars=len(data.train),
            vocab_size=data.vocab.size,
            n_params=self.model.num_params(),
            flops_per_token=flops_per_token(self.model.config),
            track=sorted(self.tracked),
        )


def _process_group() -> tuple[int, int]:
    """(rank, number of processes) of the running process group; (0, 1) without one."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def _optimizer(groups: list[dict], config: TrainConfig, device: torch.device):
    kwargs = dict(lr=config.lr, betas=tuple(config.betas), eps=config.eps)
    if config.optimizer == "book":
        if config.decoupled:
            return AdamW(groups, **kwargs)
        return Adam(groups, decoupled=False, **kwargs)
    # PyTorch's fused kernel updates every tensor in one pass: one launch on CUDA, and on the
    # CPU fewer passes over memory than foreach (`python bench/bench_optim.py` times both)
    fused = device.type in ("cuda", "cpu")
    if config.decoupled:
        return torch.optim.AdamW(groups, fused=fused, **kwargs)
    return torch.optim.Adam(groups, fused=fused, **kwargs)


def _tracked(model: GPT, track: str | Sequence[str]) -> dict[str, torch.Tensor]:
    """The parameters whose names match any of the names or glob patterns in ``track``."""
    track = [track] if isinstance(track, str) else track
    if not isinstance(track, Sequence) or not all(isinstance(t, str) for t in track):
        raise ValueError(f"track must be parameter names or glob patterns, got {track!r}")
    named = dict(model.named_parameters())
    chosen = {}
    for pattern in track:
        hits = [n for n in named if fnmatch.fnmatchcase(n, pattern)]
        if not hits:
            raise ValueError(
                f"track: {pattern!r} matches no parameter; names are: {', '.join(named)}"
            )
        chosen.update((n, named[n]) for n in hits)
    return chosen


def _configure(config: TrainConfig, data, callback, overrides: dict) -> TrainConfig:
    """``config`` with ``overrides`` applied, after checking the arguments of :func:`train`."""
    if not isinstance(config, TrainConfig):
        raise ValueError(f"config must be a TrainConfig such as CPU_PRESET, got {config!r}")
    if data is not None and not isinstance(data, CharData):
        raise ValueError(
            f"data must be None or a CharData (helpers.data.char_data(text)), got {data!r:.60}"
        )
    if callback is not None and not callable(callback):
        raise ValueError(f"callback must be None or a function (step, history), got {callback!r}")
    unknown = sorted(set(overrides) - {f.name for f in fields(TrainConfig)})
    if unknown:
        raise TypeError(
            f"unknown setting(s) {unknown}; TrainConfig has: "
            f"{', '.join(f.name for f in fields(TrainConfig))}"
        )
    return replace(config, **overrides)


def train(
    config: TrainConfig = CPU_PRESET,
    *,
    data: CharData | None = None,
    track: Sequence[str] = (),
    callback: Callable[[int, History], bool | None] | None = None,
    progress: bool = False,
    **overrides,
) -> History:
    """Train a fresh GPT and return its :class:`~helpers.history.History` (``.model`` is the model).

    ``config`` holds the settings (default: :data:`CPU_PRESET`); any of its fields can be
    overridden by keyword, e.g. ``train(weight_decay=3.0, steps=200, rule="mingpt",
    optimizer="book", device="cpu", seed=1)``. Bad values raise ``ValueError`` naming the setting
    and its allowed range. ``data``: a :class:`~helpers.data.CharData` (default: Python's help
    topics), trained on its first ``train_chars`` characters. ``track``: parameter names or glob
    patterns (``"*ln_*.weight"``) whose norms ``history.tensor_norm`` records at each evaluation.
    ``callback(step, history)``: called at step 0 (before any update) and after every step;
    returning ``True`` stops the run. ``progress``: print one line per evaluation.

    ``optimizer="torch"`` uses PyTorch's fused Adam/AdamW on the CPU and on CUDA. On the CPU the
    same settings, seed and thread count give identical numbers (another thread count gives
    slightly different ones). On CUDA the run also uses TF32 matmuls.
    """
    config = _configure(config, data, callback, overrides)
    progress = check_bool("progress", progress)
    # Ctrl-C stops the loop, never the setup or the wrap-up: no run is lost between the two;
    # and autograd is switched back on if a Ctrl-C inside torch.no_grad() left it off
    with interrupts_gated() as loop_may_stop, grad_mode_kept():
        run = Run(config, data, track)
        log = Recorder(run, callback, progress)
        try:
            with loop_may_stop():
                train_loop(run, log)
        except KeyboardInterrupt:
            log.interrupted()
        return log.finish()


def train_loop(run: Run, log: Recorder) -> None:
    """The loop of :func:`train`: forward, zero_grad, backward, clip, step, and the bookkeeping
    (``log``) after each step, until the last step, a NaN/inf loss or a callback that stops."""
    model, optimizer, config = run.net, run.optimizer, run.config  # net: model or DDP wrapper
    stop = log.after_step(0)  # θ_0: evaluate it and call back, before any update
    for step in range(1, config.steps + 1):
        if stop:
            break
        x, y = run.next_batch()
        with run.autocast():
            _, loss = model(x, y)
        loss_value = run.mean_over_processes(loss)
        if log.diverged(step, loss_value):  # NaN/inf: stop, back to the last finite θ
            break
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if config.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        log.keep_weights()  # θ_{t−1}
        # AdamW: θ_t = (1 − η_t·λ)·θ_{t−1} − η_t·m̂_t/(√v̂_t + ε), with λ of θ's group
        # (decoupled=False, Adam + L2: no shrink; λ·θ_{t−1} is added to g_t before m_t, v_t)
        optimizer.step()
        run.schedule.step()  # η_{t+1} = lr·s_{t+1}
        stop = log.after_step(step, loss_value)  # count it, evaluate when due, call back
