"""Train the book's GPT from the command line: one process on a CPU or a GPU, or data-parallel.

    python scripts/train_gpt.py --preset cpu --weight-decay 0.1 --out run.json
    torchrun --standalone --nproc_per_node=2 scripts/train_gpt.py --preset cpu --out run.json
    torchrun --standalone --nproc_per_node=8 scripts/train_gpt.py --preset gpu --out run.json

It runs ``helpers.train.train`` with a preset (chapter 4's CPU model, or nanoGPT's 10.7 M-parameter
"baby GPT" for a GPU) and the settings you override, and writes the run's history as JSON.
Under ``torchrun`` every process joins one process group (NCCL on CUDA, Gloo on the CPU), takes
its share of each batch, and PyTorch's DistributedDataParallel averages the gradients: the run
takes the steps a single process would take with the same global batch, up to float rounding
(``tests/test_train_gpt.py`` checks that on two CPU processes). Only rank 0 writes and prints.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

SCHEDULES = ("constant", "cosine")
RULES = ("nanogpt", "mingpt", "olmo2", "all")  # helpers.param_groups.RULES (a test checks)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Under torchrun, --batch-size is the global batch: each of the N processes "
        "takes batch-size/N sequences of every batch.",
    )
    parser.add_argument(
        "--preset",
        choices=("cpu", "gpu"),
        default="cpu",
        help="cpu: chapter 4's 2-layer model (default); gpu: nanoGPT's baby GPT",
    )
    parser.add_argument("--weight-decay", type=float, help="λ of the decayed group")
    parser.add_argument("--lr", type=float, help="η, the peak learning rate")
    parser.add_argument("--schedule", choices=SCHEDULES, help="after warmup: constant or cosine")
    parser.add_argument("--warmup-steps", type=int, help="linear warmup steps")
    parser.add_argument("--rule", choices=RULES, help="which tensors decay (chapter 3)")
    parser.add_argument("--steps", type=int, help="optimizer steps")
    parser.add_argument("--batch-size", type=int, help="sequences per step, all processes")
    parser.add_argument("--eval-every", type=int, help="evaluate every N steps")
    parser.add_argument("--seed", type=int, help="model init, batch order and dropout")
    parser.add_argument(
        "--device",
        help="auto (default), cpu, cuda; under torchrun on CUDA each process takes cuda:LOCAL_RANK",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="CPU threads per process (default: torch's choice; torchrun sets 1)",
    )
    parser.add_argument("--out", type=Path, help="write the history as JSON to this file")
    parser.add_argument("--progress", action="store_true", help="print one line per evaluation")
    args = parser.parse_args(argv)
    if args.threads is not None and not 1 <= args.threads <= 256:
        parser.error(f"--threads must be between 1 and 256, got {args.threads}")
    return args


def overrides(args: argparse.Namespace) -> dict:
    """The TrainConfig fields the command line sets (the rest come from the preset)."""
    names = (
        "weight_decay",
        "lr",
        "schedule",
        "warmup_steps",
        "rule",
        "steps",
        "batch_size",
        "eval_every",
        "seed",
        "device",
    )
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)  # --help and bad flags end here, before torch is imported
    import torch
    import torch.distributed as dist

    from helpers.train import train
    from helpers.train_config import CPU_PRESET, GPU_PRESET

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    settings = overrides(args)
    distributed = "RANK" in os.environ  # set by torchrun
    if distributed:
        local_rank = int(os.environ.get("LOCAL_RANK", 0))
        cuda = torch.cuda.is_available() and settings.get("device", "auto") in ("auto", "cuda")
        if cuda and local_rank >= torch.cuda.device_count():
            gpus = torch.cuda.device_count()
            print(
                f"train_gpt.py: error: process {local_rank} of this machine needs "
                f"cuda:{local_rank}, but it has {gpus} GPU{'s' if gpus != 1 else ''}: "
                f"run torchrun with --nproc_per_node {gpus} or fewer, or add --device cpu",
                file=sys.stderr,
            )
            return 2
        if cuda:
            torch.cuda.set_device(local_rank)
            settings["device"] = f"cuda:{local_rank}"
        dist.init_process_group("nccl" if cuda else "gloo")
    rank = dist.get_rank() if distributed else 0
    try:
        preset = GPU_PRESET if args.preset == "gpu" else CPU_PRESET
        history = train(preset, progress=args.progress and rank == 0, **settings)
    except ValueError as error:  # a setting out of range: say which, as argparse would
        print(f"train_gpt.py: error: {error}", file=sys.stderr)
        return 2
    finally:
        if distributed:
            dist.destroy_process_group()
    if rank == 0:
        print(history.message)
        if args.out is not None:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(history.to_dict(), indent=1) + "\n")
            print(f"history written to {args.out}")
    return 0 if history.stopped in ("finished", "callback") else 1


if __name__ == "__main__":
    sys.exit(main())
