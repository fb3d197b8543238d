"""The tiny GPT's default training text, the same on every Python: Python 3.11.7's topic help.

Python ships the help text of its keywords and topics (``pydoc_data.topics``, about 465 KB of
English and code), but every version ships another text (3.10's and 3.12's differ from 3.11's),
so a book that trained on the running interpreter's copy would train on other data on Colab's
Python. This module reads one frozen copy instead, shipped as package data
(``helpers/data/python_topics.txt``, PSF License; provenance and licence in
``python_topics.LICENSE.txt`` beside it), and checks its fingerprint on every read.

Needs no torch: ``python -c "import helpers.corpus as c; print(c.fingerprint(c.default_text()))"``
runs on any Python ≥ 3.10.

Introduced in chapter 4 (train a tiny GPT with a λ slider).
"""

from __future__ import annotations

import hashlib
from importlib import resources

FILE = "python_topics.txt"  # in helpers/data/
SOURCE = "pydoc_data.topics of Python 3.11.7 (helpers/data/python_topics.txt)"
FINGERPRINT = "71f2ff5d99bdc1f9"  # the first 16 hex digits of the text's sha256


def fingerprint(text: str) -> str:
    """The first 16 hex digits of the sha256 of ``text`` (UTF-8): stored results name their text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def default_text() -> str:
    """The frozen corpus; an error naming the file if it is missing or not the shipped text."""
    path = resources.files("helpers") / "data" / FILE
    try:
        # read_text turns "\r\n" (a checkout that rewrote line endings) back into "\n"
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError) as error:
        raise RuntimeError(
            f"helpers/data/{FILE} is missing or not UTF-8 text ({error}); reinstall the package "
            "(pip install -e .) or restore the file from git"
        ) from None
    found = fingerprint(text)
    if found != FINGERPRINT:
        raise RuntimeError(
            f"helpers/data/{FILE} is not the shipped corpus (sha256 {found}…, expected "
            f"{FINGERPRINT}…); restore it from git (see python_topics.LICENSE.txt beside it)"
        )
    return text
