"""What flushing subnormal floats to zero does to chapter 5's grokking run: speed, and the loss.

    python bench/bench_denormal.py              # train to step 1500, then time both ways
    python bench/bench_denormal.py --steps 1000 --rounds 4

``helpers.ch5.grokking.train_grokking`` sets ``torch.set_flush_denormal(True)`` for its run.
This trains the chapter's λ = 1 run (seed 0, one thread) to ``--steps``, where the network is
confident enough that the loss's gradient with respect to the logits holds subnormal float32
numbers, then continues training from that state in rounds of ``--per-round`` steps, each
round once with flushing on and once with it off, from the same copied model and optimizer.
It prints the share of subnormal gradient entries, the CPU, the median time per step of each
setting, and the largest relative difference between the two settings' training losses. How
much flushing saves depends on the CPU: some process subnormals far more slowly than normal
numbers, others (an AMD EPYC, for one) at full speed.
"""

from __future__ import annotations

import argparse
import copy
import platform
import statistics
import time
from dataclasses import replace

import torch

from helpers.ch5 import grokking
from helpers.ch5 import sweep as grok_sweep


def subnormal_share(model, data) -> float:
    """Share of the wrong answers' float32 logit gradients that are subnormal (0 < |g| < tiny)."""
    logits = model(data.train_x).detach().float().requires_grad_()
    grokking.cross_entropy_float64(logits, data.train_y).backward()
    wrong = torch.ones_like(logits, dtype=torch.bool)
    wrong[torch.arange(len(logits)), data.train_y] = False
    g = logits.grad[wrong].abs()
    return float(((g > 0) & (g < torch.finfo(torch.float32).tiny)).float().mean())


def timed_steps(model, optimizer, data, steps: int, flush: bool) -> tuple[float, list[float]]:
    """Seconds per step and the losses of ``steps`` full-batch AdamW steps, flushing or not."""
    torch.set_flush_denormal(flush)
    losses = []
    start = time.perf_counter()
    for _ in range(steps):
        loss = grokking.cross_entropy_float64(model(data.train_x), data.train_y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    seconds = (time.perf_counter() - start) / steps
    torch.set_flush_denormal(False)
    return seconds, losses


def cpu_name() -> str:
    """The CPU's model name (subnormal speed depends on it), as Linux reports it."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=1500, help="train this far first")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per setting")
    parser.add_argument("--per-round", type=int, default=50, help="steps per timed round")
    args = parser.parse_args()

    config = replace(grokking.GrokConfig(), max_steps=args.steps, stop_at_target=False)
    run = grokking.train_grokking(config, num_threads=grok_sweep.THREADS)
    torch.set_num_threads(grok_sweep.THREADS)
    data = grokking.modular_addition_data(config.p, config.train_frac, config.seed)
    model = run.model
    # the run's optimizer is not returned: a fresh one at the run's settings, warmed up
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.lr, betas=config.betas, weight_decay=config.weight_decay
    )
    timed_steps(model, optimizer, data, 20, flush=True)
    print(f"step {args.steps}: {subnormal_share(model, data):.1%} of the wrong answers'")
    print("  float32 logit gradients are subnormal")
    seconds = {True: [], False: []}
    largest_gap = 0.0
    for _ in range(args.rounds):
        results = {}
        for flush in (True, False):  # both from the same state
            # one deepcopy, so the copied optimizer steps the copied model's tensors
            m, o = copy.deepcopy((model, optimizer))
            per_step, losses = timed_steps(m, o, data, args.per_round, flush)
            seconds[flush].append(per_step)
            results[flush] = losses
        gap = max(abs(a / b - 1) for a, b in zip(results[True], results[False], strict=True))
        largest_gap = max(largest_gap, gap)
    on, off = (1e3 * statistics.median(seconds[f]) for f in (True, False))
    print(f"on {cpu_name()}, torch {torch.__version__}, {torch.get_num_threads()} thread(s):")
    print(f"ms per step: {off:.1f} without flushing, {on:.1f} with ({off / on:.1f}×)")
    print(f"largest relative difference of the training loss: {largest_gap:.1e}")


if __name__ == "__main__":
    main()
