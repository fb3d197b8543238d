"""Print the max |Δθ| between our optimizers and their references, as the parity tests measure it.

    python bench/parity_table.py

Each row trains two copies of tests/test_optim.py's tiny tied-embedding model for 300 steps in
lock-step (three param groups, warmup + cosine LambdaLR; for Muon, the model's three groups of
matrices) and reports the largest difference of any parameter after any step, in float64 and
float32. The references are torch.optim's optimizers, or the published equations where torch
has none (Lion; cautious decay, with u_t from torch.optim's optimizer). The tests assert the
bounds; this prints the numbers for the report.
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.test_adafactor import PARITY as ADAFACTOR  # noqa: E402
from tests.test_cautious import CAUTIOUS_PARITY  # noqa: E402
from tests.test_lion import PARITY as LION  # noqa: E402
from tests.test_muon import PARITY as MUON  # noqa: E402
from tests.test_optim import PARITY  # noqa: E402
from tests.test_schedules import SCHEDULED  # noqa: E402

TABLES = [
    ("helpers.optim vs torch.optim (or the equations)", PARITY),
    ("helpers.muon vs torch.optim.Muon", MUON),
    ("helpers.adafactor vs torch.optim.Adafactor", ADAFACTOR),
    ("helpers.lion vs Lion's equations (Chen et al. 2023, Alg. 2)", LION),
    ("cautious decay vs its equation (Chen et al. 2025, Alg. 1)", CAUTIOUS_PARITY),
    ("λ schedules: ours vs torch.optim, same WeightDecayLambda", SCHEDULED),
]


def main():
    torch.set_num_threads(1)
    for title, cases in TABLES:
        print(f"\n{title}")
        print(f"{'ours vs reference':26s} {'float64':>9s} {'float32':>9s}")
        for name, case in sorted(cases.items()):
            worst64, _ = case.run()
            worst32, _ = case.run(dtype=torch.float32)
            print(f"{name:26s} {worst64:9.1e} {worst32:9.1e}")

    print("\nother references")
    for name, case, reference in [
        (
            "adafactor vs foreach",
            ADAFACTOR["adafactor"],
            lambda g: torch.optim.Adafactor(g, foreach=True),
        ),
        ("adamw vs foreach", PARITY["adamw"], lambda g: torch.optim.AdamW(g, foreach=True)),
    ]:
        worst64, _ = case.run(reference)
        worst32, _ = case.run(reference, dtype=torch.float32)
        print(f"{name:26s} {worst64:9.1e} {worst32:9.1e}")

    print("\nthe tolerance tells variants apart")
    for name, case, other in [
        ("adam-l2 vs adamw", PARITY["adam-l2"], PARITY["adamw"].ours),
        ("sgd L2 vs decoupled", PARITY["sgd-momentum"], PARITY["sgdw-momentum"].ours),
        ("muon nesterov vs not", MUON["muon"], MUON["muon-no-nesterov"].ours),
        ("adamw cautious vs plain", CAUTIOUS_PARITY["adamw-cautious"], PARITY["adamw"].ours),
        ("lion cautious vs plain", CAUTIOUS_PARITY["lion-cautious"], LION["lion"].ours),
    ]:
        worst, _ = case.run(other)
        print(f"{name:26s} {worst:9.1e}  (must differ)")


if __name__ == "__main__":
    main()
