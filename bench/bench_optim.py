"""Step time of the book's from-scratch AdamW against torch.optim.AdamW, on the tiny GPT's tensors.

    python bench/bench_optim.py                # 1 torch thread, CPU
    python bench/bench_optim.py --threads 2 --device cuda

The parameters are those of ``helpers.model.GPT`` with the CPU preset's shape
(``helpers.train_config.CPU_PRESET``: 2 layers, 64 wide, 64 characters of context, biases on, the
output head tied to the token embedding) and a 100-character vocabulary, split by
``param_groups(model, 0.1, "nanogpt")`` into decayed matrices and not-decayed gains and biases;
the first line of the output counts them.

Each optimizer steps on fixed random gradients (only the parameters matter for an optimizer
step; there is no forward pass). Rounds of steps are interleaved across the optimizers, so a
burst of load on a shared machine hits all of them, and the median round is reported, with
each optimizer's time relative to ``foreach=True``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from helpers.model import GPT
from helpers.optim import AdamW
from helpers.param_groups import param_groups
from helpers.train import CPU_PRESET

VOCAB = 100  # characters; the book's corpus has about this many


OPTIMIZERS = {
    "helpers.optim.AdamW": lambda g: AdamW(g, lr=1e-3),
    "torch AdamW foreach=True": lambda g: torch.optim.AdamW(g, lr=1e-3, foreach=True),
    "torch AdamW foreach=False": lambda g: torch.optim.AdamW(g, lr=1e-3, foreach=False),
    "torch AdamW fused=True": lambda g: torch.optim.AdamW(g, lr=1e-3, fused=True),
}
BASELINE = "torch AdamW foreach=True"


def setup(make, device):
    torch.manual_seed(0)
    model = GPT(CPU_PRESET.gpt_config(VOCAB)).to(device)
    for p in model.parameters():
        p.grad = torch.randn_like(p)
    return make(param_groups(model, weight_decay=0.1, rule="nanogpt"))


def time_round(opt, steps, device):
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        opt.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200, help="steps per round")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)

    opts = {name: setup(make, device) for name, make in OPTIMIZERS.items()}
    rounds = {name: [] for name in opts}
    for opt in opts.values():  # warm-up: state allocation, caches
        time_round(opt, 20, device)
    for _ in range(args.rounds):
        for name, opt in opts.items():
            rounds[name].append(time_round(opt, args.steps, device))

    tensors = sum(len(g["params"]) for g in opts[BASELINE].param_groups)
    numel = sum(p.numel() for g in opts[BASELINE].param_groups for p in g["params"])
    print(
        f"tiny GPT: {tensors} tensors, {numel:,} parameters · {device} · "
        f"{torch.get_num_threads()} torch threads · torch {torch.__version__}"
    )
    print(f"{'optimizer':28s} {'µs/step (median)':>17s} {'min':>8s} {'vs foreach':>11s}")
    base = statistics.median(rounds[BASELINE])
    for name, times in rounds.items():
        median = statistics.median(times)
        print(f"{name:28s} {median * 1e6:17.1f} {min(times) * 1e6:8.1f} {median / base:10.2f}x")


if __name__ == "__main__":
    main()
