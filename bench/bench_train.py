"""Training speed of the tiny GPT on the CPU: ms/step, tokens/s and model-FLOPs utilisation.

    python bench/bench_train.py                  # torch's default thread count (2 here)
    python bench/bench_train.py --threads 1 2    # compare thread counts
    python bench/bench_train.py --end-to-end     # also time the CPU preset's full 400-step run

Each configuration trains through ``helpers.train.train`` itself (so the figure is what the
chapters get), with evaluation only at the start and the end; a callback stamps the time after
every step and the median step time is reported (robust to bursts of load on a shared machine).

MFU: FLOPs per token = 6·N (N = weights that take part in matmuls, the tied head
counted once) + 12·n_layer·block·n_embd (attention), see ``helpers.model.flops_per_token``,
divided by the best fp32 matmul throughput (2048 × 2048) measured at the same thread count just
before and just after each configuration.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from dataclasses import replace

import torch

from helpers.data import char_data
from helpers.model import flops_per_token
from helpers.train import CPU_PRESET, train

CONFIGS = {
    "CPU preset (2 L, 64 d, block 64, batch 32)": CPU_PRESET,
    "4 L, 128 d, block 128, batch 16": replace(
        CPU_PRESET, n_layer=4, n_embd=128, block_size=128, batch_size=16
    ),
}


def matmul_gflops(n: int = 2048, device: str = "cpu", dtype=torch.float32) -> float:
    """Best throughput of an n × n matmul over a few tries, in GFLOP/s (2·n³ FLOPs each)."""
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    a @ b  # warm-up
    best = 0.0
    for _ in range(10):
        if a.is_cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        a @ b
        if a.is_cuda:
            torch.cuda.synchronize()
        best = max(best, 2 * n**3 / (time.perf_counter() - start) / 1e9)
    return best


def step_times(config, data, steps: int, **settings) -> list[float]:
    """Seconds per training step of ``train(config, **settings)``, from a callback's timestamps.

    Evaluation runs only at step 0 and at the last step; the first two and the last step are
    left out (warm-up, evaluation). ``train`` reads the loss every step, which waits for a GPU,
    so the stamps are exact there too.
    """
    stamps = []
    history = train(
        config,
        data=data,
        steps=steps,
        eval_every=steps,
        eval_batches=1,
        callback=lambda step, h: stamps.append(time.perf_counter()),
        **settings,
    )
    assert history.stopped == "finished", history.message
    # stamps[t]: after step t (stamps[0]: step 0, the evaluation before any update)
    return [b - a for a, b in zip(stamps[2:-2], stamps[3:-1], strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[torch.get_num_threads()])
    parser.add_argument("--steps", type=int, default=60, help="timed steps per configuration")
    parser.add_argument("--end-to-end", action="store_true", help="time the CPU preset's run")
    args = parser.parse_args()

    data = char_data()
    print(
        f"Python {platform.python_version()} · torch {torch.__version__} · "
        f"{platform.processor() or platform.machine()}"
    )
    print("| configuration | threads | ms/step | tokens/s | model GFLOP/s | matmul GFLOP/s | MFU |")
    print("|---|---|---|---|---|---|---|")
    for threads in args.threads:
        torch.set_num_threads(threads)
        for name, config in CONFIGS.items():
            peak = matmul_gflops()
            step = statistics.median(step_times(config, data, args.steps, device="cpu"))
            peak = max(peak, matmul_gflops())
            tokens = config.batch_size * config.block_size
            model_flops = flops_per_token(config.gpt_config(data.vocab.size)) * tokens / step
            print(
                f"| {name} | {threads} | {1000 * step:.1f} | {tokens / step:,.0f} | "
                f"{model_flops / 1e9:.0f} | {peak:.0f} | {model_flops / 1e9 / peak:.0%} |"
            )
        if args.end_to_end:
            start = time.perf_counter()
            history = train(CPU_PRESET, data=data, device="cpu")
            print(
                f"\nCPU preset end to end ({threads} threads): {CPU_PRESET.steps} steps with "
                f"{len(history.step)} evaluations in {time.perf_counter() - start:.1f} s "
                f"(train() {history.ms_per_step:.1f} ms/step); final val loss "
                f"{history.val_loss[-1]:.3f}\n"
            )


if __name__ == "__main__":
    main()
