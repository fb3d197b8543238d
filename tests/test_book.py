"""The book builds with warnings as errors and holds every page of the table of contents."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        for chapter in part.get("chapters", []):
            files.append(chapter["file"])
            files.extend(section["file"] for section in chapter.get("sections", []))
    return files


def test_every_toc_entry_exists_and_every_chapter_is_listed():
    listed = {str(Path(f).with_suffix("")) for f in toc_files()}
    for entry in listed:
        candidates = [ROOT / f"{entry}.md", ROOT / f"{entry}.ipynb"]
        assert any(p.exists() for p in candidates), f"toc names a missing page: {entry}"
    pages = {
        str(p.relative_to(ROOT).with_suffix(""))
        for p in list((ROOT / "book").rglob("*.md")) + list((ROOT / "book").rglob("*.ipynb"))
        if not any(part.startswith(("_", ".")) for part in p.relative_to(ROOT / "book").parts)
    }
    assert pages <= listed, f"pages missing from _toc.yml: {sorted(pages - listed)}"


def test_book_builds_every_page(built_book: Path):
    assert (built_book / "index.html").exists()
    for entry in toc_files():
        page = built_book / Path(entry).with_suffix(".html")
        assert page.exists(), f"not built: {page.name}"
    for required in ("book/intro.html", "book/notation.html", "book/bibliography.html"):
        assert (built_book / required).exists()


def test_bibliography_lists_every_entry(built_book: Path):
    page = (built_book / "book" / "bibliography.html").read_text()
    keys = [
        line.split("{", 1)[1].rstrip(",\n")
        for line in (ROOT / "references.bib").read_text().splitlines()
        if line.startswith("@")
    ]
    assert len(keys) > 10
    assert page.count('role="doc-biblioentry"') == len(keys)


def test_notebook_pages_have_colab_and_download_buttons(built_book: Path):
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repo = config["repository"]["url"].removeprefix("https://github.com/")
    branch = config["repository"]["branch"]
    for entry in toc_files():
        if not (ROOT / f"{entry}.ipynb").exists():
            continue
        page = (built_book / f"{entry}.html").read_text()
        colab = f"https://colab.research.google.com/github/{repo}/blob/{branch}/{entry}.ipynb"
        assert colab in page, f"{entry}: no Colab launch link {colab}"
        assert f"{Path(entry).name}.ipynb" in page and "download" in page.lower()
