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
- ``precomputed``: stored sweeps with the command and configuration hash that made them.
- ``widgets``: live ipywidgets sliders and their kernel-free twins for the static book.
- ``plots``: the book's plotting style.
"""

from helpers.runtime import get_device, runtime_summary, set_seed

__version__ = "0.1.0"

__all__ = ["get_device", "runtime_summary", "set_seed", "__version__"]
