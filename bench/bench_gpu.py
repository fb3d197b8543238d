"""Training speed on a GPU, and (with --full) the GPU preset's run time and loss.

    python bench/bench_gpu.py                    # speed table: CPU and GPU presets, TF32 and bf16
    python bench/bench_gpu.py --full             # ... and the whole GPU preset run
    python bench/bench_gpu.py --device cpu --models cpu --steps 8   # smoke test without a GPU

Self-contained: it needs torch and numpy and this repository, nothing else (no Jupyter; when the
``helpers`` package is not installed it is imported from ``src/``). Every row trains through
``helpers.train.train`` itself, so the figures are what the chapters get: fused AdamW and TF32
matmuls on CUDA, bf16 autocast where the row says so. A callback stamps the time after every step
(``train`` reads the loss every step, which synchronises the GPU, so the stamps are exact) and the
median step time is reported. MFU divides the model FLOPs (``helpers.model.flops_per_token``) by
the best matmul throughput measured here in the same precision (8192², TF32 or bf16).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
from dataclasses import replace
from pathlib import Path

import torch

try:
    import helpers  # noqa: F401
except ImportError:  # a bare checkout: use the package from the repository
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from helpers.data import char_data  # noqa: E402
from helpers.model import flops_per_token  # noqa: E402
from helpers.train import train  # noqa: E402
from helpers.train_config import CPU_PRESET, GPU_PRESET  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_train import matmul_gflops, step_times  # noqa: E402

MODELS = {
    "cpu": ("CPU preset (2 L, 64 d)", CPU_PRESET),
    "gpu": ("GPU preset (baby GPT)", GPU_PRESET),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--steps", type=int, default=100, help="timed steps per row")
    parser.add_argument("--full", action="store_true", help="also run the whole GPU preset")
    parser.add_argument("--out", help="write the results as JSON here too")
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.set_float32_matmul_precision("high")  # what train() sets on CUDA

    data = char_data()
    n = 8192 if device.type == "cuda" else 1024
    peaks = {
        "TF32" if device.type == "cuda" else "fp32": matmul_gflops(n, args.device) / 1000,
        "bf16": matmul_gflops(n, args.device, torch.bfloat16) / 1000,
    }
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.machine()
    print(f"{name} · torch {torch.__version__} · Python {platform.python_version()}")
    print(" · ".join(f"{k} matmul peak {v:.3g} TFLOP/s ({n}²)" for k, v in peaks.items()))
    print(
        "\n| model | optimizer | precision | ms/step | tokens/s | MFU |\n|---|---|---|---|---|---|"
    )
    rows = []
    for key in args.models:
        label, config = MODELS[key]
        config = replace(config, device=args.device)
        tokens = config.batch_size * config.block_size
        flops = flops_per_token(config.gpt_config(data.vocab.size)) * tokens
        for optimizer, precision in [
            ("torch", next(iter(peaks))),
            ("torch", "bf16"),
            ("book", next(iter(peaks))),
        ]:
            step = statistics.median(
                step_times(config, data, args.steps, optimizer=optimizer, bf16=precision == "bf16")
            )
            mfu = flops / step / 1e12 / peaks[precision]
            rows.append(
                dict(
                    model=label,
                    optimizer=optimizer,
                    precision=precision,
                    ms_per_step=1000 * step,
                    tokens_per_s=tokens / step,
                    mfu=mfu,
                )
            )
            print(
                f"| {label} | {optimizer} | {precision} | {1000 * step:.2f} | "
                f"{tokens / step:,.0f} | {mfu:.0%} |"
            )
    result = dict(device=name, torch=torch.__version__, peaks_tflops=peaks, rows=rows)
    if args.full:
        history = train(GPU_PRESET, data=data, device=args.device)
        result["full"] = dict(
            wall_s=history.wall_s,
            ms_per_step=history.ms_per_step,
            tokens_per_s=history.tokens_per_s,
            val_loss=history.val_loss,
            step=history.step,
            stopped=history.stopped,
        )
        print(
            f"\nGPU preset, {GPU_PRESET.steps} steps: {history.wall_s:.1f} s in all, "
            f"{history.tokens_per_s:,.0f} tokens/s, val loss {history.val_loss[-1]:.3f} "
            f"(best {min(history.val_loss):.3f} at step "
            f"{history.step[history.val_loss.index(min(history.val_loss))]})"
        )
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
