"""Small Sphinx fixes for the book's pinned toolchain (jupyter-book 1.0.4, Sphinx 7.4).

sphinx-thebe registers its inline configuration script after the HTML builder has started, so
Sphinx emits it twice and every page throws "Identifier 'THEBE_JS_URL' has already been
declared". Inline scripts have no file name for Sphinx to de-duplicate by, so drop exact
repeats here. Remove this extension when the pins move past the bug.
"""


def _drop_repeated_scripts(app, pagename, templatename, context, doctree):
    seen, unique = set(), []
    for script in context.get("script_files", []):
        key = (getattr(script, "filename", None) or "", tuple(sorted((k, str(v)) for k, v in script.attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", _drop_repeated_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

