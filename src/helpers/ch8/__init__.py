"""Chapter 8 (Decay with other optimizers): the tiny GPT under AdamW, Muon and Lion, what λ
multiplies in each, the equilibrium weight norm, cautious decay and λ schedules.

- :mod:`helpers.ch8.training`: one training run with the chosen optimizer (a short loop that
  also records the hidden matrices' update statistics the equilibrium needs);
- :mod:`helpers.ch8.sweep`: the stored sweep over optimizers, λ and seeds
  (``python scripts/sweep_other_optimizers.py``);
- :mod:`helpers.ch8.equilibrium`: the balance of decay and updates, and random walks on
  white-noise gradients;
- :mod:`helpers.ch8.cautious`: cautious decay on chapter 2's two-coordinate toy;
- :mod:`helpers.ch8.figures`: the chapter's figures.
"""
