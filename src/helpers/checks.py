"""Argument checks: one module, one message style, used by every function and config of the book.

Each check returns the value in a plain Python type (``float``, ``int``, ``bool``) or raises
``ValueError`` in one form, naming the argument and what it may be::

    lr must be a finite number > 0, got -5
    betas[1] must be in [0, 1), got 1.0
    steps must be an integer ≥ 1, got 2.5

Any real number is accepted where a real is asked for (``int``, ``float``, NumPy's float32, a
``Fraction``: anything registered as :class:`numbers.Real`), and any integral type where an
integer is asked for (``int``, NumPy's int64: anything with ``__index__``). Booleans are refused
by both, since ``True`` passed as a learning rate or a step count is always a mistake; strings,
``None``, NaN and ±inf are refused as well.

Introduced in the Introduction ("How to run this book"): every helper fails this way.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from numbers import Real

import numpy as np

# torch.manual_seed takes seeds in [0, 2**63): larger ones fail inside torch with "Overflow".
SEED_LIMIT = 2**63


def _is_bool(value) -> bool:
    return isinstance(value, (bool, np.bool_))


def _number(limit) -> str:
    return f"{limit:g}" if isinstance(limit, float) else str(limit)


def _allowed(kind: str, low, high, low_open: bool, high_open: bool) -> str:
    """What a value may be: 'a finite number > 0', 'an integer ≥ 1', 'in [0, 1)', …"""
    if low is not None and high is not None:
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        interval = f"in {left}{_number(low)}, {_number(high)}{right}"
        return interval if kind == "a finite number" else f"{kind} {interval}"
    if low is not None:
        return f"{kind} {'>' if low_open else '≥'} {_number(low)}"
    if high is not None:
        return f"{kind} {'<' if high_open else '≤'} {_number(high)}"
    return kind


def check_real(
    name: str,
    value,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """``value`` as a float, if it is a finite real number within the bounds given.

    ``low``/``high`` are inclusive unless ``low_open``/``high_open``: ``check_real("lr", lr,
    low=0, low_open=True)`` asks for lr > 0.
    """
    try:
        number = float(value) if isinstance(value, Real) and not _is_bool(value) else math.nan
    except OverflowError:  # an int too large for a float
        number = math.nan
    ok = math.isfinite(number)
    if ok and low is not None:
        ok = number > low if low_open else number >= low
    if ok and high is not None:
        ok = number < high if high_open else number <= high
    if not ok:
        allowed = _allowed("a finite number", low, high, low_open, high_open)
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return number


def check_int(name: str, value, *, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an int, if it is of an integral type (not bool) within [low, high]."""
    try:
        number = None if _is_bool(value) else operator.index(value)
    except TypeError:
        number = None
    if number is None or (low is not None and number < low) or (high is not None and number > high):
        allowed = _allowed("an integer", low, high, False, False)
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return number


def check_bool(name: str, value) -> bool:
    """``value`` as a bool, if it is ``True`` or ``False`` (NumPy's bool too; not 0, 1 or 'no')."""
    if not _is_bool(value):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_choice(name: str, value, choices: Sequence):
    """``value``, if it is one of ``choices``."""
    try:
        ok = value in choices
    except TypeError:  # an unhashable value asked of a set or dict
        ok = False
    if not ok:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def check_tuple(name: str, value, check, *, length: int | None = None, **bounds) -> tuple:
    """``value`` as a tuple, if it is a non-empty sequence (of ``length`` items, if given) whose
    items each pass ``check(f"{name}[i]", item, **bounds)``: ``check_tuple("lrs", lrs,
    check_real, low=0, low_open=True)``."""
    size = "a non-empty sequence" if length is None else f"a sequence of {length} items"
    if isinstance(value, np.ndarray) and value.ndim == 1:
        value = value.tolist()
    if (
        isinstance(value, (str, bytes))
        or not isinstance(value, Sequence)
        or len(value) != (length or len(value))
        or not value
    ):
        raise ValueError(f"{name} must be {size}, got {value!r}")
    return tuple(check(f"{name}[{i}]", item, **bounds) for i, item in enumerate(value))


def check_betas(name: str, value) -> tuple[float, float]:
    """``value`` as (β₁, β₂), if it is a pair of numbers each in [0, 1)."""
    if isinstance(value, np.ndarray) and value.ndim == 1:
        value = value.tolist()
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 2:
        raise ValueError(f"{name} must be a pair (β₁, β₂), each in [0, 1), got {value!r}")
    return tuple(
        check_real(f"{name}[{i}]", beta, low=0, high=1, high_open=True)
        for i, beta in enumerate(value)
    )


def check_seed(name: str, value) -> int:
    """``value`` as an int, if it is an integer in [0, 2**63), the seeds torch accepts."""
    try:
        return check_int(name, value, low=0, high=SEED_LIMIT - 1)
    except ValueError:
        raise ValueError(f"{name} must be an integer in [0, 2**63), got {value!r}") from None
