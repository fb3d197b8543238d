"""Small Sphinx fixes and additions for the pinned toolchain (jupyter-book 1.0.4, Sphinx 7.4).

1. sphinx-thebe registers its inline configuration script after the HTML builder has started, so
   Sphinx emits it twice and every page throws "Identifier 'THEBE_JS_URL' has already been
   declared". Inline scripts have no file name for Sphinx to de-duplicate by, so drop exact
   repeats here. Remove when the pins move past the bug.
2. Book mode: notebooks executed by this build show each figure's kernel-free twin, not the live
   widget (``helpers.widgets.in_book``). Setting the variable here, before any kernel starts,
   makes every ``jupyter-book build`` of the book do so, whoever runs it.
3. Light pages: the frames of the static sliders arrive as data URIs in the notebook; they are
   written to ``_images/`` as files, so a page transfers only the frame it shows. Every content
   image loads lazily, and figures drawn by the book's style carry their panel cuts
   (``wdd-panels`` in the PNG) to the page, where ``_static/wdd.js`` splits them on narrow screens.
4. Theme scripts and styles the book does not use are not linked (``DROPPED_ASSETS``): the
   fontawesome script (1.5 MB) draws icons that ``_static/wdd.css`` draws instead, and
   sphinx-thebe serves no launch button of this book. The theme writes the fontawesome tags
   into its template, so they are removed from the written pages.
5. Ids are unique on every page: sphinx-exercise gives every exercise and solution the same
   section id; repeats get a number (nothing links to them).
6. The whole book for offline reading: every build ends by zipping its HTML into
   ``OFFLINE_ZIP`` at the root of the site (the introduction links it).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import zipfile
from pathlib import Path

from PIL import Image

BOOK_ENV = "WDD_BOOK"  # the same name as helpers.widgets.BOOK_ENV (the package need not import)
# Theme files every page would load but the book does not need (file names as Sphinx links them).
DROPPED_ASSETS = ("fontawesome.js", "sphinx-thebe")
_THEME_TAGS = re.compile(
    r'<(?:script defer|link rel="preload" as="script") [^>]*fontawesome\.js[^>]*>(?:</script>)?\n?'
)
OFFLINE_ZIP = "weight-decay-decoupled-html.zip"
_DATA_PNG = re.compile(r"data:image/png;base64,([A-Za-z0-9+/=]+)")
_IMG = re.compile(r"<img\b([^>]*?)\ssrc=\"((?:\.\./)*_images/([^\"/]+\.png))\"")


def _drop_repeated_scripts(app, pagename, templatename, context, doctree):
    seen, unique = set(), []
    for script in context.get("script_files", []):
        filename = getattr(script, "filename", None) or ""
        body = script.attributes.get("body", "") if hasattr(script, "attributes") else ""
        kind = script.attributes.get("type", "") if hasattr(script, "attributes") else ""
        if any(name in filename for name in DROPPED_ASSETS) or "THEBE" in (body + kind).upper():
            continue
        key = (filename, tuple(sorted((k, str(v)) for k, v in script.attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def _image_sources(app) -> dict[str, Path]:
    """Output name in ``_images/`` -> the source file Sphinx copies there."""
    sources = {}
    for relpath, (_docs, outname) in app.env.images.items():
        sources[outname] = Path(app.srcdir) / relpath
    return sources


def _panels(path: Path) -> str:
    try:
        with Image.open(path) as image:
            return image.text.get("wdd-panels", "") if hasattr(image, "text") else ""
    except OSError:
        return ""


def _light_body(app, pagename, templatename, context, doctree):
    body = context.get("body")
    if not body:
        return
    images = Path(app.outdir) / "_images"
    pathto = context["pathto"]

    def to_file(match: re.Match) -> str:
        data = base64.b64decode(match.group(1))
        name = f"wdd-{hashlib.sha256(data).hexdigest()[:20]}.png"
        images.mkdir(parents=True, exist_ok=True)
        target = images / name
        if not target.exists():
            target.write_bytes(data)
        return pathto(f"_images/{name}", 1)

    body = _DATA_PNG.sub(to_file, body)
    sources = _image_sources(app)

    def annotate(match: re.Match) -> str:
        attributes, src, name = match.groups()
        extra = ' loading="lazy" decoding="async"' if "loading=" not in attributes else ""
        panels = _panels(sources[name]) if name in sources else ""
        if panels and "data-wdd-panels" not in attributes:
            extra += f' data-wdd-panels="{panels}"'
        return f'<img{attributes}{extra} src="{src}"'

    body = _IMG.sub(annotate, body)
    context["body"] = _unique_ids(body)


def _unique_ids(body: str) -> str:
    """Number the second and later uses of an id that nothing links to (``id="x-2"``, ...)."""
    seen: dict[str, int] = {}

    def renumber(match: re.Match) -> str:
        name = match.group(1)
        seen[name] = seen.get(name, 0) + 1
        if seen[name] == 1 or f'href="#{name}"' in body:
            return match.group(0)
        return f'id="{name}-{seen[name]}"'

    return re.sub(r'\bid="([^"]+)"', renumber, body)


def _drop_unused_css(app, pagename, templatename, context, doctree):
    context["css_files"] = [
        css
        for css in context.get("css_files", [])
        if not any(name in (getattr(css, "filename", "") or "") for name in DROPPED_ASSETS)
    ]


def _zip_the_book(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    for page in outdir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        lighter = _THEME_TAGS.sub("", text)
        if lighter != text:
            page.write_text(lighter, encoding="utf-8")
    target = outdir / OFFLINE_ZIP
    skip = {".buildinfo", ".doctrees", OFFLINE_ZIP}
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(outdir.rglob("*")):
            relative = path.relative_to(outdir)
            if path.is_file() and relative.parts[0] not in skip:
                archive.write(path, Path("weight-decay-decoupled") / relative)


def setup(app):
    os.environ[BOOK_ENV] = "1"
    app.connect("html-page-context", _drop_repeated_scripts)
    app.connect("html-page-context", _drop_unused_css)
    # after the page's body is final, before the template writes it
    app.connect("html-page-context", _light_body, priority=900)
    app.connect("build-finished", _zip_the_book)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
