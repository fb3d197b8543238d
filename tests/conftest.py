"""Fixtures shared by the tests: one book build per run, used by the build and browser tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from tests import nbcapture

ROOT = Path(__file__).resolve().parents[1]
BUILD_TIMEOUT_S = 1800
# Book mode (helpers.widgets.in_book) for the kernels nbval starts: its outputs are what the
# built_book fixture renders, so each figure's static twin is drawn, not a live widget.
os.environ["WDD_BOOK"] = "1"


def _code_sources(nb) -> list[str]:
    return [cell.source for cell in nb.cells if cell.cell_type == "code"]


def _captured_notebooks(sources: list[Path]) -> dict[Path, nbformat.NotebookNode] | None:
    """The nbval run's executed copies of every notebook, or None if any is missing or failed."""
    executed = {}
    for path in sources:
        entry = nbcapture.CAPTURED.get(path.name)
        if entry is None or not entry["ok"]:
            return None
        nb, original = entry["nb"], nbformat.read(path, as_version=4)
        if _code_sources(nb) != _code_sources(original) or len(entry["cells"]) != len(
            _code_sources(original)
        ):
            return None
        executed[path] = nb
    return executed


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> Path:
    """Build the book once, warnings as errors, in a temporary folder; return its html folder.

    When the nbval run of this session already executed every notebook successfully, the build
    renders those outputs (execution off) instead of running each notebook a second time.
    ``WDD_BUILT_HTML=_build/html`` checks a book built before (by scripts/build.sh) instead.
    """
    if built := os.environ.get("WDD_BUILT_HTML"):
        return Path(built).resolve()
    src = tmp_path_factory.mktemp("book")
    for name in ("_config.yml", "_toc.yml", "references.bib"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(
        ROOT / "book", src / "book", ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    notebooks = sorted((ROOT / "book").rglob("*.ipynb"))
    executed = _captured_notebooks(notebooks) if notebooks else None
    if executed:
        for path, nb in executed.items():
            nbformat.write(nb, src / path.relative_to(ROOT))
        config = yaml.safe_load((src / "_config.yml").read_text())
        config["execute"]["execute_notebooks"] = "off"
        (src / "_config.yml").write_text(yaml.safe_dump(config, allow_unicode=True))
    jb = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run(
        [str(jb), "build", str(src), "-W", "-n", "--keep-going"],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
    )
    html = src / "_build" / "html"
    if result.returncode != 0 or not (html / "index.html").exists():
        pytest.fail(
            "book build failed (warnings are errors):\n" + (result.stdout + result.stderr)[-6000:]
        )
    return html


@pytest.fixture(scope="session")
def sweep():
    """Chapter 4's stored λ sweep of the tiny GPT (helpers.ch4.sweep)."""
    from helpers.ch4 import sweep

    return sweep.load()


@pytest.fixture(scope="session")
def data():
    """The tiny GPT's character data (the frozen corpus, Python 3.11.7's help text)."""
    from helpers.data import char_data

    return char_data()


@pytest.fixture(autouse=True)
def gradients_stay_on():
    """Fail the test that leaves autograd switched off (every later test would fail instead)."""
    import torch

    yield
    if not torch.is_grad_enabled():
        torch.set_grad_enabled(True)
        pytest.fail("the test left autograd switched off (torch.is_grad_enabled() is False)")
