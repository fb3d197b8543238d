"""Another machine, here: the chapters' compare-to-stored checks under other CPU kernels, and what
depends on the Python version (the corpus, the stored files) under another interpreter.

Float32 training repeats bit for bit only on the same kernels; a reader's CPU runs other ones.
PyTorch and oneDNN can be told to use older kernels (``ATEN_CPU_CAPABILITY=default``,
``ONEDNN_MAX_CPU_ISA=SSE41``), which makes this machine compute like an older CPU: the re-run
tests must then pass through the measured tolerance of :mod:`helpers.spreads`, not the exact
path. The Python version decides the corpus (frozen since) and pure-Python code; torch for
another interpreter is a large download, so its part runs only where one is installed.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import corpus, precomputed, spreads
from helpers.ch2 import grid
from helpers.ch3 import rules_sweep
from helpers.ch4 import sweep as gpt_sweep
from helpers.ch5 import forgetting
from helpers.ch5 import sweep as grok_sweep
from helpers.ch6 import sweep as one_pass_sweep
from helpers.ch7 import sweep as scaling_sweep
from helpers.ch8 import sweep as other_optimizers_sweep

ROOT = Path(__file__).resolve().parents[1]
OLD_KERNELS = {"ATEN_CPU_CAPABILITY": "default", "ONEDNN_MAX_CPU_ISA": "SSE41"}
RERUNS = [
    "tests/test_gpt_sweep.py::test_rerunning_a_point_reproduces_the_stored_values",
    "tests/test_which_weights.py::test_a_stored_run_reproduces",
    "tests/test_grokking.py::test_rerunning_the_first_100_steps_reproduces_the_stored_run",
]
SPECS = [
    grid.STORED,
    rules_sweep.STORED,
    gpt_sweep.STORED,
    grok_sweep.STORED,
    forgetting.STORED,
    one_pass_sweep.STORED,
    scaling_sweep.STORED,
    other_optimizers_sweep.STORED,
    spreads.spec(),
]


def test_every_data_file_is_a_stored_result_of_the_book():
    """No stray JSON in the package data (a test's demo file, a renamed sweep's old file)."""
    files = {path.stem for path in precomputed.DATA_DIR.glob("*.json")}
    assert files == {spec.name for spec in SPECS}


def _other_python(version: str) -> str | None:
    """An interpreter of ``version`` ("3.12") that runs: one of pyenv's, or one on PATH (a pyenv
    shim on PATH can name a version that is not selected, and then fails)."""
    candidates = sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python")))
    candidates += [found for found in [shutil.which(f"python{version}")] if found]
    for python in candidates:
        try:
            done = subprocess.run(
                [python, "-c", "import sys; print(sys.version.split()[0])"],
                capture_output=True,
                text=True,
                timeout=60,
            )
        except OSError:
            continue
        if done.returncode == 0 and done.stdout.startswith(version + "."):
            return python
    return None


def test_the_compare_to_stored_checks_pass_under_older_kernels():
    """The re-run tests of chapters 3, 4 and 5 in a Python that computes like an older CPU."""
    env = {**os.environ, **OLD_KERNELS}
    probe = subprocess.run(
        [sys.executable, "-c", "import torch; print(torch.backends.cpu.get_cpu_capability())"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert probe.stdout.strip() == "DEFAULT", "ATEN_CPU_CAPABILITY=default had no effect"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-s",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            *RERUNS,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "3 passed" in done.stdout
    # they passed on the measured spread, not on the exact path of the machine that made them
    assert "rounding only" not in done.stdout and "largest measured gap" in done.stdout


PYTHON_312 = _other_python("3.12")
needs_312 = pytest.mark.skipif(
    PYTHON_312 is None, reason="no Python 3.12 here (on PATH or in ~/.pyenv/versions)"
)


@needs_312
def test_python_3_12_reads_the_same_corpus_and_stored_files(tmp_path):
    """Without torch: the frozen corpus has the same fingerprint, and every stored file passes
    the checks of helpers.precomputed (JSON, configuration hash, points, finite curves)."""
    specs = [
        {
            "name": s.name,
            "command": s.command,
            "threads": s.threads,
            "config": s.config,
            "axes": list(s.axes),
            "points": [list(p) for p in s.points],
            "digits": s.digits,
        }
        for s in SPECS
    ]
    (tmp_path / "specs.json").write_text(json.dumps(specs, ensure_ascii=False))
    program = f"""
import json, sys
import helpers.corpus as corpus
from helpers import precomputed
counts = {{}}
for s in json.loads(open({str(tmp_path / "specs.json")!r}, encoding="utf-8").read()):
    spec = precomputed.Spec(**{{**s, "axes": tuple(s["axes"]),
                               "points": tuple(map(tuple, s["points"]))}})
    counts[spec.name] = len(precomputed.read_record(spec)["results"]["points"])
print(json.dumps({{"version": sys.version.split()[0], "torch": "torch" in sys.modules,
                  "fingerprint": corpus.fingerprint(corpus.default_text()), "points": counts}}))
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([PYTHON_312, "-c", program], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.splitlines()[-1])
    assert seen["version"].startswith("3.12") and not seen["torch"]
    assert seen["fingerprint"] == corpus.FINGERPRINT
    assert seen["points"] == {s.name: len(s.points) for s in SPECS}


def _has_torch(python: str | None) -> bool:
    if python is None:
        return False
    done = subprocess.run([python, "-c", "import torch, pytest"], capture_output=True)
    return done.returncode == 0


@pytest.mark.skipif(
    not _has_torch(PYTHON_312),
    reason="no Python 3.12 with torch and pytest here: torch for another interpreter is a "
    "large download, so the test command does not install it; the corpus and the stored files "
    "are checked on Python 3.12 without torch",
)
def test_the_compare_to_stored_checks_pass_on_python_3_12():
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [PYTHON_312, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", *RERUNS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-4000:]
