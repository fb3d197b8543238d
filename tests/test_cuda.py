"""The CUDA path: the same code on a GPU (fused AdamW, TF32, bf16 autocast, data-parallel).

Skipped without CUDA (the CI machines have none); run on a GPU machine with
``python -m pytest tests/test_cuda.py -q``.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch

from helpers.model import GPT
from helpers.optim import AdamW
from helpers.param_groups import param_groups
from helpers.runtime import set_seed
from helpers.train import CPU_PRESET, train

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")

SMALL = replace(CPU_PRESET, steps=60, eval_every=20, device="cuda")


def _adamw_pair(dtype):
    set_seed(0)
    model = GPT(SMALL.gpt_config(vocab_size=40)).to("cuda", dtype)
    twin = GPT(SMALL.gpt_config(vocab_size=40)).to("cuda", dtype)
    twin.load_state_dict(model.state_dict())
    fused = torch.optim.AdamW(param_groups(model, 0.1), lr=3e-3, betas=(0.9, 0.99), fused=True)
    book = AdamW(param_groups(twin, 0.1), lr=3e-3, betas=(0.9, 0.99))
    return model, twin, fused, book


def test_fused_cuda_adamw_is_the_books_adamw_in_float64():
    model, twin, fused, book = _adamw_pair(torch.float64)
    tokens = torch.randint(40, (8, SMALL.block_size + 1), device="cuda")
    x, y = tokens[:, :-1], tokens[:, 1:]
    for _ in range(20):
        for net, optimizer in ((model, fused), (twin, book)):
            optimizer.zero_grad()
            net(x, y)[1].backward()
            optimizer.step()
    worst = max(
        ((a - b).abs().max() / b.abs().max()).item()
        for a, b in zip(model.parameters(), twin.parameters(), strict=True)
    )
    print(f"fused CUDA AdamW vs helpers.optim.AdamW, float64, 20 steps: {worst:.1e}")
    assert worst < 1e-10  # measured 3.8e-12 on an H200 (torch 2.11): rounding, not a formula gap


def test_train_on_cuda_learns_with_fused_adamw():
    history = train(SMALL)
    assert torch.cuda.get_device_name(0) == history.environment["device"]
    assert history.stopped == "finished"
    assert history.val_loss[-1] < history.val_loss[0] - 0.5
    assert next(history.model.parameters()).is_cuda


def test_bf16_autocast_learns_about_as_much_as_float32():
    full = train(SMALL)
    half = train(SMALL, bf16=True)
    assert all(math.isfinite(v) for v in half.val_loss)
    assert half.val_loss[-1] < half.val_loss[0] - 0.5
    gap = abs(half.val_loss[-1] - full.val_loss[-1]) / full.val_loss[-1]
    print(f"bf16 vs float32 final validation loss: relative gap {gap:.1e}")
    # measured 6.1e-2 after 60 steps on an H200: early on the loss falls fast, so small
    # rounding differences move it by a few per cent
    assert gap < 0.15


def test_cuda_reruns_agree_closely():
    # CUDA's embedding backward adds with atomics in no fixed order, so two runs with the same
    # seed may differ in the last bits; they must stay close
    first, second = train(SMALL), train(SMALL)
    gap = max(abs(a - b) / b for a, b in zip(first.val_loss, second.val_loss, strict=True))
    print(f"two CUDA runs, same seed: largest relative gap in validation loss {gap:.1e}")
    assert gap < 1e-3  # measured 0 on an H200 (torch 2.11)


@pytest.mark.skipif(torch.cuda.device_count() > 1, reason="needs a machine with one GPU")
def test_more_processes_than_gpus_is_refused_with_the_fix(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "scripts" / "train_gpt.py"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    command += ["--nproc_per_node", "2", str(script), "--device", "cuda", "--steps", "2"]
    done = subprocess.run(
        command, cwd=tmp_path, env=dict(os.environ), capture_output=True, text=True, timeout=300
    )
    assert done.returncode != 0
    assert "but it has 1 GPU: run torchrun with --nproc_per_node 1" in done.stderr
