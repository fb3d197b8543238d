import random

import numpy as np
import pytest
import torch

from helpers import get_device, runtime_summary, set_seed


def test_auto_device_is_available_and_cpu_is_always_allowed():
    assert get_device().type in ("cuda", "mps", "cpu")
    assert get_device(None) == get_device("auto")
    assert get_device("cpu") == torch.device("cpu")
    assert get_device(torch.device("cpu")) == torch.device("cpu")


@pytest.mark.parametrize("bad", ["gpu", "tpu", "cuda:x", "", "CPU"])
def test_unknown_device_names_the_allowed_values(bad):
    with pytest.raises(ValueError, match="'auto', 'cuda', 'cuda:N', 'mps' or 'cpu'"):
        get_device(bad)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_unavailable_device_is_an_error_not_a_fallback():
    with pytest.raises(ValueError, match="not available"):
        get_device("cuda")


def test_set_seed_covers_random_numpy_and_torch():
    def draw():
        return random.random(), np.random.rand(), torch.rand(1).item()

    set_seed(7)
    first = draw()
    set_seed(7)
    assert draw() == first
    set_seed(8)
    assert draw() != first


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True])
def test_set_seed_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="seed"):
        set_seed(bad)


def test_runtime_summary_is_one_line_with_versions_and_threads():
    line = runtime_summary()
    assert "\n" not in line
    assert torch.__version__ in line and np.__version__ in line
    threads = torch.get_num_threads()
    assert f"{threads} thread{'s' if threads != 1 else ''} of " in line
