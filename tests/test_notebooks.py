"""House rules for the chapter notebooks (see README, "Contributing")."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("nbtools", ROOT / "scripts" / "notebooks.py")
nbtools = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nbtools)

NOTEBOOKS = nbtools.notebooks()
ids = [p.name for p in NOTEBOOKS]


def test_bootstrap_names_the_configured_repository():
    source = nbtools.bootstrap_source()
    assert "git+https://github.com/" in source
    assert "@main" in source or "@v" in source


@pytest.mark.parametrize(
    ("installed", "expected_args"),
    [
        ("0.1.0", None),  # the right version: nothing runs, nothing is cloned
        (None, []),  # missing (Colab, a downloaded notebook): installed with its dependencies
        ("0.0.9", ["--force-reinstall", "--no-deps"]),  # stale: replaced, nothing else touched
    ],
)
def test_bootstrap_installs_only_when_missing_or_stale(monkeypatch, installed, expected_args):
    import importlib.metadata
    import subprocess

    source = nbtools.bootstrap_source()
    version = re.search(r'if installed != "([^"]+)"', source).group(1)
    calls = []

    def fake_version(name):
        assert name == "weight-decay-decoupled"
        if installed is None:
            raise importlib.metadata.PackageNotFoundError(name)
        return version if installed == "0.1.0" else installed

    monkeypatch.setattr(importlib.metadata, "version", fake_version)
    monkeypatch.setattr(subprocess, "run", lambda args, check: calls.append(args))
    exec(compile(source, "bootstrap", "exec"), {})
    if expected_args is None:
        assert calls == []
    else:
        (args,) = calls
        assert args[1:5] == ["-m", "pip", "install", "-q"] and "%pip" not in source
        assert args[5:-1] == expected_args and args[-1].startswith("weight-decay-decoupled @ git+")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    assert nbtools.is_clean(nb), f"{path.name} has outputs: run `python scripts/notebooks.py sync`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_starts_with_the_bootstrap_cell(path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "code" and first.source == nbtools.bootstrap_source(), (
        f"{path.name}: first cell is not the Colab bootstrap; "
        "run `python scripts/notebooks.py sync`"
    )
    assert "remove-cell" in first.metadata.get("tags", []), (
        "the bootstrap should not show on the page"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_each_figure_shows_one_slider(path):
    """Live widgets and static twins only through `live_or_static` (or `slider`, which uses it):
    the built book shows the twin, Jupyter and Colab the live widget, never both. The build
    runs these cells (to draw the twin), so none is skipped."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        makes_widget = any(
            call in cell.source
            for call in ("live_slider(", "LiveFigure(", "train_panel(", "static_slider(")
        )
        assert "interact(" not in cell.source, f"{path.name}: use helpers.widgets, not interact"
        if makes_widget:
            assert "live_or_static(" in cell.source, (
                f"{path.name}: a slider made outside live_or_static shows twice in Jupyter"
            )
        assert "skip-execution" not in cell.metadata.get("tags", []), (
            f"{path.name}: a skipped cell leaves its figure out of the book"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_chapter_rhythm(path):
    """Running-this-chapter box, Summary, Exercises and References, in that order."""
    text = "\n".join(
        c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"
    )
    marks = ["Running this chapter", "## Summary", "## Exercises", "## References"]
    positions = [text.find(mark) for mark in marks]
    assert all(p >= 0 for p in positions), f"{path.name} lacks one of {marks}"
    assert positions == sorted(positions), f"{path.name}: sections out of order"
    assert "{footbibliography}" in text


def test_code_cells_are_formatted_and_linted_by_one_tool():
    """ruff formats every chapter's code at 80 columns (book/ruff.toml: what the page prints)
    and its lint finds nothing; the bootstrap cell is generated already formatted."""
    import subprocess
    import sys

    for command in (["format", "--check"], ["check"]):
        done = subprocess.run(
            [sys.executable, "-m", "ruff", *command, "book"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, f"ruff {' '.join(command)} book:\n{done.stdout[-3000:]}"
