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


def test_chapters_are_numbered_as_the_text_counts_them(built_book: Path):
    """ "Chapter N" in the text is the number on the page; chapter 3's practitioner's page is its
    section, so chapter 4 stays 4. Chapters listed after 5 continue the count."""
    import re

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    (part,) = [part for part in toc["parts"] if part.get("numbered")]
    for number, chapter in enumerate(part["chapters"], start=1):
        page = (built_book / f"{chapter['file']}.html").read_text()
        headings = re.findall(r"<h1>(.*?)</h1>", page, re.S)  # the theme's, then the page's
        assert any(f'<span class="section-number">{number}. </span>' in h for h in headings), (
            f"{chapter['file']} is not numbered {number}: {headings}"
        )
    files = [chapter["file"] for chapter in part["chapters"]]
    assert files.index("book/04_tiny_gpt") == 3
    assert "book/03b_practitioners_guide" not in files  # a section of chapter 3


def test_figures_are_numbered_per_chapter(built_book: Path):
    page = (built_book / "book" / "01_l2_penalty.html").read_text()
    assert page.count('<span class="caption-number">Fig. 1.') >= 4


def test_the_whole_book_is_offered_as_a_zip(built_book: Path):
    import zipfile

    archive = built_book / "weight-decay-decoupled-html.zip"
    assert archive.exists(), "the build did not write the offline copy"
    names = set(zipfile.ZipFile(archive).namelist())
    for page in ("index.html", "book/intro.html", "book/04_tiny_gpt.html", "_static/wdd.js"):
        assert f"weight-decay-decoupled/{page}" in names
    intro = (built_book / "book" / "intro.html").read_text()
    assert 'href="../weight-decay-decoupled-html.zip"' in intro


def test_pages_carry_no_unused_theme_assets_or_duplicate_ids(built_book: Path):
    import re

    for page in built_book.rglob("*.html"):
        text = page.read_text()
        assert "fontawesome.js" not in text and "sphinx-thebe" not in text, page.name
        ids = re.findall(r'\bid="([^"]+)"', text)
        repeated = {i for i in ids if ids.count(i) > 1}
        assert not repeated, f"{page.name}: repeated ids {sorted(repeated)[:5]}"
