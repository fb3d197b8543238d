"""Device, seed and machine summary: the three lines at the top of every chapter.

Introduced in the Introduction ("How to run this book").
"""

from __future__ import annotations

import os
import platform
import random

import numpy as np
import torch

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
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    torch.manual_seed(int(seed))


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
