"""helpers.ch6.hmm: the forward algorithm against brute force, the floors, the stream, bad input."""

import math

import numpy as np
import pytest
import torch

from helpers.ch6.hmm import FreshStream, HMMConfig, HMMSource, held_out

TINY = HMMConfig(n_topics=2, n_sub=2, vocab_size=3, k_trans=2, k_emit=2, switch_prob=0.1)


@pytest.fixture(scope="module")
def source():
    return HMMSource()


def test_rows_are_distributions_and_pi_is_stationary(source):
    assert np.allclose(source.trans.sum(1), 1, atol=1e-12)
    assert np.allclose(source.emit.sum(1), 1, atol=1e-12)
    assert np.allclose(source.pi @ source.trans, source.pi, atol=1e-12)
    assert (source.emit > 0).sum(1).max() == source.config.k_emit


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_forward_algorithm_equals_the_sum_over_every_hidden_path(seed):
    tiny = HMMSource(HMMConfig(**{**TINY.__dict__, "seed": seed}))
    x = tiny.sample(4, 6, torch.Generator().manual_seed(seed))
    gap = (tiny.bayes_nll(x) - tiny.brute_force_nll(x)).abs().max().item()
    assert gap < 1e-12  # measured 4e-16


def test_floor_lies_below_the_bigram_and_unigram_entropies(source):
    x, floor = held_out(source, 256, 32)
    # the filter can only do better than one token of context, which beats none
    assert floor < source.bigram_entropy() < source.unigram_entropy()
    # Monte Carlo check of the exact unigram entropy: the token frequencies of the sample
    counts = np.bincount(x.flatten().numpy(), minlength=source.vocab_size) / x.numel()
    p = source.pi @ source.emit
    assert np.abs(counts - p).max() < 0.01  # measured 2e-3 for 8,448 tokens


def test_sampling_is_deterministic_and_seeds_differ(source):
    a = source.sample(8, 20, torch.Generator().manual_seed(5))
    b = source.sample(8, 20, torch.Generator().manual_seed(5))
    c = source.sample(8, 20, torch.Generator().manual_seed(6))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.dtype == torch.int64 and 0 <= a.min() and a.max() < source.vocab_size


def test_stream_gives_fresh_batches_and_counts_passes(source):
    stream = FreshStream(source, batch_size=4, block_size=16, seed=0)
    x0, y0 = stream.batch(0)
    x1, _ = stream.batch(1)
    assert torch.equal(x0[:, 1:], y0[:, :-1]) and not torch.equal(x0, x1)
    assert stream.passes == 1 and stream.tokens == 2 * 4 * 16
    again, _ = stream.batch(0)
    assert torch.equal(again, x0) and stream.passes == 2
    other = FreshStream(source, batch_size=4, block_size=16, seed=1)
    assert not torch.equal(other.batch(0)[0], x0)


def test_fingerprint_names_the_hmm(source):
    assert source.fingerprint() == HMMSource().fingerprint()
    assert source.fingerprint() != HMMSource(HMMConfig(seed=1)).fingerprint()


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"n_topics": 0}, "n_topics"),
        ({"vocab_size": 1}, "vocab_size"),
        ({"k_trans": 17}, "k_trans"),
        ({"switch_prob": 1.0}, "switch_prob"),
        ({"switch_prob": math.nan}, "switch_prob"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_config_is_refused_by_name(kwargs, name):
    with pytest.raises(ValueError, match=name):
        HMMConfig(**kwargs)


def test_bad_tokens_and_sizes_are_refused(source):
    with pytest.raises(ValueError, match="tokens"):
        source.bayes_nll(torch.zeros(3, dtype=torch.int64))
    with pytest.raises(ValueError, match="tokens"):
        source.bayes_nll(torch.full((2, 4), source.vocab_size))
    with pytest.raises(ValueError, match="batch"):
        source.sample(0, 4, torch.Generator())
    with pytest.raises(ValueError, match="brute_force"):
        source.brute_force_nll(torch.zeros(1, 8, dtype=torch.int64))
    with pytest.raises(ValueError, match="index"):
        FreshStream(source, 2, 4, 0).batch(-1)
