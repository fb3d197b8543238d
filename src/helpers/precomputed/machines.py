"""What a stored result was made on: the CPU, the kernels PyTorch dispatches to, threads, versions.

Float32 training is bit-reproducible on one CPU with one thread count, not across CPU families:
:data:`SAME_COMPUTATION` names the parts of :func:`machine` that decide the numbers bit for bit.
"""

from __future__ import annotations

import os
import platform

# Variables that change which CPU kernels PyTorch, oneDNN or MKL run, and so the float32 sums.
KERNEL_ENV = (
    "ATEN_CPU_CAPABILITY",
    "ONEDNN_MAX_CPU_ISA",
    "DNNL_MAX_CPU_ISA",
    "MKL_ENABLE_INSTRUCTIONS",
    "MKL_CBWR",
)
# The parts of machine() that decide float32 results bit for bit (Python and NumPy do not).
SAME_COMPUTATION = ("cpu", "cpu_capability", "kernel_env", "torch", "threads")


def cpu_name() -> str:
    """The CPU's model name (Linux: /proc/cpuinfo), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def machine(threads: int | None = None) -> dict:
    """What a result was computed on: CPU model and the SIMD level PyTorch dispatches to, the
    variables that change kernels, torch threads (``None``: the current count) and versions."""
    import numpy as np
    import torch

    return {
        "cpu": cpu_name(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "kernel_env": {name: os.environ[name] for name in KERNEL_ENV if name in os.environ},
        "threads": torch.get_num_threads() if threads is None else threads,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "system": f"{platform.system()} {platform.machine()}",
    }


def machine_summary(made_on: dict) -> str:
    """One line: ``AMD EPYC (AVX512), 1 thread, torch 2.13.0+cpu, Python 3.11.7``."""
    env = "".join(f", {k}={v}" for k, v in made_on.get("kernel_env", {}).items())
    threads = made_on["threads"]
    return (
        f"{made_on['cpu']} ({made_on['cpu_capability']}{env}), {threads} "
        f"thread{'s' if threads != 1 else ''}, torch {made_on['torch']}, "
        f"Python {made_on['python']}"
    )
