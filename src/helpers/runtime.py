"""Device, seed and machine summary, and what the training loops share about the machine.

:func:`get_device`, :func:`set_seed` and :func:`runtime_summary` are the three lines at the top
of every chapter. :func:`cpu_threads` and :func:`flush_denormals` set torch's CPU for one run and
restore the caller's settings; :func:`interrupts_gated` lets Ctrl-C (the notebook's stop button)
stop a training loop but never its setup or wrap-up, and :func:`interrupts_held` keeps it from
cutting a piece of bookkeeping in half.

Introduced in the Introduction ("How to run this book").
"""

from __future__ import annotations

import contextlib
import os
import platform
import random
import signal
import threading
from contextlib import contextmanager

import numpy as np
import torch

from helpers.checks import check_int, check_seed

# Devices in the order `get_device("auto")` tries them.
DEVICES = ("cuda", "mps", "cpu")


def _available(kind: str) -> bool:
    if kind == "cuda":
        return torch.cuda.is_available()
    if kind == "mps":
        return hasattr(torch.backends, "mps") and torch.backends.mps.is_available()
    return True


def get_device(device: str | torch.device | None = "auto") -> torch.device:
    """The device to train on: CUDA, then Apple's MPS, then the CPU.

    Pass ``"cpu"``, ``"cuda"``, ``"cuda:1"`` or ``"mps"`` to choose one yourself; ``None`` and
    ``"auto"`` pick the first available. A device that is not available here is an error rather
    than a silent fall-back, so a run never lands on a device you did not expect.
    """
    if device is None or device == "auto":
        return torch.device(next(kind for kind in DEVICES if _available(kind)))
    if isinstance(device, torch.device):
        device = str(device)
    if not isinstance(device, str):
        raise ValueError(f"device must be a string such as 'cpu', got {type(device).__name__}")
    kind, _, index = device.partition(":")
    if kind not in DEVICES or (index and not index.isdigit()):
        raise ValueError(f"device must be 'auto', 'cuda', 'cuda:N', 'mps' or 'cpu', got {device!r}")
    if not _available(kind):
        raise ValueError(f"device={device!r} was requested but {kind} is not available here")
    return torch.device(device)


def set_seed(seed: int) -> None:
    """Seed Python's ``random``, NumPy and torch (CPU and every GPU) with one integer."""
    seed = check_seed("seed", seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def runtime_summary(device: str | torch.device | None = "auto") -> str:
    """One line naming the versions, the device and the CPU threads, for the top of a chapter."""
    dev = get_device(device)
    name = dev.type
    if dev.type == "cuda":
        name = f"cuda ({torch.cuda.get_device_name(dev)})"
    threads = torch.get_num_threads()
    return (
        f"Python {platform.python_version()} · torch {torch.__version__} · "
        f"numpy {np.__version__} · {name} · "
        f"{threads} thread{'s' if threads != 1 else ''} of {os.cpu_count()} cores"
    )


@contextmanager
def cpu_threads(num_threads: int | None):
    """torch's CPU threads set to ``num_threads`` for a block (``None``: left as they are)."""
    before = torch.get_num_threads()
    if num_threads is not None:
        torch.set_num_threads(check_int("num_threads", num_threads, low=1))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def flushing_denormals() -> bool:
    """Whether this thread flushes subnormal floats (below 1.2e-38 in float32) to zero."""
    return float(torch.tensor([1e-38]) / 100) == 0


@contextmanager
def flush_denormals():
    """Subnormal floats flushed to zero for a block; the caller's setting restored after.

    x86 CPUs compute with subnormals very slowly; where the CPU cannot flush them (PyTorch's
    ``set_flush_denormal`` returns False) nothing changes.
    """
    before = flushing_denormals()
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(before)


@contextmanager
def grad_mode_kept():
    """Autograd switched on or off as it was before the block, whatever happened inside.

    ``torch.no_grad()`` restores the switch on its way out, but a Ctrl-C that lands between its
    entry and its exit code can leave gradients off for everything that runs after.
    """
    before = torch.is_grad_enabled()
    try:
        yield
    finally:
        torch.set_grad_enabled(before)


@contextmanager
def interrupts_held(deliver: bool = True):
    """Hold Ctrl-C (SIGINT) while a block runs, so that it is never cut in half.

    Yields a list that records each SIGINT held. At the end of the block the handler is
    restored and, with ``deliver``, a held SIGINT is handed to it (by default: a
    ``KeyboardInterrupt`` raised there); ``deliver=False`` leaves that to the caller, who reads the
    list. Python delivers SIGINT to the main thread only, so elsewhere this holds nothing.
    """
    held: list[int] = []
    on_main = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGINT) if on_main else None
    if previous is None:  # not the main thread, or a handler Python did not install
        yield held
        return
    signal.signal(signal.SIGINT, lambda signum, _frame: held.append(signum))
    try:
        yield held
    finally:
        signal.signal(signal.SIGINT, previous)
        if held and deliver:
            _deliver(previous)


def _deliver(handler) -> None:
    """Hand one SIGINT to ``handler``: Python's raises KeyboardInterrupt; SIG_IGN drops it."""
    if callable(handler):
        handler(signal.SIGINT, None)
    elif handler == signal.SIG_DFL:
        signal.raise_signal(signal.SIGINT)


@contextmanager
def interrupts_gated():
    """Hold Ctrl-C (SIGINT) while a training function runs, except where it opens the gate.

    Yields ``loop_may_stop``, a context manager: inside it Ctrl-C raises ``KeyboardInterrupt``
    as usual (a Ctrl-C held since the gate closed is delivered as it opens), and the loop stops.
    Everywhere else, the setup before the loop and the wrap-up after it (packing the result,
    restoring settings), a Ctrl-C is held and then dropped: the run is over, and its result must
    not be lost between the loop and the caller. Python delivers SIGINT to the main thread only,
    so elsewhere this holds nothing.
    """
    held: list[int] = []
    on_main = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGINT) if on_main else None

    def hold(signum, _frame):
        held.append(signum)

    @contextmanager
    def loop_may_stop():
        signal.signal(signal.SIGINT, previous)
        try:
            if held:
                held.clear()
                _deliver(previous)
            yield
        finally:
            signal.signal(signal.SIGINT, hold)

    if previous is None:  # not the main thread, or a handler Python did not install
        yield contextlib.nullcontext
        return
    signal.signal(signal.SIGINT, hold)
    try:
        yield loop_may_stop
    finally:
        signal.signal(signal.SIGINT, previous)
