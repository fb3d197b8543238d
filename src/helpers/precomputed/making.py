"""Making a stored result: :func:`make` owns the threads, the resume cache, the rounding, the
progress lines and the saving, so that each script is argparse around one call.

Introduced in the Introduction (how the book keeps every number earned).
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from helpers.precomputed import machines
from helpers.precomputed.loading import validated
from helpers.precomputed.spec import Interrupted, Spec, config_hash

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
PROGRESS_EVERY_S = 10.0  # at most one progress line this often (and after the last point)


def rounded(value, digits: int = 6):
    """``value`` with every float cut to ``digits`` significant digits; NaN and ±inf become
    None (JSON has neither, and :func:`~helpers.precomputed.load` rejects them inside curves)."""
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


def cache_path(spec: Spec, key: str, cache_dir: Path) -> Path:
    """Where point ``key`` is cached: keyed by what decides its numbers, the machine included."""
    made_on = machines.machine(spec.threads)
    same = {name: made_on[name] for name in machines.SAME_COMPUTATION}
    coordinates = dict(zip(spec.keys, spec.points, strict=True))[key]
    config = spec.config if spec.point_config is None else spec.point_config(*coordinates)
    point_hash = config_hash({"config": config, "key": key, "machine": same})
    return cache_dir / spec.name / f"{point_hash}.json"


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
            stacklevel=4,
        )
        log(f"ignoring the unreadable cache {path}: {error}")
        return None


def _cached_points(spec: Spec, caches: dict[str, Path], log) -> dict[str, dict]:
    """The points an earlier run finished and cached, checked, by key."""
    points = {}
    for key, path in caches.items():
        cached = _read_cache(path, log)
        if cached is not None:
            points[key] = validated(spec, key, cached, str(path))
    return points


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class _Progress:
    """Progress lines: point i of n, elapsed, an estimate of the time left; at most one line
    every PROGRESS_EVERY_S seconds (not 800 lines a grid), and one after the last point."""

    def __init__(self, total: int, pending: int, log: Callable[[str], None]):
        self.total, self.pending, self.log = total, pending, log
        self.start, self.done, self.last_line = time.perf_counter(), 0, -math.inf

    def point_done(self, key: str, finished: int, seconds: float) -> None:
        self.done += 1
        now = time.perf_counter()
        if now - self.last_line >= PROGRESS_EVERY_S or self.done == self.pending:
            self.last_line = now
            left = (now - self.start) / self.done * (self.pending - self.done)
            self.log(
                f"[point {finished} of {self.total}] {key} in {_duration(seconds)} · elapsed "
                f"{_duration(now - self.start)} · about {_duration(left)} left"
            )


def check_workers(workers) -> int:
    """``workers`` if it is a whole number of processes from 1 to the CPUs here."""
    limit = os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= limit:
        raise ValueError(f"workers must be an integer from 1 to {limit} (CPUs), got {workers!r}")
    return workers


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


def _next(results):
    """The next finished point, waiting in short slices so that Ctrl-C is heard at once."""
    while True:
        try:
            return results.next(timeout=0.5)
        except multiprocessing.TimeoutError:
            continue


def _run_pending(spec: Spec, run_point, pending: dict, workers: int, finished) -> None:
    """Run the ``pending`` points ({key: coordinates}) with ``spec.threads`` torch threads each,
    in this process or in ``workers`` processes; ``finished(key, result, seconds)`` after each."""
    import torch

    threads_before = torch.get_num_threads()
    try:
        if workers == 1 or len(pending) <= 1:
            torch.set_num_threads(spec.threads)
            for key, coordinates in pending.items():
                start = time.perf_counter()
                finished(key, run_point(*coordinates), time.perf_counter() - start)
            return
        context = multiprocessing.get_context("spawn")  # no fork after torch's threads
        with context.Pool(min(workers, len(pending))) as pool:
            jobs = [(run_point, spec.threads, key, point) for key, point in pending.items()]
            results = pool.imap_unordered(_in_worker, jobs, chunksize=1)
            for _ in jobs:
                key, status, value, seconds = _next(results)
                if status == "interrupted":
                    raise Interrupted(value)
                finished(key, value, seconds)
    finally:
        torch.set_num_threads(threads_before)


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
    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    check_workers(workers)
    output = Path(output) if output is not None else DATA_DIR / f"{spec.name}.json"
    cache_dir = Path(cache_dir) if cache_dir is not None else Path("_build") / "precomputed"
    keys = dict(zip(spec.keys, spec.points, strict=True))
    caches = {key: cache_path(spec, key, cache_dir) for key in keys}
    points = _cached_points(spec, caches, log) if resume else {}
    pending = {key: point for key, point in keys.items() if key not in points}
    workers_named = f"{workers} worker{'s' if workers != 1 else ''}"
    log(
        f"{spec.name}: {len(keys)} points, {len(points)} from the cache, {len(pending)} to run "
        f"with {workers_named} on {machines.machine_summary(machines.machine(spec.threads))}"
    )
    progress = _Progress(len(keys), len(pending), log)

    def finished(key: str, result, seconds: float) -> None:
        point = validated(spec, key, rounded(result, spec.digits), f"run_point{keys[key]!r}")
        write_json(caches[key], point)
        points[key] = point
        progress.point_done(key, len(points), seconds)

    try:
        _run_pending(spec, run_point, pending, workers, finished)
    except KeyboardInterrupt:
        done = f"{len(points)} of {len(keys)} points"
        log(
            f"\ninterrupted: {done} are finished and cached in {cache_dir / spec.name}; nothing "
            f"was written to {output}.\nResume with: {spec.command} --resume"
        )
        raise Interrupted(f"{spec.name}: interrupted after {done}") from None
    _save(spec, {key: points[key] for key in keys}, output, extra)
    elapsed = _duration(time.perf_counter() - progress.start)
    log(f"wrote {output} ({output.stat().st_size / 1e3:.0f} kB) in {elapsed}")
    return output


def _save(spec: Spec, points: dict, output: Path, extra: Callable[[], dict] | None) -> None:
    """Write the stored file: command, configuration and its hash, machine, results."""
    results = {"points": points}
    if extra is not None:
        results.update(extra())
    record = {
        "command": spec.command,
        "config": spec.config,
        "config_hash": spec.config_hash,
        "machine": machines.machine(spec.threads),
        "results": results,
    }
    write_json(output, record)
