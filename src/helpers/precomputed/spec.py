"""A stored result's spec: its file, command, threads, configuration and points (named by keys).

Introduced in the Introduction (how the book keeps every number earned).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


class StoredDataError(ValueError):
    """A stored result that cannot be used: the message names the file, the fault and the fix."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a run (``train()`` returns the history so far): a sweep stops there."""


def config_hash(config: dict) -> str:
    """A short, stable hash of a JSON-serialisable configuration."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def point_key(axes: Sequence[str], coordinates: Sequence) -> str:
    """The name of a point: ``"rule=olmo2/λ=1/seed=0"`` for axes (rule, λ, seed); floats as
    ``:g`` (1.0 → "1", 0.003 → "0.003")."""
    if len(coordinates) != len(axes):
        raise ValueError(
            f"a point has {len(axes)} coordinates ({', '.join(axes)}), got {tuple(coordinates)!r}"
        )
    return "/".join(
        f"{axis}={value:g}" if isinstance(value, float) else f"{axis}={value}"
        for axis, value in zip(axes, coordinates, strict=True)
    )


@dataclass(frozen=True)
class Spec:
    """What a stored result is and how it is made."""

    name: str  # the file: helpers/data/<name>.json
    command: str  # the documented command that makes it
    threads: int  # torch threads of every run (float32 sums, and so the numbers, depend on it)
    config: dict  # everything else that decides the numbers; its hash guards the file
    axes: tuple[str, ...]  # what names a point, in key order, e.g. ("rule", "λ", "seed")
    points: tuple[tuple, ...]  # the coordinates of every point, in the order make() runs them
    digits: int = 6  # significant digits kept of every float (far below any tolerance used)
    check: Callable[[dict], None] | None = field(default=None, compare=False)  # shape of a point
    # what decides one point's numbers (its resume cache is keyed by it, so adding points or
    # seeds keeps the finished ones); None: the whole config
    point_config: Callable[..., dict] | None = field(default=None, compare=False)

    def __post_init__(self):
        # the config as the file will hold it (tuples become lists), so that load() compares like
        object.__setattr__(self, "config", json.loads(json.dumps(self.config)))
        keys = [self.key(*point) for point in self.points]
        if len(set(keys)) != len(keys):
            raise ValueError(f"{self.name}: two points have the same key")
        if self.config.get("threads", self.threads) != self.threads:
            raise ValueError(f"{self.name}: config['threads'] differs from threads={self.threads}")

    def key(self, *coordinates) -> str:
        """The name of a point: ``"rule=olmo2/λ=1/seed=0"`` for axes (rule, λ, seed)."""
        return point_key(self.axes, coordinates)

    @property
    def keys(self) -> list[str]:
        return [self.key(*point) for point in self.points]

    @property
    def config_hash(self) -> str:
        return config_hash(self.config)
