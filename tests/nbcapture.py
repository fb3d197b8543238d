"""pytest plugin: keep the outputs of the nbval run for the book build test.

nbval executes every notebook once, cell by cell. This plugin stores each cell's outputs back
into an in-memory copy of its notebook, so `tests/conftest.py::built_book` can build the book
from them instead of executing every notebook a second time. Cells tagged `skip-execution`
(live widgets) keep no outputs, exactly as the real build (which skips them) shows them.
Registered in pyproject.toml (`-p tests.nbcapture`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

# notebook file name -> {"nb": executed NotebookNode, "ok": bool, "cells": {cell_num, ...}}
CAPTURED: dict[str, dict] = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if call.when != "call" or type(item).__name__ != "IPyNbCell":
        return
    report = outcome.get_result()
    notebook = item.parent
    entry = CAPTURED.setdefault(
        Path(str(notebook.fspath)).name, {"nb": notebook.nb, "ok": True, "cells": set()}
    )
    entry["cells"].add(item.cell_num)
    if report.failed:
        entry["ok"] = False
    tags = item.cell.metadata.get("tags", [])
    item.cell.outputs = [] if "skip-execution" in tags else list(item.test_outputs or [])
