"""Chapter 8's cautious decay on the toy: the NumPy twin is helpers' optimizer, and it ends at 1."""

import numpy as np
import pytest

from helpers import optim
from helpers.ch2.toy import ToyConfig, adam_paths, torch_path
from helpers.ch8 import cautious

TOY = ToyConfig(steps=1500)


@pytest.mark.parametrize("lam", [0.0, 0.3, 3.0])
def test_the_twin_is_cautious_adamw(lam):
    twin = cautious.cautious_adamw_path(TOY, lam)
    reference = torch_path(
        TOY, lambda ps: optim.AdamW(ps, lr=TOY.lr, weight_decay=lam, cautious=True)
    )
    assert np.abs(twin - reference).max() < 1e-12


def test_it_is_adam_without_decay_until_a_coordinate_passes_the_target():
    path = cautious.cautious_adamw_path(TOY, 3.0)
    free = adam_paths(TOY, lam=0.0, decoupled=(True,))[0]
    k = cautious.first_crossing(path)
    assert 0 < k < len(path)  # measured: step 353
    assert np.array_equal(path[:k], free[:k])
    assert not np.array_equal(path, free)


def test_it_ends_near_the_minimiser_where_adamw_ends_at_one_over_lambda():
    toy = ToyConfig()
    late = cautious.cautious_adamw_path(toy, 3.0)[-1000:]
    assert np.abs(late.mean(0) - 1).max() < 0.01  # measured 0.9955
    plain = adam_paths(toy, lam=3.0, decoupled=(True,))[0, -1]
    assert np.abs(plain - 1 / 3).max() < 0.01


def test_first_crossing_without_one_is_the_length():
    assert cautious.first_crossing(np.zeros((5, 2))) == 5


@pytest.mark.parametrize("args, name", [((-1.0,), "lam"), ((1.0, 0), "steps")])
def test_bad_input_is_named(args, name):
    with pytest.raises(ValueError, match=name):
        cautious.cautious_adamw_path(TOY, *args)
