"""Show the lines a chapter explains, read from the installed package, with a link to them.

``show(AdamW._weight_decay)`` displays the source of a function, method or class exactly as the
package runs it, with its file and line numbers and a link to the same lines in the book's
repository, so the page and the code cannot disagree. ``start`` and ``stop`` pick a slice: the
first line containing ``start`` through the first line after it containing ``stop``.

Introduced in chapter 2 (L2 inside Adam is not weight decay), which shows the decay switch.
"""

from __future__ import annotations

import inspect
import textwrap
from dataclasses import dataclass
from pathlib import Path

import helpers

# The one repository the book links to; tests/test_show.py checks it against _config.yml.
REPOSITORY = "https://github.com/weight-decay-decoupled/weight-decay-decoupled"
BRANCH = "main"


@dataclass(frozen=True)
class Snippet:
    """Lines ``first``–``last`` (1-based, inclusive) of ``path`` (relative to the repository)."""

    code: str
    path: str
    first: int
    last: int

    @property
    def url(self) -> str:
        return f"{REPOSITORY}/blob/{BRANCH}/{self.path}#L{self.first}-L{self.last}"

    def _repr_markdown_(self) -> str:
        return (
            f"```python\n{self.code}\n```\n"
            f"<small>[`{self.path}`, lines {self.first}–{self.last}]({self.url})</small>"
        )

    def __str__(self) -> str:
        return f"# {self.path}, lines {self.first}-{self.last}\n{self.code}"


def _line_index(lines: list[str], text: str, after: int, name: str) -> int:
    for i in range(after, len(lines)):
        if text in lines[i]:
            return i
    raise ValueError(f"{name}={text!r} is not in the lines shown (from line {after + 1} on)")


def snippet(obj, start: str | None = None, stop: str | None = None) -> Snippet:
    """The source of ``obj`` (or the slice from ``start`` to ``stop``) and where it lives."""
    obj = inspect.unwrap(getattr(obj, "__func__", obj))
    try:
        lines, first = inspect.getsourcelines(obj)
        file = Path(inspect.getsourcefile(obj)).resolve()
    except (TypeError, OSError) as error:
        raise ValueError(f"obj must be a function, method or class of helpers, got {obj!r}") from (
            error
        )
    package = Path(helpers.__file__).resolve().parent
    if package not in file.parents:
        raise ValueError(f"obj must come from the helpers package, got one from {file}")
    i = _line_index(lines, start, 0, "start") if start is not None else 0
    j = _line_index(lines, stop, i, "stop") if stop is not None else len(lines) - 1
    code = textwrap.dedent("".join(lines[i : j + 1])).rstrip("\n")
    path = "src/helpers/" + file.relative_to(package).as_posix()
    return Snippet(code=code, path=path, first=first + i, last=first + j)


def show(obj, start: str | None = None, stop: str | None = None) -> None:
    """Display the source of ``obj`` (see :func:`snippet`) in a notebook; print it elsewhere."""
    piece = snippet(obj, start, stop)
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:
        get_ipython = None
    if get_ipython is None or get_ipython() is None:
        print(piece)
    else:
        display(Markdown(piece._repr_markdown_()))
