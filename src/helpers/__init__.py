"""Shared code for the book *Weight Decay, Decoupled*.

Each module holds one idea and says in its docstring which chapter introduces it:

- ``runtime``: device choice, seeding and a one-line summary of the machine (Introduction).
- ``widgets``: live ipywidgets sliders and their kernel-free twins for the static book.
- ``plots``: the book's plotting style.
"""

from helpers.runtime import get_device, runtime_summary, set_seed

__version__ = "0.1.0"

__all__ = ["get_device", "runtime_summary", "set_seed", "__version__"]
