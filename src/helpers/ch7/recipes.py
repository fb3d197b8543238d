"""Real pre-training recipes through the τ rule: their sourced η, λ, batch and tokens, and the
τ_iter, τ_epoch and surviving share they imply.

Every row's numbers were checked against the sources its ``sources`` names (the papers' text
and the official configs): B and D in tokens, η the peak learning rate, λ = 0.1 in every row
(decoupled decay). ``mean_multiplier`` is s̄, the mean of η_t/η over the run, from the schedule
the source states (warmup ignored), computed in the row. ``status``: ✅ checked
in the primary source, ◐ a part only in a secondary source, or a config whose use in the
released run was not checked.
A batch that ramps up is given at its final size. Models with no stated λ (Chinchilla, Gopher),
or whose λ is ambiguous (Llama 3), have no row.

Introduced in chapter 7 (how λ should scale).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from helpers.ch7 import timescale

# s̄ of "cosine (or linear) decay to 10 % of the peak": 0.1 + 0.9 · ½
TO_TEN_PERCENT = 0.55


@dataclass(frozen=True)
class Recipe:
    """One model's sourced training settings."""

    model: str
    optimizer: str  # as the source names it: Adam(W) with decoupled decay, or Muon
    lr: float  # η, the peak learning rate
    weight_decay: float  # λ
    batch_tokens: float  # B, tokens per step (the final size if it ramps)
    tokens: float  # D, tokens trained
    mean_multiplier: float  # s̄: mean of η_t/η over the run
    schedule: str  # the schedule as the source states it
    sources: str  # references.bib keys
    status: str  # ✅ or ◐ (see the module docstring)

    @property
    def steps(self) -> float:
        """T = D/B (one pass)."""
        return timescale.steps(self.batch_tokens, self.tokens)

    @property
    def tau_iter(self) -> float:
        """τ_iter = 1/(ηλ) at the peak η, in steps."""
        return timescale.tau_iter(self.lr, self.weight_decay)

    @property
    def tau_epoch(self) -> float:
        """τ_epoch = B/(ηλD) at the peak η: the fraction of the data the average spans."""
        return timescale.tau_epoch(self.lr, self.weight_decay, self.batch_tokens, self.tokens)

    @property
    def surviving(self) -> float:
        """exp(−λ·Σ_t η_t) = exp(−ηλ·T·s̄): the share of a first-step update left at the end."""
        k = self.lr * self.weight_decay * self.steps * self.mean_multiplier
        return math.exp(-k)


_LLAMA = "cosine to 10 % of the peak"
_GPT3 = "cosine to 10 % over 260B tokens, then 10 %; batch ramp ignored"
# s̄ of GPT-3's schedule: cosine to 10 % over the first 260B of 300B tokens, then 10 %
_GPT3_MEAN = (260 * TO_TEN_PERCENT + 40 * 0.1) / 300
_PYTHIA_TOKENS = 299_892_736_000  # 143,000 steps × 2,097,152 tokens
RECIPES = (
    Recipe(
        "LLaMA 7B",
        "AdamW",
        3e-4,
        0.1,
        4e6,
        1.0e12,
        TO_TEN_PERCENT,
        _LLAMA,
        "touvron2023llama",
        "✅",
    ),
    Recipe(
        "LLaMA 65B",
        "AdamW",
        1.5e-4,
        0.1,
        4e6,
        1.4e12,
        TO_TEN_PERCENT,
        _LLAMA,
        "touvron2023llama",
        "✅",
    ),
    Recipe(
        "Llama 2 7B",
        "AdamW",
        3e-4,
        0.1,
        4e6,
        2e12,
        TO_TEN_PERCENT,
        _LLAMA,
        "touvron2023llama2",
        "✅",
    ),
    Recipe(
        "Llama 2 70B",
        "AdamW",
        1.5e-4,
        0.1,
        4e6,
        2e12,
        TO_TEN_PERCENT,
        _LLAMA,
        "touvron2023llama2",
        "✅",
    ),
    Recipe(
        "GPT-3 6.7B",
        "Adam",
        1.2e-4,
        0.1,
        2e6,
        3e11,
        _GPT3_MEAN,
        _GPT3,
        "brown2020language",
        "✅",
    ),
    Recipe(
        "GPT-3 13B",
        "Adam",
        1.0e-4,
        0.1,
        2e6,
        3e11,
        _GPT3_MEAN,
        _GPT3,
        "brown2020language",
        "✅",
    ),
    Recipe(
        "GPT-3 175B",
        "Adam",
        6e-5,
        0.1,
        3.2e6,
        3e11,
        _GPT3_MEAN,
        _GPT3,
        "brown2020language",
        "✅",
    ),
    Recipe(
        "Pythia 160M",
        "Adam (GPT-NeoX)",
        6e-4,
        0.1,
        2_097_152,
        _PYTHIA_TOKENS,
        TO_TEN_PERCENT,
        _LLAMA,
        "biderman2023pythia; eleutherai_pythia_code",
        "✅",
    ),
    Recipe(
        "Pythia 12B",
        "Adam (GPT-NeoX)",
        1.2e-4,
        0.1,
        2_097_152,
        _PYTHIA_TOKENS,
        TO_TEN_PERCENT,
        _LLAMA,
        "biderman2023pythia; eleutherai_pythia_code",
        "✅",
    ),
    Recipe(
        "OLMo 7B (config)",
        "AdamW",
        3e-4,
        0.1,
        4_194_304,
        2e12,
        TO_TEN_PERCENT,
        "linear to 10 % of the peak",
        "groeneveld2024olmo; allenai_olmo_code",
        "◐",
    ),
    Recipe(
        "OLMo 2 7B, stage 1",
        "AdamW",
        3e-4,
        0.1,
        4_194_304,
        3.9e12,
        # s̄ = 0.55 + 0.45·sin(πu)/(πu), the first u = 3.9/5 of a 5T cosine horizon
        0.55 + 0.45 * math.sin(math.pi * 3.9 / 5) / (math.pi * 3.9 / 5),
        "cosine to 10 % over 5T, stopped at 3.9T",
        "olmo2024olmo2; allenai_olmo_code",
        "◐",
    ),
    Recipe(
        "DeepSeek-V2",
        "AdamW",
        2.4e-4,
        0.1,
        37.7e6,
        8.1e12,
        0.6 + 0.3 * 0.316 + 0.1 * 0.316**2,  # s̄: 60 % at 1, 30 % at 0.316, 10 % at 0.316²
        "steps of ×0.316 at 60 % and 90 % of the tokens",
        "deepseek2024v2",
        "✅",
    ),
    Recipe(
        "DeepSeek-V3",
        "AdamW",
        2.2e-4,
        0.1,
        62.9e6,
        14.8e12,
        # s̄: 10T at 1, 4.3T of cosine to 10 %, then 0.333T at 0.1 and 0.167T at 0.033
        (10 + 4.3 * TO_TEN_PERCENT + 0.333 * 0.1 + 0.167 * 0.033) / 14.8,
        "constant to 10T, cosine to 10 %, two low tails",
        "deepseek2024v3",
        "✅",
    ),
    Recipe(
        "Kimi K2",
        "MuonClip (Muon)",
        2e-4,
        0.1,
        67e6,
        15.5e12,
        (10 + 5.5 * TO_TEN_PERCENT) / 15.5,  # s̄: 10T at 1, then 5.5T of cosine to 10 %
        "constant to 10T, cosine to 10 % over 5.5T",
        "kimi2025k2",
        "✅",
    ),
)
