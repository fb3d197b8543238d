"""Step time of the book's from-scratch AdamW against torch.optim.AdamW, on the tiny GPT's tensors.

    python bench/bench_optim.py                # 1 torch thread, CPU
    python bench/bench_optim.py --threads 2 --device cuda

The parameter set is the book's CPU-preset GPT, in nanoGPT's layout: 2 layers, d_model 64,
context (block) 64, vocabulary 100, biases on, the output head tied to the token embedding.
That is 28 tensors and 110,592 parameters (the tied matrix counted once), split by
``param_groups(model, 0.1, "nanogpt")`` into 10 decayed matrices and 18 gains and biases.
``helpers.model`` was not on main when this was written, so the modules below rebuild those
shapes (only the parameters matter for an optimizer step; there is no forward pass).

Each optimizer steps on fixed random gradients; rounds of steps are interleaved across the
optimizers, so a burst of load on a shared machine hits all of them, and the median round is
reported. Goal (issue 3): ours within 3x of ``foreach=True``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

from helpers.optim import AdamW
from helpers.param_groups import param_groups

LAYERS, DIM, CONTEXT, VOCAB = 2, 64, 64, 100


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1 = nn.LayerNorm(DIM)
        self.c_attn = nn.Linear(DIM, 3 * DIM)
        self.c_proj = nn.Linear(DIM, DIM)
        self.ln_2 = nn.LayerNorm(DIM)
        self.c_fc = nn.Linear(DIM, 4 * DIM)
        self.mlp_proj = nn.Linear(4 * DIM, DIM)


class TinyGPTParameters(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(VOCAB, DIM)
        self.wpe = nn.Embedding(CONTEXT, DIM)
        self.h = nn.ModuleList(Block() for _ in range(LAYERS))
        self.ln_f = nn.LayerNorm(DIM)
        self.lm_head = nn.Linear(DIM, VOCAB, bias=False)
        self.lm_head.weight = self.wte.weight


OPTIMIZERS = {
    "helpers.optim.AdamW": lambda g: AdamW(g, lr=1e-3),
    "torch AdamW foreach=True": lambda g: torch.optim.AdamW(g, lr=1e-3, foreach=True),
    "torch AdamW foreach=False": lambda g: torch.optim.AdamW(g, lr=1e-3, foreach=False),
    "torch AdamW fused=True": lambda g: torch.optim.AdamW(g, lr=1e-3, fused=True),
}
BASELINE = "torch AdamW foreach=True"


def setup(make, device):
    torch.manual_seed(0)
    model = TinyGPTParameters().to(device)
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
