"""What real models used for weight decay, as their papers, configs and code state it.

The table is one file, ``data/real_models.csv``, one row per model, so a fact is edited in one
place; chapter 3 renders it and computes from it. Columns:

- ``model``, ``year``
- ``optimizer``: as the source names it ("not stated" where it names none)
- ``weight_decay``: λ exactly as stated: a number, "lr² (dynamic)", "not stated",
  "not disclosed", "none published", ...
- ``decayed``: which parameters are decayed, where the source says
- ``lr``, ``steps``: peak (or initial) learning rate and optimizer steps, only where the book's
  checked fact sheet holds them; empty otherwise
- ``sources``: ``;``-separated keys of ``references.bib``; ``where``: section, table or file
- ``status``: ✅ checked against the primary source, ◐ secondary sources only, ❌ unverified
- ``note``: what the value means, and what is unverified about it

Text cells are Markdown: flags, file names and code go in `backticks`.

Introduced in chapter 3 (Which weights to decay, and what real models used).
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from importlib import resources

COLUMNS = (
    "model",
    "year",
    "optimizer",
    "weight_decay",
    "decayed",
    "lr",
    "steps",
    "sources",
    "where",
    "status",
    "note",
)
REQUIRED = ("model", "year", "optimizer", "weight_decay", "decayed", "sources", "where", "status")
STATUSES = {
    "✅": "checked against the primary source (paper text, official repository or release)",
    "◐": "secondary sources only",
    "❌": "unverified: not to be stated as fact",
}
# How the page shows each status: text-font marks, which render without an emoji font
STATUS_MARKS = {"✅": "✓", "◐": "◐", "❌": "✗"}
_KEY = re.compile(r"^[A-Za-z0-9_:.-]+$")


@dataclass(frozen=True)
class ModelRow:
    """One model's weight-decay setting and where it is stated."""

    model: str
    year: int
    optimizer: str
    weight_decay: str  # as stated
    decayed: str
    lr: float | None
    steps: int | None
    sources: tuple[str, ...]
    where: str
    status: str
    note: str

    @property
    def weight_decay_value(self) -> float | None:
        """λ as a number when the source states one number, else None ("not stated", "lr²")."""
        try:
            value = float(self.weight_decay)
        except ValueError:
            return None
        return value if math.isfinite(value) else None


def _number(text: str, name: str, model: str, kind=float):
    if not text:
        return None
    try:
        value = kind(text)
    except ValueError:
        raise ValueError(f"{model}: {name} must be a number or empty, got {text!r}") from None
    if not value > 0:
        raise ValueError(f"{model}: {name} must be > 0, got {text!r}")
    return value


def parse_models(text: str) -> list[ModelRow]:
    """Rows of the CSV ``text``, checked: the exact header, every required column filled, a
    known status, numeric lr/steps, well-formed source keys, no model twice."""
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise ValueError(f"columns must be {', '.join(COLUMNS)}; got {reader.fieldnames}")
    rows, seen = [], set()
    for line, raw in enumerate(reader, start=2):
        model = raw["model"].strip() or f"line {line}"
        empty = [name for name in REQUIRED if not (raw[name] or "").strip()]
        if empty:
            raise ValueError(f"{model}: required column(s) {', '.join(empty)} empty")
        if model in seen:
            raise ValueError(f"{model}: listed twice")
        seen.add(model)
        if raw["status"] not in STATUSES:
            raise ValueError(
                f"{model}: status must be one of {' '.join(STATUSES)}, got {raw['status']!r}"
            )
        sources = tuple(key.strip() for key in raw["sources"].split(";"))
        bad = [key for key in sources if not _KEY.match(key)]
        if bad:
            raise ValueError(f"{model}: malformed source key(s) {bad}")
        year = _number(raw["year"], "year", model, int)
        rows.append(
            ModelRow(
                model=model,
                year=year,
                optimizer=raw["optimizer"].strip(),
                weight_decay=raw["weight_decay"].strip(),
                decayed=raw["decayed"].strip(),
                lr=_number(raw["lr"], "lr", model),
                steps=_number(raw["steps"], "steps", model, int),
                sources=sources,
                where=raw["where"].strip(),
                status=raw["status"],
                note=raw["note"].strip(),
            )
        )
    return rows


def load_models() -> list[ModelRow]:
    """The book's table, read from the installed package."""
    return parse_models(
        (resources.files("helpers") / "data" / "real_models.csv").read_text(encoding="utf-8")
    )


def bib_keys(bibtex: str) -> set[str]:
    """Every entry key in a BibTeX text (``@article{key,`` → ``key``)."""
    return set(re.findall(r"^\s*@\w+\s*\{\s*([^,\s]+)\s*,", bibtex, flags=re.MULTILINE))


def missing_sources(rows: list[ModelRow], keys: set[str]) -> dict[str, list[str]]:
    """``{model: [source keys not in keys]}`` for every row that cites an unknown key."""
    missing = {row.model: [k for k in row.sources if k not in keys] for row in rows}
    return {model: found for model, found in missing.items() if found}


@dataclass(frozen=True)
class Timescale:
    """What a (lr, λ) pair does per step and over a run, with the learning rate held constant."""

    model: str
    lr: float
    weight_decay: float
    steps: int | None

    @property
    def shrink(self) -> float:
        """η·λ: the fraction AdamW removes from each decayed weight per step."""
        return self.lr * self.weight_decay

    @property
    def tau(self) -> float:
        """τ = 1/(η·λ) steps: a weight with no gradient falls to 1/e in about τ steps."""
        return 1 / self.shrink

    @property
    def run_in_taus(self) -> float | None:
        """T/τ = η·λ·T: how many timescales the run lasts (at the peak lr, an upper bound)."""
        return None if self.steps is None else self.steps / self.tau


def timescales(rows: list[ModelRow]) -> list[Timescale]:
    """A :class:`Timescale` for every row that states both a numeric λ and an lr."""
    return [
        Timescale(row.model, row.lr, row.weight_decay_value, row.steps)
        for row in rows
        if row.lr is not None and row.weight_decay_value is not None
    ]


def _cell(text: str) -> str:
    """Markdown text made safe for a table cell: pipes escaped everywhere, and asterisks
    escaped outside `code spans` (so a path such as ``models/*/x.yml`` is not emphasis)."""
    parts = text.split("`")
    for i in range(0, len(parts), 2):  # even parts lie outside code spans
        parts[i] = parts[i].replace("*", "\\*")
    return "`".join(parts).replace("|", "\\|") or "—"


def markdown_table(rows: list[ModelRow]) -> str:
    """A MyST Markdown table of the rows: model (year), optimizer, λ, which parameters, and a
    source cell with the row's status mark (:data:`STATUS_MARKS`) and each source as a
    ``{footcite}`` footnote. The section or file each value comes from is in
    :func:`markdown_notes`."""
    lines = [
        "| Model | Optimizer | λ as stated | Which parameters are decayed | Source |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        cite = "{footcite}`" + ",".join(row.sources) + "`"
        lines.append(
            f"| {_cell(row.model)} ({row.year}) | {_cell(row.optimizer)} | "
            f"{_cell(row.weight_decay)} | {_cell(row.decayed)} | "
            f"{STATUS_MARKS[row.status]} {cite} |"
        )
    return "\n".join(lines)


def markdown_notes(rows: list[ModelRow]) -> str:
    """One Markdown list item per row: where in the source the values are, then the note."""
    items = []
    for row in rows:
        note = f" {_cell(row.note)}" if row.note else ""
        items.append(f"- **{_cell(row.model)}**, {_cell(row.where)}.{note}")
    return "\n".join(items)
