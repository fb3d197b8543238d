"""Keep the book's notebooks tidy: one bootstrap cell, no stored outputs.

    python scripts/notebooks.py sync     # rewrite the bootstrap cell and strip outputs in book/
    python scripts/notebooks.py check    # exit 1 if any notebook would change

The bootstrap cell is generated from `_config.yml` (repository url and branch), the one place
where the repository is named, and `pyproject.toml` (the package's version); the tests import
`bootstrap_source` and `is_clean` from here. It installs the book's `helpers` package wherever it
is missing or another version (Colab, a downloaded notebook in a local Jupyter), quietly and once:
where the right version is installed it does nothing, so it never clones again, never keeps a
stale install and, since no loaded module changes, never needs a restart.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"

BOOTSTRAP_MARK = "# Installs this book's `helpers` package"
BOOTSTRAP_TEMPLATE = """\
{mark} where it is missing or
# outdated (Colab, a downloaded notebook); where version {version} is
# installed it does nothing.
import importlib
import importlib.metadata
import subprocess
import sys

try:
    installed = importlib.metadata.version("{name}")
except importlib.metadata.PackageNotFoundError:
    installed = None
if installed != "{version}":
    again = ["--force-reinstall", "--no-deps"] if installed else []
    package = "{name} @ git+{url}@{branch}"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", *again, package],
        check=True,
    )
    importlib.invalidate_caches()"""


# A MyST admonition fence, which Jupyter and Colab show as a code block ...
_FENCED_ADMONITION = re.compile(
    r"^```\{admonition\} (?P<title>[^\n]+)\n:class: (?P<kind>[a-z]+)\n(?P<body>.*?)\n```$",
    re.M | re.S,
)
# ... and the HTML form of the same box, which MyST reads as an admonition (`html_admonition`)
# and Jupyter and Colab show as a box. The style is for them; MyST keeps only the class.
ADMONITION_STYLE = "border-left: 4px solid #2e7d32; padding: 0.2em 1em; background: #f4f9f4"
_ROLE_OR_CODE = re.compile(r"(\{[a-z:-]+\}`[^`]+`)|`([^`]+)`")


def _inline_html(text: str) -> str:
    """Markdown emphasis and code as HTML; roles ({footcite}`...`) and math left to MyST."""

    def code(match: re.Match) -> str:
        if match.group(1):
            return match.group(1)
        return "<code>" + match.group(2).replace("<", "&lt;") + "</code>"

    text = _ROLE_OR_CODE.sub(code, text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text, flags=re.S)
    return re.sub(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*(?![*\w])", r"<em>\1</em>", text, flags=re.S)


def admonitions_as_html(source: str) -> str:
    """Rewrite fenced admonitions of plain paragraphs into the HTML form both views show.

    A box holding a list or a nested directive stays fenced: MyST would not parse its items.
    """

    def rewrite(match: re.Match) -> str:
        body = match.group("body").strip("\n")
        if re.search(r"^\s*([-*+]|\d+\.)\s|^```|^:::", body, re.M):
            return match.group(0)
        paragraphs = [p.strip("\n") for p in re.split(r"\n\s*\n", body)]
        inner = "\n".join(f"<p>{_inline_html(p)}</p>" for p in paragraphs)
        return (
            f'<div class="admonition {match.group("kind")}" style="{ADMONITION_STYLE}">\n'
            f'<p class="admonition-title"><strong>{match.group("title")}</strong></p>\n'
            f"{inner}\n</div>"
        )

    return _FENCED_ADMONITION.sub(rewrite, source)


def bootstrap_source(
    config_path: Path = ROOT / "_config.yml", pyproject_path: Path = ROOT / "pyproject.toml"
) -> str:
    """The exact first cell every chapter notebook starts with."""
    import yaml

    repository = yaml.safe_load(config_path.read_text())["repository"]
    # [project]'s name and version (no TOML parser on Python 3.10)
    project = dict(re.findall(r'^(name|version) = "([^"]+)"', pyproject_path.read_text(), re.M))
    return BOOTSTRAP_TEMPLATE.format(
        mark=BOOTSTRAP_MARK,
        name=project["name"],
        version=project["version"],
        url=repository["url"],
        branch=repository["branch"],
    )


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
    """Strip outputs, put the bootstrap first (replacing an outdated one) and write admonitions
    in the HTML form that Jupyter and Colab show too."""
    import nbformat

    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        elif cell.cell_type == "markdown":
            cell.source = admonitions_as_html(cell.source)
        cell.metadata.pop("execution", None)
    first = nb.cells[0] if nb.cells else None
    old = ("google.colab", BOOTSTRAP_MARK)  # the Colab-only cell this one replaced, or this one
    if first is not None and first.cell_type == "code" and any(m in first.source for m in old):
        first.source = bootstrap
    else:
        nb.cells.insert(0, nbformat.v4.new_code_cell(bootstrap))
    # remove-cell: the page does not show it (it does nothing there); Colab and Jupyter run it.
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
