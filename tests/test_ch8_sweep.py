"""Chapter 8's stored sweep: current, complete, reproducible on any CPU; its figures draw."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import precomputed  # noqa: E402
from helpers.ch8 import figures  # noqa: E402
from helpers.ch8 import sweep as ch8_sweep  # noqa: E402


@pytest.fixture(scope="module")
def stored():
    return ch8_sweep.load()


def test_the_stored_sweep_is_the_configuration_in_code(stored):
    assert stored.record["command"] == "python scripts/sweep_other_optimizers.py"
    assert stored.made_on["threads"] == ch8_sweep.THREADS
    assert stored.record["config"]["seeds"] == [0, 1, 2]
    assert len(stored.points) == len(ch8_sweep.STORED.points) == 42
    for point in stored.points.values():
        assert point["step"][-1] == ch8_sweep.STEPS
        assert all(np.isfinite(point["val_loss"]))


def test_the_stored_file_stays_small():
    path = precomputed.data_files() / f"{ch8_sweep.STORED.name}.json"
    assert len(path.read_bytes()) < 600_000


def test_every_slider_value_draws(stored):
    fig, update = figures.hero(stored)
    for lam in ch8_sweep.LAMBDAS["adamw"]:
        update(lam)
    plt.close(fig)
    with pytest.raises(ValueError):
        update(0.5)  # not a slider value


def test_the_schedule_figure_refuses_an_unknown_schedule(stored):
    with pytest.raises(ValueError, match="schedule"):
        figures.schedules_figure(stored, [("muon", 1.0, "step")])
    plt.close("all")


def test_rerunning_a_point_reproduces_the_stored_one(stored):
    """Exactly on the machine that made the file; elsewhere within the seed spread."""
    point = ("lion", 3.0, "constant", 0)
    live = ch8_sweep.run_point(*point)
    gap, limit, basis = ch8_sweep.compare(stored, live, point)
    assert gap <= limit, f"gap {gap:.2e} > {limit:.2e} ({basis})"
