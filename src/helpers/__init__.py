"""Shared code for the book *Weight Decay, Decoupled*.

Shared infrastructure sits at the top, one module per idea; each chapter's own code lives in its
subpackage (``helpers.ch1`` … ``helpers.ch8``). Every module says in its docstring which chapter
introduces it.

- ``runtime``: device choice, seeding and a one-line summary of the machine; CPU settings and
  Ctrl-C handling shared by the training loops (Introduction).
- ``checks``: the argument checks every function and config uses, one message style.
- ``optim``: from-scratch SGD, Adam and AdamW with L2 or decoupled decay
  (chapters 1–2); ``optim_state``: which optimizer wrote a saved state and whether another may
  continue it; ``param_groups``: which tensors decay, the four rules (chapter 3).
- ``muon``, ``lion``, ``adafactor``: the same for Muon, Lion and Adafactor, on the same decay
  switch, with cautious decay as an option of it (chapter 8).
- ``schedules``: the learning-rate multipliers of the training loops, and λ schedules set like
  the learning rate's (chapter 8).
- ``model``, ``data``, ``train_config``, ``train``, ``history``: the tiny character-level GPT,
  its data, its settings with CPU and GPU presets, ``train()``, and the ``History`` it returns
  (chapters 3–4);
  ``corpus``: its default text, frozen so that every Python trains on the same characters
  (needs no torch).
- ``precomputed`` (a package): stored results: one spec (name, command, threads,
  configuration), one ``make`` that trains and saves them, one ``load`` that checks them, the
  machine that made them, the scripts' command line; ``spreads``: the comparison
  of a live run with the stored one (exact on the machine that made them, a measured tolerance
  elsewhere).
- ``widgets``: live ipywidgets sliders and their kernel-free twins for the static book;
  ``frames``: figures as PNG frames; ``run_panel``: a Run/Stop panel for slow work (chapter 4).
- ``plots``: the book's plotting style.
- ``ch1``: the polynomial ridge problem and its figures. ``ch2``: the curvature toy, the η × λ
  grid, the shrink each weight gets, and the figures. ``ch3``: the real-models table and the
  decay-rule sweep. ``ch4``: the λ sweep of the tiny GPT, its figures and the live Run panel.
  ``ch5``: grokking and forgetting. ``ch6``: one pass over a token stream with a known floor.
  ``ch7``: how λ scales (timescale, ensemble sweeps, calculator). ``ch8``: decay with Muon,
  Lion and Adafactor.
"""

__version__ = "0.1.0"

__all__ = ["get_device", "runtime_summary", "set_seed", "__version__"]


def __getattr__(name: str):
    # helpers.runtime imports torch; importing it only when asked keeps `import helpers.corpus`
    # free of torch (a Python without torch can still read and check the corpus)
    if name in ("get_device", "runtime_summary", "set_seed"):
        from helpers import runtime

        return getattr(runtime, name)
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")
