"""A token source with unlimited fresh samples and a known floor: a hidden Markov model (HMM).

The hidden state is a pair (topic, word state). The topic changes rarely (with probability
``switch_prob`` per token), so predicting well needs context; inside a topic a sparse Markov chain
over ``n_sub`` word states runs, and each state emits one of a few tokens. Tokens are shared
between states, so the state is never read off one token: the best possible predictor is the
Bayes filter (the forward algorithm), which :meth:`HMMSource.bayes_nll` runs exactly in float64.
A model's loss minus that floor, on the same tokens, is its *excess loss*: how much it has left
to learn, measured without a held-out corpus and without any download.

Sampling: z_0 ~ π (the stationary distribution), x_t ~ E[z_t, ·], z_{t+1} ~ T[z_t, ·].

Introduced in chapter 6 (One pass over the data).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass

import numpy as np
import torch

from helpers.checks import check_int, check_real, check_seed


@dataclass(frozen=True)
class HMMConfig:
    n_topics: int = 4  # slow hidden variable; changes with probability switch_prob per token
    n_sub: int = 16  # word states per topic (hidden states: n_topics·n_sub)
    vocab_size: int = 32  # tokens
    k_trans: int = 3  # successors of each word state inside its topic
    k_emit: int = 3  # tokens each hidden state can emit
    switch_prob: float = 0.02  # P(the topic changes at a step); the new one is uniform over others
    seed: int = 0  # draws the HMM itself (its T and E), not the samples

    def __post_init__(self):
        check_int("n_topics", self.n_topics, low=1, high=64)
        check_int("n_sub", self.n_sub, low=1, high=256)
        check_int("vocab_size", self.vocab_size, low=2, high=4096)
        check_int("k_trans", self.k_trans, low=1, high=self.n_sub)
        check_int("k_emit", self.k_emit, low=1, high=self.vocab_size)
        check_real("switch_prob", self.switch_prob, low=0, high=1, high_open=True)
        check_seed("seed", self.seed)


class HMMSource:
    """The HMM: transitions T (S×S), emissions E (S×V), stationary π; a sampler and the filter."""

    def __init__(self, config: HMMConfig = HMMConfig()):
        c = self.config = config
        rng = np.random.default_rng(c.seed)
        S, V = c.n_topics * c.n_sub, c.vocab_size
        trans, emit = np.zeros((S, S)), np.zeros((S, V))
        stay = 1.0 if c.n_topics == 1 else 1.0 - c.switch_prob
        for topic in range(c.n_topics):
            for sub in range(c.n_sub):
                s = topic * c.n_sub + sub
                successors = rng.choice(c.n_sub, size=c.k_trans, replace=False)
                weights = rng.dirichlet(np.ones(c.k_trans))
                for j, w in zip(successors, weights, strict=True):
                    # stay in the topic with 1 − switch_prob, else land on the successor's twin
                    # in one of the other topics, uniformly
                    for other in range(c.n_topics):
                        share = stay if other == topic else (1 - stay) / (c.n_topics - 1)
                        trans[s, other * c.n_sub + j] += share * w
                tokens = rng.choice(V, size=c.k_emit, replace=False)
                emit[s, tokens] = rng.dirichlet(np.ones(c.k_emit))
        # π T = π: the left eigenvector for eigenvalue 1 (power iteration; T mixes)
        pi = np.full(S, 1.0 / S)
        for _ in range(100_000):
            new = pi @ trans
            if np.abs(new - pi).max() < 1e-15:
                break
            pi = new
        self.trans, self.emit, self.pi = trans, emit, new / new.sum()
        self.n_states, self.vocab_size = S, V
        # Sampling table: from state z draw the pair (x_t, z_{t+1}) in one inverse-CDF lookup
        # over the nonzero entries of E[z, x]·T[z, z'] (rows padded to the longest)
        joint = (emit[:, :, None] * trans[:, None, :]).reshape(S, V * S)
        width = int((joint > 0).sum(1).max())
        cdf = np.full((S, width), 2.0)
        pair = np.zeros((S, width), dtype=np.int64)
        for s in range(S):
            nonzero = np.flatnonzero(joint[s])
            cdf[s, : len(nonzero)] = np.cumsum(joint[s, nonzero])
            cdf[s, len(nonzero) - 1 :] = 2.0  # u < 1 always lands inside the row
            pair[s, : len(nonzero)] = nonzero
            pair[s, len(nonzero) :] = nonzero[-1]
        self._cdf, self._pair = torch.tensor(cdf), torch.tensor(pair)
        pi_cdf = np.cumsum(self.pi)
        pi_cdf[-1] = 2.0
        self._pi_cdf = torch.tensor(pi_cdf)
        self._trans_t, self._emit_t = torch.tensor(trans), torch.tensor(emit)

    def fingerprint(self) -> str:
        """A short hash of the config, T and E: which HMM a stored result was made with."""
        digest = hashlib.sha256(repr(sorted(asdict(self.config).items())).encode())
        digest.update(np.round(self.trans, 12).tobytes())
        digest.update(np.round(self.emit, 12).tobytes())
        return digest.hexdigest()[:12]

    def unigram_entropy(self) -> float:
        """H(X_t) in nats (exact): the best loss of a model that ignores the context."""
        p = self.pi @ self.emit  # P(x) = Σ_z π(z)·E[z, x]
        return float(-(p[p > 0] * np.log(p[p > 0])).sum())

    def bigram_entropy(self) -> float:
        """H(X_t | X_{t−1}) in nats (exact): the best loss seeing one token back."""
        # P(x_{t−1} = a, x_t = b) = Σ_{z,z'} π(z)·E[z, a]·T[z, z']·E[z', b]
        pair = (self.pi[:, None] * self.emit).T @ self.trans @ self.emit
        cond = pair / pair.sum(1, keepdims=True)
        nonzero = pair > 0
        return float(-(pair[nonzero] * np.log(cond[nonzero])).sum())

    def sample(self, batch: int, length: int, generator: torch.Generator) -> torch.Tensor:
        """(batch, length) int64 tokens; every row an independent draw starting from π."""
        batch = check_int("batch", batch, low=1)
        length = check_int("length", length, low=1)
        u = torch.rand(length + 1, batch, 1, generator=generator, dtype=torch.float64)
        z = torch.searchsorted(self._pi_cdf, u[0, :, 0])
        out = torch.empty(length, batch, dtype=torch.int64)
        for t in range(length):
            pair = self._pair[z, torch.searchsorted(self._cdf[z], u[t + 1]).squeeze(1)]
            out[t], z = pair // self.n_states, pair % self.n_states
        return out.T.contiguous()

    def bayes_nll(self, tokens: torch.Tensor) -> torch.Tensor:
        """−log p(x_t | x_0..x_{t−1}) under the true HMM for t = 1..L−1: shape (batch, L−1).

        The forward algorithm with the belief b_t(z) = P(z_t = z | x_<t), normalised each step.
        """
        if tokens.dim() != 2 or tokens.shape[1] < 2:
            raise ValueError(
                f"tokens must have shape (batch, L) with L ≥ 2, got {tuple(tokens.shape)}"
            )
        if tokens.min() < 0 or tokens.max() >= self.vocab_size:
            raise ValueError(f"tokens must lie in 0..{self.vocab_size - 1}")
        B, L = tokens.shape
        belief = torch.tensor(self.pi).expand(B, -1)
        nll = torch.empty(B, L, dtype=torch.float64)
        for t in range(L):
            joint = belief * self._emit_t[:, tokens[:, t]].T
            # p(x_t | x_<t) = Σ_z b_t(z)·E[z, x_t]
            p = joint.sum(1)
            nll[:, t] = -torch.log(p)
            # b_{t+1} = (b_t ⊙ E[:, x_t] / p) T
            belief = (joint / p[:, None]) @ self._trans_t
        return nll[:, 1:]

    def brute_force_nll(self, tokens: torch.Tensor) -> torch.Tensor:
        """The same as :meth:`bayes_nll` by summing over every hidden path (S^L of them): only
        for tiny HMMs and short rows, to check the forward algorithm."""
        B, L = tokens.shape
        if self.n_states**L > 200_000:
            raise ValueError("brute_force_nll enumerates S^L paths: keep S^L ≤ 200,000")
        paths = np.array(np.meshgrid(*[np.arange(self.n_states)] * L, indexing="ij"))
        paths = paths.reshape(L, -1)
        prior = self.pi[paths[0]] * np.prod(self.trans[paths[:-1], paths[1:]], axis=0)
        out = np.empty((B, L - 1))
        for b in range(B):
            x = tokens[b].numpy()
            # P(x_0..x_t) = Σ over paths of P(path)·Π_{k≤t} E[z_k, x_k]; prefix of length t+1
            prefix = [
                (prior * np.prod(self.emit[paths[: t + 1], x[: t + 1, None]], axis=0)).sum()
                for t in range(L)
            ]
            out[b] = -np.log(np.array(prefix[1:]) / np.array(prefix[:-1]))
        return torch.tensor(out)


class FreshStream:
    """Training batches never repeated: batch k of stream ``seed`` is drawn from its own seed.

    :attr:`passes` is the most times any batch index was drawn; a training loop asserts it stays
    at 1 (every token it trains on is seen exactly once). Batch seeds are below 2**40; held-out
    sets use seeds from 2**40 on, so they never coincide with a training batch.
    """

    def __init__(self, source: HMMSource, batch_size: int, block_size: int, seed: int):
        self.source = source
        self.batch_size = check_int("batch_size", batch_size, low=1)
        self.block_size = check_int("block_size", block_size, low=1)
        self.seed = check_int("seed", seed, low=0, high=1000)
        self._draws: dict[int, int] = {}

    def batch(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs x_0..x_{T−1} and targets x_1..x_T of batch ``index``."""
        index = check_int("index", index, low=0, high=10**9 - 1)
        self._draws[index] = self._draws.get(index, 0) + 1
        generator = torch.Generator().manual_seed(self.seed * 10**9 + index + 1)
        x = self.source.sample(self.batch_size, self.block_size + 1, generator)
        return x[:, :-1], x[:, 1:]

    @property
    def passes(self) -> int:
        return max(self._draws.values(), default=0)

    @property
    def tokens(self) -> int:
        """Target tokens drawn so far (every one of them a fresh sample)."""
        return sum(self._draws.values()) * self.batch_size * self.block_size


HELD_OUT_SEED = 2**40  # the held-out set's generator seed (training batches use seeds < 2**40)


def held_out(source: HMMSource, n_seq: int, block_size: int) -> tuple[torch.Tensor, float]:
    """A fixed held-out set of ``n_seq`` rows of block_size + 1 tokens and its Bayes floor
    (the mean of :meth:`HMMSource.bayes_nll` over it, nats per token)."""
    generator = torch.Generator().manual_seed(HELD_OUT_SEED)
    x = source.sample(n_seq, block_size + 1, generator)
    return x, float(source.bayes_nll(x).mean())
