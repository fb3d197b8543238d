"""Keep the book's notebooks tidy: one Colab bootstrap cell, no stored outputs.

    python scripts/notebooks.py sync     # rewrite the bootstrap cell and strip outputs in book/
    python scripts/notebooks.py check    # exit 1 if any notebook would change

The bootstrap cell is generated from `_config.yml` (repository url and branch), the one place
where the repository is named; the tests import `bootstrap_source` and `is_clean` from here.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"

BOOTSTRAP_TEMPLATE = """\
# Colab only: install the book's `helpers` package. Elsewhere it is already installed.
import sys

if "google.colab" in sys.modules:
    %pip install -q "weight-decay-decoupled @ git+{url}@{branch}\""""


def bootstrap_source(config_path: Path = ROOT / "_config.yml") -> str:
    """The exact first cell every chapter notebook starts with."""
    import yaml

    repository = yaml.safe_load(config_path.read_text())["repository"]
    return BOOTSTRAP_TEMPLATE.format(url=repository["url"], branch=repository["branch"])


def notebooks() -> list[Path]:
    return sorted(p for p in BOOK.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def is_clean(nb) -> bool:
    """True when no code cell holds outputs or an execution count."""
    return all(
        not cell.get("outputs") and cell.get("execution_count") is None
        for cell in nb.cells
        if cell.cell_type == "code"
    )


def sync(nb, bootstrap: str):
    """Strip outputs and put the bootstrap first (replacing an outdated one)."""
    import nbformat

    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell.metadata.pop("execution", None)
    first = nb.cells[0] if nb.cells else None
    if first is not None and first.cell_type == "code" and "google.colab" in first.source:
        first.source = bootstrap
    else:
        nb.cells.insert(0, nbformat.v4.new_code_cell(bootstrap))
    # remove-cell: the page does not show it (it does nothing there); Colab runs it.
    nb.cells[0].metadata["tags"] = ["remove-cell"]
    return nb


def main(command: str) -> int:
    import nbformat

    bootstrap = bootstrap_source()
    changed = []
    for path in notebooks():
        before = path.read_text()
        nb = sync(nbformat.reads(before, as_version=4), bootstrap)
        after = nbformat.writes(nb) + "\n"
        if after != before:
            changed.append(path.relative_to(ROOT))
            if command == "sync":
                path.write_text(after)
    verb = "rewrote" if command == "sync" else "would rewrite"
    for path in changed:
        print(f"{verb} {path}")
    return 1 if (command == "check" and changed) else 0


def parse(argv=None) -> argparse.Namespace:
    first, _, rest = __doc__.strip().partition("\n")
    parser = argparse.ArgumentParser(
        description=first,
        epilog=rest.strip("\n"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "command",
        choices=("sync", "check"),
        help="sync: rewrite the notebooks in book/; check: exit 1 if any would change",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main(parse().command))
