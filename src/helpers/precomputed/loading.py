"""Loading a stored result: the file as installed, checked, with every fault named together with
the command that regenerates it.

Introduced in the Introduction (how the book keeps every number earned).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources

from helpers.precomputed import machines
from helpers.precomputed.spec import Spec, StoredDataError

RECORD_KEYS = ("command", "config", "config_hash", "machine", "results")


def data_files():
    """The package's data folder as installed (works from a wheel and an editable install)."""
    return resources.files("helpers") / "data"


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_values(point, where: str = "") -> None:
    """Fail (ValueError) unless ``point`` is a JSON object whose lists, at any depth, hold
    finite numbers only: a curve with a null or NaN in it is a damaged file, not a gap to plot."""
    if not where and not isinstance(point, dict):
        raise ValueError(f"is {type(point).__name__}, not a JSON object")
    if isinstance(point, dict):
        for key, value in point.items():
            check_values(value, f"{where}/{key}" if where else str(key))
    elif isinstance(point, list):
        for i, value in enumerate(point):
            if isinstance(value, (dict, list)):
                check_values(value, f"{where}[{i}]")
            elif not _is_number(value) or not math.isfinite(value):
                raise ValueError(f"{where}[{i}] is {value!r}, not a finite number")
    elif isinstance(point, float) and not math.isfinite(point):
        raise ValueError(f"{where} is {point!r}")


def validated(spec: Spec, key: str, point, where: str) -> dict:
    """``point`` if it is a JSON object of finite curves of the spec's shape, else an error."""
    try:
        check_values(point)
        if spec.check is not None:
            spec.check(point)
    except (ValueError, TypeError, KeyError) as error:
        raise StoredDataError(f"{where}: point {key}: {error}") from None
    return point


def _no_constants(name: str):
    raise ValueError(f"it holds {name}, which is not a number")


def read_record(spec: Spec, path=None) -> dict:
    """The stored file of ``spec`` as a dict, checked: it exists, is JSON, has every key of a
    stored result, was made from ``spec.config``, holds exactly ``spec``'s points, and every point
    has finite curves of the right shape. Otherwise :class:`StoredDataError` (a ValueError) names
    the file, the fault and the command that regenerates it."""
    path = data_files() / f"{spec.name}.json" if path is None else path
    fix = f"regenerate it with: {spec.command}"

    def fault(what: str) -> StoredDataError:
        return StoredDataError(f"{path}: {what}; {fix}")

    try:
        raw = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise StoredDataError(f"{path} is missing; make it with: {spec.command}") from None
    if not raw.strip():
        raise fault("the file is empty")
    try:
        record = json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
    except UnicodeDecodeError:
        raise fault("the file is not UTF-8 text (binary or damaged)") from None
    except ValueError as error:  # JSONDecodeError is a ValueError; so is a NaN
        raise fault(f"the file is not valid JSON (cut short or damaged?): {error}") from None
    if not isinstance(record, dict) or not all(key in record for key in RECORD_KEYS):
        found = sorted(record) if isinstance(record, dict) else type(record).__name__
        needs = ", ".join(RECORD_KEYS)
        raise fault(f"not a stored result of this book (needs {needs}; found {found})")
    if record["config_hash"] != spec.config_hash or record["config"] != spec.config:
        raise fault("it was made from another configuration than the code's")
    points = record["results"].get("points") if isinstance(record["results"], dict) else None
    if not isinstance(points, dict):
        raise fault("its results hold no points")
    missing = [key for key in spec.keys if key not in points]
    unknown = [key for key in points if key not in spec.keys]
    if missing or unknown:
        listed = ", ".join((missing or unknown)[:3])
        raise fault(f"{'it lacks' if missing else 'it has unknown'} points ({listed}, …)")
    for key, point in points.items():
        try:
            validated(spec, key, point, str(path))
        except StoredDataError as error:
            raise StoredDataError(f"{error}; {fix}") from None
    return record


@dataclass(frozen=True)
class Stored:
    """A checked stored result: its points by key, and the machine that computed them."""

    spec: Spec
    record: dict = field(repr=False)  # the whole file: command, config, machine, results

    @property
    def points(self) -> dict[str, dict]:
        return self.record["results"]["points"]

    def point(self, *coordinates) -> dict:
        """One point by its coordinates, e.g. ``point("olmo2", 1.0, 0)``."""
        key = self.spec.key(*coordinates)
        try:
            return self.points[key]
        except KeyError:
            stored = ", ".join(list(self.points)[:8])
            raise KeyError(f"{self.spec.name} has no point {key}; stored: {stored}, …") from None

    @property
    def made_on(self) -> dict:
        """The machine that computed every point (see :func:`machines.machine`)."""
        return self.record["machine"]

    def same_computation(self) -> bool:
        """True when a run here, with the spec's thread count, repeats the stored run bit for bit:
        the same CPU model, SIMD level, kernel variables, torch build and threads."""
        here = machines.machine(self.spec.threads)
        return all(here[name] == self.made_on[name] for name in machines.SAME_COMPUTATION)


def load(spec: Spec, cls: type[Stored] = Stored) -> Stored:
    """The stored result of ``spec``, checked by :func:`read_record`, as ``cls``."""
    return cls(spec, read_record(spec))


def check_curves(point: dict, paths: Sequence[str], steps: str = "step") -> None:
    """Fail (ValueError) unless every path ("group_norm/decay") holds a list as long as the
    evaluation steps at ``steps``: one value per evaluation."""

    def at(path: str):
        value = point
        for part in path.split("/"):
            if not isinstance(value, dict) or part not in value:
                raise ValueError(f"{path} is missing")
            value = value[part]
        if not isinstance(value, list):
            raise ValueError(f"{path} is {type(value).__name__}, not a list")
        return value

    n = len(at(steps))
    if n == 0:
        raise ValueError(f"{steps} is empty")
    for path in paths:
        if len(at(path)) != n:
            raise ValueError(f"{path} has {len(at(path))} values for {n} evaluations")
