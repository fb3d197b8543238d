"""Stored results: one spec, one ``make`` that trains and saves them, one ``load`` that checks them.

A chapter that needs minutes of training plots a stored result instead. Every stored result has
the same shape:

- a :class:`Spec`: the file's name, the command that makes it, the torch thread count of every
  run, the configuration (everything else that decides the numbers; its hash guards the file),
  and the points, each named by its coordinates on the spec's axes: axes ``("rule", "λ", "seed")``
  and point ``("olmo2", 1.0, 0)`` give the key ``"rule=olmo2/λ=1/seed=0"``;
- a chapter module that exposes ``STORED`` (its spec), ``run_point(*coordinates)`` (one point as
  a JSON-ready dict) and ``load()`` (the checked file, a :class:`Stored`);
- :func:`make`, which owns the threads, the resume cache, the rounding, the progress lines and
  the saving, so that each script is argparse around one call.

Each file records the machine that made it (:func:`machine`). Float32 training is
bit-reproducible on one CPU with one thread count, not across CPU families, so :func:`compare`
checks a live run exactly against the stored one where the computation is the same, and
elsewhere against a spread that was measured: the same runs under other kernels and thread
counts, and other seeds (``helpers/data/spreads.json``, made by
``python scripts/measure_spreads.py``).

Introduced in the Introduction (how the book keeps every number earned).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import multiprocessing
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
# Variables that change which CPU kernels PyTorch, oneDNN or MKL run, and so the float32 sums.
KERNEL_ENV = (
    "ATEN_CPU_CAPABILITY",
    "ONEDNN_MAX_CPU_ISA",
    "DNNL_MAX_CPU_ISA",
    "MKL_ENABLE_INSTRUCTIONS",
    "MKL_CBWR",
)
# The parts of machine() that decide float32 results bit for bit (Python and NumPy do not).
SAME_COMPUTATION = ("cpu", "cpu_capability", "kernel_env", "torch", "threads")
RECORD_KEYS = ("command", "config", "config_hash", "machine", "results")
PROGRESS_EVERY_S = 10.0  # at most one progress line this often (and after the last point)


class StoredDataError(ValueError):
    """A stored result that cannot be used: the message names the file, the fault and the fix."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a run (``train()`` returns the history so far): a sweep stops there."""


def config_hash(config: dict) -> str:
    """A short, stable hash of a JSON-serialisable configuration."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cpu_name() -> str:
    """The CPU's model name (Linux: /proc/cpuinfo), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def machine(threads: int | None = None) -> dict:
    """What a result was computed on: CPU model and the SIMD level PyTorch dispatches to, the
    variables that change kernels, torch threads (``None``: the current count) and versions."""
    import numpy as np
    import torch

    return {
        "cpu": cpu_name(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "kernel_env": {name: os.environ[name] for name in KERNEL_ENV if name in os.environ},
        "threads": torch.get_num_threads() if threads is None else threads,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "system": f"{platform.system()} {platform.machine()}",
    }


def machine_summary(made_on: dict) -> str:
    """One line: ``AMD EPYC (AVX512), 1 thread, torch 2.13.0+cpu, Python 3.11.7``."""
    env = "".join(f", {k}={v}" for k, v in made_on.get("kernel_env", {}).items())
    threads = made_on["threads"]
    return (
        f"{made_on['cpu']} ({made_on['cpu_capability']}{env}), {threads} "
        f"thread{'s' if threads != 1 else ''}, torch {made_on['torch']}, "
        f"Python {made_on['python']}"
    )


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


# ---------------------------------------------------------------------------------------------
# Making: threads, resume cache, rounding, progress, saving
# ---------------------------------------------------------------------------------------------


def rounded(value, digits: int = 6):
    """``value`` with every float cut to ``digits`` significant digits; NaN and ±inf become
    None (JSON has neither, and :func:`load` rejects them inside curves)."""
    if isinstance(value, dict):
        return {key: rounded(v, digits) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(v, digits) for v in value]
    if isinstance(value, float):
        return float(f"{value:.{digits}g}") if math.isfinite(value) else None
    return value


def write_json(path: Path, value) -> None:
    """Write atomically: a temporary file beside ``path``, then ``os.replace`` (all or nothing)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(
            json.dumps(value, indent=1, ensure_ascii=False, allow_nan=False) + "\n",
            encoding="utf-8",
        )
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def stop_if_interrupted(stopped: str, what: str) -> None:
    """Raise :class:`Interrupted` if a run came back cut short by Ctrl-C (``stopped`` is
    ``"interrupted"``): a sweep must not store it, nor go on to the next point."""
    if stopped == "interrupted":
        raise Interrupted(f"{what} was interrupted")


def _cache_path(spec: Spec, key: str, cache_dir: Path) -> Path:
    made_on = machine(spec.threads)
    same = {name: made_on[name] for name in SAME_COMPUTATION}
    config = spec.config if spec.point_config is None else spec.point_config(*spec_point(spec, key))
    point_hash = config_hash({"config": config, "key": key, "machine": same})
    return cache_dir / spec.name / f"{point_hash}.json"


def spec_point(spec: Spec, key: str) -> tuple:
    """The coordinates of the point named ``key``."""
    return dict(zip(spec.keys, spec.points, strict=True))[key]


def _read_cache(path: Path, log) -> dict | None:
    """A cached point, or None if absent; an unreadable cache is absent, with a warning."""
    if not path.exists():
        return None
    try:
        point = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(point, dict):
            raise ValueError("not a JSON object")
        return point
    except (OSError, UnicodeDecodeError, ValueError) as error:
        warnings.warn(
            f"ignoring the unreadable cache {path} ({error}); running the point again",
            stacklevel=3,
        )
        log(f"ignoring the unreadable cache {path}: {error}")
        return None


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _in_worker(job: tuple) -> tuple:
    """One point in a worker process: (key, "ok", result, seconds) or (key, "interrupted", …)."""
    import torch

    run_point, threads, key, coordinates = job
    torch.set_num_threads(threads)
    start = time.perf_counter()
    try:
        return key, "ok", run_point(*coordinates), time.perf_counter() - start
    except KeyboardInterrupt as interrupt:
        return key, "interrupted", str(interrupt) or "Ctrl-C", 0.0


def _validated(spec: Spec, key: str, point, where: str) -> dict:
    """``point`` if it is a JSON object of finite curves of the spec's shape, else an error."""
    try:
        check_values(point)
        if spec.check is not None:
            spec.check(point)
    except (ValueError, TypeError, KeyError) as error:
        raise StoredDataError(f"{where}: point {key}: {error}") from None
    return point


def make(
    spec: Spec,
    run_point: Callable[..., dict],
    *,
    output: Path | None = None,
    cache_dir: Path | None = None,
    resume: bool = False,
    workers: int = 1,
    extra: Callable[[], dict] | None = None,
    log: Callable[[str], None] | None = None,
) -> Path:
    """Run every point of ``spec`` with ``run_point(*coordinates)`` and save the result.

    Every run uses ``spec.threads`` torch threads, whatever ``workers`` is (workers are separate
    processes that share the points out). Each finished point is rounded to ``spec.digits``
    significant digits, checked, and written atomically to ``cache_dir`` (default
    ``_build/precomputed`` under the current folder); ``resume=True`` reuses the points cached by
    an earlier run of the same configuration on a machine that computes the same. ``extra()``
    adds entries beside ``"points"`` (e.g. the training text). Progress (point i of n, elapsed,
    estimated time left) goes to ``log`` (default: stderr).

    Ctrl-C stops at once: the finished points stay cached, nothing is written to the data file,
    and the message says how to resume (raises :class:`Interrupted`).
    Returns the path of the saved file (``output``, default ``helpers/data/<name>.json``).
    """
    import torch

    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    limit = os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= limit:
        raise ValueError(f"workers must be an integer from 1 to {limit} (CPUs), got {workers!r}")
    output = Path(output) if output is not None else DATA_DIR / f"{spec.name}.json"
    cache_dir = Path(cache_dir) if cache_dir is not None else Path("_build") / "precomputed"
    keys = dict(zip(spec.keys, spec.points, strict=True))
    caches = {key: _cache_path(spec, key, cache_dir) for key in keys}
    points = {}
    if resume:
        for key, path in caches.items():
            cached = _read_cache(path, log)
            if cached is not None:
                points[key] = _validated(spec, key, cached, str(path))
    pending = [key for key in keys if key not in points]
    log(
        f"{spec.name}: {len(keys)} points, {len(points)} from the cache, {len(pending)} to run "
        f"with {workers} worker{'s' if workers != 1 else ''} on "
        f"{machine_summary(machine(spec.threads))}"
    )
    start, done, last_line = time.perf_counter(), 0, -math.inf

    def finished(key: str, result, seconds: float) -> None:
        nonlocal done, last_line
        point = _validated(spec, key, rounded(result, spec.digits), f"run_point{keys[key]!r}")
        write_json(caches[key], point)
        points[key] = point
        done += 1
        now = time.perf_counter()
        if now - last_line >= PROGRESS_EVERY_S or done == len(pending):  # not 800 lines a grid
            last_line = now
            left = (now - start) / done * (len(pending) - done)
            log(
                f"[point {len(points)} of {len(keys)}] {key} in {_duration(seconds)} · elapsed "
                f"{_duration(now - start)} · about {_duration(left)} left"
            )

    threads_before = torch.get_num_threads()
    try:
        if workers == 1 or len(pending) <= 1:
            torch.set_num_threads(spec.threads)
            for key in pending:
                t0 = time.perf_counter()
                finished(key, run_point(*keys[key]), time.perf_counter() - t0)
        else:
            context = multiprocessing.get_context("spawn")  # no fork after torch's threads
            with context.Pool(min(workers, len(pending))) as pool:
                jobs = [(run_point, spec.threads, key, keys[key]) for key in pending]
                results = pool.imap_unordered(_in_worker, jobs, chunksize=1)
                for _ in jobs:
                    key, status, value, seconds = _next(results)
                    if status == "interrupted":
                        raise Interrupted(value)
                    finished(key, value, seconds)
    except KeyboardInterrupt:
        log(
            f"\ninterrupted: {len(points)} of {len(keys)} points are finished and cached in "
            f"{cache_dir / spec.name}; nothing was written to {output}.\n"
            f"Resume with: {spec.command} --resume"
        )
        raise Interrupted(
            f"{spec.name}: interrupted after {len(points)} of {len(keys)} points"
        ) from None
    finally:
        torch.set_num_threads(threads_before)

    results = {"points": {key: points[key] for key in keys}}
    if extra is not None:
        results.update(extra())
    record = {
        "command": spec.command,
        "config": spec.config,
        "config_hash": spec.config_hash,
        "machine": machine(spec.threads),
        "results": results,
    }
    write_json(output, record)
    elapsed = _duration(time.perf_counter() - start)
    log(f"wrote {output} ({output.stat().st_size / 1e3:.0f} kB) in {elapsed}")
    return output


def _next(results):
    """The next finished point, waiting in short slices so that Ctrl-C is heard at once."""
    while True:
        try:
            return results.next(timeout=0.5)
        except multiprocessing.TimeoutError:
            continue


# ---------------------------------------------------------------------------------------------
# Loading: the file as installed; every fault named, with the command that regenerates it
# ---------------------------------------------------------------------------------------------


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
            _validated(spec, key, point, str(path))
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
        """The machine that computed every point (see :func:`machine`)."""
        return self.record["machine"]

    def same_computation(self) -> bool:
        """True when a run here, with the spec's thread count, repeats the stored run bit for bit:
        the same CPU model, SIMD level, kernel variables, torch build and threads."""
        here = machine(self.spec.threads)
        return all(here[name] == self.made_on[name] for name in SAME_COMPUTATION)


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


# ---------------------------------------------------------------------------------------------
# The scripts: argparse around make() (the parser needs no torch, so --help is instant)
# ---------------------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]  # the repository, for an editable install


def script_parser(doc: str, seeds: bool = True) -> argparse.ArgumentParser:
    """The options every sweep script shares; ``doc`` is the script's docstring."""
    first, _, rest = doc.strip().partition("\n")
    parser = argparse.ArgumentParser(
        description=first,
        epilog=rest.strip("\n"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cpus = os.cpu_count() or 1
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help=f"processes that share the points out, 1 to {cpus} (default 1); each run uses the "
        "stored thread count whatever N is, so the numbers do not depend on it",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="reuse the points an interrupted run finished (cached in _build/precomputed/)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        metavar="PATH",
        help="write here instead of the package's data file (the book reads only that one)",
    )
    if seeds:
        parser.add_argument(
            "--seeds",
            type=int,
            nargs="+",
            metavar="S",
            help="train these seeds instead of the book's (needs --output: the book's file "
            "must hold the book's seeds)",
        )
    return parser


def parse_script_args(parser: argparse.ArgumentParser, argv=None) -> argparse.Namespace:
    """Parse, and refuse what make() would refuse later: bad workers, seeds without --output."""
    args = parser.parse_args(argv)
    cpus = os.cpu_count() or 1
    if not 1 <= args.workers <= cpus:
        parser.error(f"--workers must be from 1 to {cpus} (the CPUs here), got {args.workers}")
    if getattr(args, "seeds", None) is not None:
        if args.output is None:
            parser.error("--seeds needs --output: the book's data file holds the book's seeds")
        if any(seed < 0 for seed in args.seeds) or len(set(args.seeds)) != len(args.seeds):
            parser.error(f"--seeds must be distinct integers ≥ 0, got {args.seeds}")
    return args


def run_script(
    spec: Spec,
    run_point: Callable[..., dict],
    args: argparse.Namespace,
    extra: Callable[[], dict] | None = None,
) -> int:
    """:func:`make` with the script's options; the exit status (130 after Ctrl-C)."""
    try:
        make(
            spec,
            run_point,
            output=args.output,
            cache_dir=ROOT / "_build" / "precomputed",
            resume=args.resume,
            workers=args.workers,
            extra=extra,
        )
    except Interrupted:
        return 130
    return 0
