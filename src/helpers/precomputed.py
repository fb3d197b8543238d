"""Precomputed results (sweeps, grids) stored as small JSON files inside the package.

A chapter that needs minutes of training plots a stored result instead; the script that made it
is named in the file, with a hash of its configuration, so a test can tell when the code's
configuration changed and the file was not regenerated, and re-run a point to compare.

Introduced in the Introduction (how the book keeps every number earned).
"""

from __future__ import annotations

import hashlib
import json
import platform
from importlib import resources
from pathlib import Path

import numpy as np
import torch

DATA_DIR = Path(__file__).parent / "data"


def config_hash(config: dict) -> str:
    """A short, stable hash of a JSON-serialisable configuration."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def save_results(name: str, config: dict, results: dict, command: str) -> Path:
    """Write ``data/<name>.json`` with the results and what produced them."""
    record = {
        "command": command,
        "config": config,
        "config_hash": config_hash(config),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "torch_threads": torch.get_num_threads(),
        "results": results,
    }
    DATA_DIR.mkdir(exist_ok=True)
    path = DATA_DIR / f"{name}.json"
    path.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")
    return path


def data_files():
    """The package's data folder as installed (works from a wheel and an editable install)."""
    return resources.files("helpers") / "data"


def load_results(name: str, config: dict | None = None) -> dict:
    """Read a stored result; with ``config``, fail unless it was made from that configuration."""
    files = data_files() / f"{name}.json"
    if not files.is_file():
        raise FileNotFoundError(f"no precomputed result named {name!r} in helpers/data")
    record = json.loads(files.read_text())
    if config is not None and record["config_hash"] != config_hash(config):
        raise ValueError(
            f"helpers/data/{name}.json was made from another configuration; "
            f"regenerate it with: {record['command']}"
        )
    return record
