"""Print the max |Δθ| between helpers.optim and its references, as the parity tests measure it.

    python bench/parity_table.py

Each row trains two copies of tests/test_optim.py's tiny tied-embedding model for 300 steps in
lock-step (three param groups, warmup + cosine LambdaLR) and reports the largest difference of
any parameter after any step, in float64 and float32. The tests assert the bounds; this prints
the numbers for the report.
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.test_optim import PARITY  # noqa: E402


def main():
    torch.set_num_threads(1)
    print(f"{'ours vs reference':22s} {'float64':>9s} {'float32':>9s}")
    for name, case in sorted(PARITY.items()):
        worst64, _ = case.run()
        worst32, _ = case.run(dtype=torch.float32)
        print(f"{name:22s} {worst64:9.1e} {worst32:9.1e}")
    for name, ours, other in [
        ("adam-l2 vs adamw", "adam-l2", "adamw"),
        ("sgd L2 vs decoupled", "sgd-momentum", "sgdw-momentum"),
    ]:
        worst, _ = PARITY[ours].run(PARITY[other].ours)
        print(f"{name:22s} {worst:9.1e}  (must differ)")


if __name__ == "__main__":
    main()
