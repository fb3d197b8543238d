"""Character-level text for the tiny GPT: a corpus shipped with the package, or any text file.

The default corpus is the help text of Python's own keywords and topics (``pydoc_data.topics``,
about 465 KB of English and code) as Python 3.11.7 ships it, frozen as package data by
:mod:`helpers.corpus`, so nothing is downloaded and every Python trains on the same text. Every
result made from it records ``CharData.source`` and ``CharData.fingerprint``.

Introduced in chapter 4 (train a tiny GPT with a λ slider).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import torch

from helpers import corpus
from helpers.checks import check_int, check_real


def load_text(path: str | Path, encoding: str = "utf-8") -> str:
    """Read a text file for training; line endings become ``\\n`` whatever the platform wrote."""
    path = Path(path)
    try:
        return path.read_text(encoding=encoding)
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{path} is not {encoding} text ({error.reason} at byte {error.start}); "
            f"pass encoding='latin-1' or the file's real encoding"
        ) from None


@dataclass(frozen=True)
class Vocab:
    """The characters a model knows, in sorted order; a character's id is its position."""

    chars: str

    @classmethod
    def from_text(cls, text: str) -> Vocab:
        """The sorted set of characters in ``text``: the same text always gives the same ids."""
        return cls("".join(sorted(set(text))))

    @property
    def size(self) -> int:
        return len(self.chars)

    def encode(self, text: str, unknown: str | None = None) -> torch.Tensor:
        """Token ids (int64) for ``text``.

        A character outside the vocabulary (a prompt or a file with characters the training text
        did not have) is an error naming it, unless ``unknown`` says what to do: a character of
        the vocabulary to put in its place (e.g. ``" "``), or ``""`` to drop it.
        """
        index = {ch: i for i, ch in enumerate(self.chars)}
        missing = sorted(set(text) - index.keys())
        if missing:
            if unknown is None:
                shown = "".join(missing[:20]) + (" ..." if len(missing) > 20 else "")
                raise ValueError(
                    f"{len(missing)} character(s) not in the vocabulary: {shown!r}; pass "
                    f"unknown=' ' to replace them or unknown='' to drop them"
                )
            if unknown and (len(unknown) != 1 or unknown not in index):
                raise ValueError(
                    f"unknown must be '' or one character of the vocabulary, got {unknown!r}"
                )
            text = "".join(ch if ch in index else unknown for ch in text)
        return torch.tensor([index[ch] for ch in text], dtype=torch.long)

    def decode(self, ids) -> str:
        """The text for a sequence of ids (a list or a 1-D tensor), each in [0, size)."""
        if isinstance(ids, torch.Tensor):
            if ids.dim() != 1:
                raise ValueError(f"ids must be one sequence (a 1-D tensor), got {tuple(ids.shape)}")
            ids = ids.tolist()
        return "".join(
            self.chars[check_int(f"ids[{i}]", token, low=0, high=self.size - 1)]
            for i, token in enumerate(ids)
        )


@dataclass(frozen=True)
class CharData:
    """A text split into a training and a validation part, as token ids."""

    vocab: Vocab  # from the whole text, so validation never meets an unknown character
    train: torch.Tensor  # int64 ids of the training part
    val: torch.Tensor  # int64 ids of the validation part (the end of the text)
    source: str  # where the text came from, e.g. helpers.corpus.SOURCE
    fingerprint: str  # sha256 of the text (16 hex digits): stored results name the exact text

    def with_train_chars(self, train_chars: int | None) -> CharData:
        """The same data with training cut to its first ``train_chars`` characters (the
        small-data setting in which decay's effect shows); ``None`` keeps all of it."""
        if train_chars is None:
            return self
        try:
            train_chars = check_int("train_chars", train_chars, low=2, high=len(self.train))
        except ValueError as error:
            raise ValueError(f"{error} (the training part has {len(self.train)})") from None
        return replace(self, train=self.train[:train_chars])


def char_data(text: str | None = None, val_fraction: float = 0.1, source: str = "") -> CharData:
    """Encode ``text`` (default: the frozen corpus of :mod:`helpers.corpus`, Python 3.11.7's help
    topics, on every Python) and split it once, deterministically:
    the last ``val_fraction`` of the characters is the validation part, the rest is training."""
    val_fraction = check_real(
        "val_fraction", val_fraction, low=0, high=1, low_open=True, high_open=True
    )
    if text is not None and not isinstance(text, str):
        raise ValueError(f"text must be a string or None, got {type(text).__name__}")
    if not isinstance(source, str):
        raise ValueError(f"source must be a string, got {source!r}")
    if text is None:
        text = corpus.default_text()
        source = source or corpus.SOURCE
    if len(text) < 4:
        raise ValueError(f"text must hold at least 4 characters, got {len(text)}")
    vocab = Vocab.from_text(text)
    ids = vocab.encode(text)
    n_train = min(max(int(len(ids) * (1 - val_fraction)), 2), len(ids) - 2)
    return CharData(
        vocab=vocab,
        train=ids[:n_train],
        val=ids[n_train:],
        source=source or "text",
        fingerprint=corpus.fingerprint(text),
    )


def get_batch(
    ids: torch.Tensor, batch_size: int, block_size: int, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """``batch_size`` random windows of ``block_size`` ids and the same windows shifted by one
    (the targets). The windows' start positions come from ``generator``, so a seeded generator
    gives the same batches every run."""
    batch_size = check_int("batch_size", batch_size, low=1)
    block_size = check_int("block_size", block_size, low=1)
    if len(ids) < block_size + 1:
        raise ValueError(
            f"the text part has {len(ids)} characters; block_size={block_size} needs at least "
            f"{block_size + 1}"
        )
    starts = torch.randint(len(ids) - block_size, (batch_size,), generator=generator)
    window = starts[:, None] + torch.arange(block_size + 1)
    chunk = ids[window.to(ids.device)]
    return chunk[:, :-1], chunk[:, 1:]
