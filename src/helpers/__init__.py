"""Shared code for the book *Weight Decay, Decoupled*.

Each module holds one idea and says in its docstring which chapter introduces it:

- ``runtime``: device choice, seeding and a one-line summary of the machine (Introduction).
- ``optim``: from-scratch SGD, Adam and AdamW with L2 or decoupled decay, ``effective_decay``
  and ``param_groups`` (chapters 1–3).
- ``ridge`` and ``ridge_plots``: chapter 1's polynomial ridge problem, its exact solvers and
  figures.
- ``quadratic``, ``decay_grid``, ``decoupling_plots``: chapter 2's curvature toy (with a NumPy
  twin of the Adam update), its lr × λ grid task and figures.
- ``model``, ``data``, ``train``: the tiny character-level GPT, its offline corpus and
  ``train()`` with CPU and GPU presets (chapters 3–4).
- ``real_models`` and ``which_weights``: chapter 3's checked table of what real models decayed
  and with which λ, and its four decay rules run on the tiny GPT (with a name-checked resume).
- ``gpt_sweep``, ``gpt_plots``, ``gpt_widgets``: chapter 4's stored λ sweep of the tiny GPT, its
  figures and the live Run panel.
- ``grokking`` and ``grokking_plots``: chapter 5's modular-addition transformer, its runs and
  figures.
- ``precomputed``: stored sweeps with the command and configuration hash that made them.
- ``widgets``: live ipywidgets sliders and their kernel-free twins for the static book.
- ``plots``: the book's plotting style.
"""

from helpers.runtime import get_device, runtime_summary, set_seed

__version__ = "0.1.0"

__all__ = ["get_device", "runtime_summary", "set_seed", "__version__"]
