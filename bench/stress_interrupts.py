"""Ctrl-C at many random instants: does a training function ever lose its run?

    python bench/stress_interrupts.py                  # 400 GPT runs, 150 grokking runs
    python bench/stress_interrupts.py --gpt 1000 --grokking 0 --seed 3

The test command sends 30 random SIGINTs to ``train()`` and 12 to ``train_grokking()``
(tests/test_interrupts.py); a race that one in a few hundred instants hits needs more. Each
trial here starts a run of the tests' tiny model and sends one real SIGINT at a random instant
inside it (uniform over 1.1 × an uninterrupted run's time, so some land after the loop, while
the result is packed and the caller's settings restored). It counts the runs that came back,
by how they stopped, the Ctrl-Cs that arrived before the run began (they raise
KeyboardInterrupt, as anywhere else: nothing is lost) and the runs lost (``lost``: a Ctrl-C
escaped after the run began). Every run that came back is checked as the tests check it:
consistent lists, the weights of the last step taken, autograd on.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import signal
import sys
import time
from collections import Counter
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests' tiny configurations and checks

from helpers.ch5.grokking import train_grokking  # noqa: E402
from helpers.data import char_data  # noqa: E402
from helpers.train import train  # noqa: E402
from tests.test_interrupts import (  # noqa: E402
    GROK,
    TINY,
    TRACK,
    SigintLater,
    assert_consistent,
    digest,
    grok_consistent,
)


def trials(function, run, check, count: int, rng: random.Random) -> Counter:
    """``count`` runs of ``run()``, each sent one SIGINT at a random instant inside ``function``."""
    start = time.perf_counter()
    run()
    seconds = time.perf_counter() - start
    outcomes = Counter()
    for _ in range(count):
        result = None
        with SigintLater(function, rng.uniform(0, 1.1 * seconds)) as later:
            try:
                with contextlib.redirect_stdout(io.StringIO()):  # "interrupted after …"
                    result = run()
            except KeyboardInterrupt:
                if result is None:
                    outcomes["lost" if later.began else "before the run began"] += 1
                    continue
        check(result)
        assert torch.is_grad_enabled()
        outcomes[result.stopped.split(":")[0]] += 1
    return outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--gpt", type=int, default=400, help="train() trials (default 400)")
    parser.add_argument("--grokking", type=int, default=150, help="train_grokking() trials")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random instants")
    args = parser.parse_args()
    signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal or notebook
    torch.set_num_threads(1)
    rng = random.Random(args.seed)
    data = char_data()
    weights = []
    train(TINY, data=data, track=TRACK, callback=lambda s, h: weights.append(digest(h.model)))
    gpt = trials(
        train,
        lambda: train(TINY, data=data, track=TRACK),
        lambda history: assert_consistent(history, weights[: TINY.steps + 1]),
        args.gpt,
        rng,
    )
    print(f"train(), {args.gpt} trials: {dict(gpt)}; runs lost: {gpt['lost']}")
    grok = trials(
        train_grokking,
        lambda: train_grokking(GROK, num_threads=1),
        grok_consistent,
        args.grokking,
        rng,
    )
    print(f"train_grokking(), {args.grokking} trials: {dict(grok)}; runs lost: {grok['lost']}")


if __name__ == "__main__":
    main()
