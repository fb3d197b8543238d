"""Open every built page in a real headless Chromium and move every kernel-free slider.

Needs Debian's `chromium` (scripts/test.sh installs it when it can) and the Python `playwright`
package driving it via `executable_path`; `playwright install` is never used. Without Chromium
the tests skip with the reason, except under CI (`CI=true`), where a missing browser is a failure:
a CI run that skipped the browser would pass without having looked at a page. Screenshots land in
`_build/screenshots/` for a human to look at.
"""

from __future__ import annotations

import functools
import importlib
import os
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "_build" / "screenshots"

IN_CI = os.environ.get("CI", "").lower() in ("true", "1")
try:
    playwright_api = importlib.import_module("playwright.sync_api")
except ImportError:
    playwright_api = None
MISSING = (
    "Debian's chromium is not installed (scripts/test.sh installs it as root)"
    if CHROMIUM is None
    else "the playwright package is not installed (pip install -r requirements.txt)"
    if playwright_api is None
    else None
)


@pytest.fixture(scope="session", autouse=True)  # session: before the session's book build
def browser_available():
    """Skip without a browser, and fail instead under CI (before the book is built)."""
    if MISSING is not None:
        if IN_CI:
            pytest.fail(f"CI=true and no browser to test with: {MISSING}", pytrace=False)
        pytest.skip(MISSING)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture(scope="module")
def site(built_book: Path):
    handler = functools.partial(_QuietHandler, directory=str(built_book))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def _pages(built_book: Path) -> list[str]:
    skip = {"_static", "_sources", "_images"}
    return sorted(
        str(p.relative_to(built_book))
        for p in built_book.rglob("*.html")
        if not skip & set(p.relative_to(built_book).parts)
    )


def _is_local(url: str) -> bool:
    return urlparse(url).hostname in ("127.0.0.1", None) or url.startswith("data:")


def _open(browser, url: str):
    """Open a page with outside requests blocked (as offline); return it and its JS errors."""
    page = browser.new_page(viewport={"width": 1280, "height": 1600})
    errors: list[str] = []
    page.route(
        "**/*", lambda route: route.continue_() if _is_local(route.request.url) else route.abort()
    )
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))

    def on_console(msg):
        if msg.type != "error":
            return
        where = (msg.location or {}).get("url", "")
        if msg.text.startswith("Failed to load resource") and not _is_local(where):
            return  # a blocked CDN request (MathJax, fonts): expected offline
        errors.append(f"console error: {msg.text} ({where})")

    page.on("console", on_console)
    page.on(
        "requestfailed",
        lambda req: (
            _is_local(req.url)
            and not req.url.startswith("data:")
            and errors.append(f"local request failed: {req.url}")
        ),
    )
    page.goto(url, wait_until="load")
    page.wait_for_timeout(300)
    return page, errors


def test_every_page_opens_without_javascript_errors(built_book, site, browser):
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)  # only this run's pages
    SCREENSHOTS.mkdir(parents=True)
    pages = _pages(built_book)
    assert "book/intro.html" in pages
    problems = {}
    for rel in pages:
        page, errors = _open(browser, f"{site}/{rel}")
        assert page.title(), f"{rel} has no title"
        if 'class="math' in (built_book / rel).read_text():
            # MathJax is served by the book itself, so formulas typeset even offline.
            page.evaluate("() => window.MathJax.startup.promise")
            assert page.locator("mjx-container").count() > 0, f"{rel}: math was not typeset"
        page.screenshot(path=str(SCREENSHOTS / (rel.replace("/", "_") + ".png")))
        if errors:
            problems[rel] = errors
        page.close()
    assert not problems, problems


def test_every_static_slider_moves_and_changes_its_figure(built_book, site, browser):
    moved = 0
    for rel in _pages(built_book):
        if "wdd-static-slider" not in (built_book / rel).read_text():
            continue
        page, errors = _open(browser, f"{site}/{rel}")
        sliders = page.locator(".wdd-static-slider")
        assert sliders.count() > 0, f"{rel}: slider markup present but not rendered"
        for i in range(sliders.count()):
            slider = sliders.nth(i)
            slider.scroll_into_view_if_needed()
            handle, frame = slider.locator("input[type=range]"), slider.locator("img")
            label = slider.locator("output")
            before = (frame.get_attribute("src"), label.inner_text())
            # Move it as a reader would: focus the handle and press keys.
            handle.focus()
            handle.press("Home" if handle.input_value() != handle.get_attribute("min") else "End")
            after = (frame.get_attribute("src"), label.inner_text())
            assert after[0] != before[0], f"{rel}: slider {i} moved but the figure did not change"
            assert after[1] != before[1], f"{rel}: slider {i} moved but its label did not change"
            slider.screenshot(path=str(SCREENSHOTS / f"{rel.replace('/', '_')}-slider{i}.png"))
            moved += 1
        assert not errors, errors
        page.close()
    notebooks_with_sliders = [
        p for p in (ROOT / "book").rglob("*.ipynb") if "static_slider(" in p.read_text()
    ]
    if notebooks_with_sliders:
        assert moved >= len(notebooks_with_sliders), "some chapters' sliders were not rendered"
