"""The scripts behave like command-line tools: --help answers at once (before torch is imported,
before anything is installed), an unknown flag is an error, bad option values are refused."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SWEEPS = [
    "sweep_tiny_gpt.py",
    "sweep_decay_rules.py",
    "sweep_grokking.py",
    "grid_adam_l2_vs_adamw.py",
    "sweep_forgetting.py",
    "sweep_one_pass.py",
    "measure_spreads.py",
    "sweep_scaling.py",
    "sweep_other_optimizers.py",
]


@pytest.fixture(scope="module")
def no_torch(tmp_path_factory) -> dict:
    """An environment in which `import torch` fails: a script that imports it to answer --help
    (or to refuse a bad flag) fails instead of starting a sweep."""
    fake = tmp_path_factory.mktemp("fake") / "torch"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError('torch was imported')\n")
    return {**os.environ, "PYTHONPATH": str(fake.parent)}


def _run(args, env, timeout=60):
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_every_script_is_listed_here():
    # train_gpt.py, the command-line trainer, has its own tests (tests/test_train_gpt.py)
    scripts = {p.name for p in (ROOT / "scripts").glob("*.py")} - {"notebooks.py", "train_gpt.py"}
    assert scripts == set(SWEEPS)


@pytest.mark.parametrize("script", SWEEPS)
def test_help_answers_before_torch_is_imported(script, no_torch):
    done = _run([f"scripts/{script}", "--help"], no_torch)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage:") and "Make src/helpers/data/" in done.stdout
    for option in ("--workers", "--resume", "--output"):
        assert option in done.stdout


@pytest.mark.parametrize("script", SWEEPS)
@pytest.mark.parametrize(
    "args, message",
    [
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--workers", "0"], "--workers must be from 1 to"),
        (["--workers", "100000"], "--workers must be from 1 to"),
        (["--workers", "two"], "invalid int value"),
    ],
)
def test_bad_options_are_refused_with_a_message(script, args, message, no_torch):
    done = _run([f"scripts/{script}", *args], no_torch)
    assert done.returncode == 2 and message in done.stderr, done.stderr


@pytest.mark.parametrize("script", [s for s in SWEEPS if s != "measure_spreads.py"])
def test_other_seeds_go_to_another_file(script, no_torch):
    done = _run([f"scripts/{script}", "--seeds", "3", "4"], no_torch)
    assert done.returncode == 2 and "--seeds needs --output" in done.stderr
    done = _run([f"scripts/{script}", "--seeds", "3", "3", "--output", "x.json"], no_torch)
    assert done.returncode == 2 and "distinct" in done.stderr


def test_notebooks_script_has_help_and_refuses_a_missing_command():
    done = _run(["scripts/notebooks.py", "--help"], os.environ)
    assert done.returncode == 0 and "{sync,check}" in done.stdout
    done = _run(["scripts/notebooks.py"], os.environ)
    assert done.returncode == 2 and "required: command" in done.stderr
    done = _run(["scripts/notebooks.py", "strip"], os.environ)
    assert done.returncode == 2 and "invalid choice" in done.stderr


@pytest.mark.parametrize("script", ["test.sh", "build.sh"])
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_shell_scripts_print_usage_before_installing_anything(script, flag, tmp_path):
    """With a `python` on PATH that records being run, --help must not reach it (scripts/env.sh
    would run it to install the requirements)."""
    marker = tmp_path / "python-was-run"
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "python").write_text(f"#!/bin/sh\ntouch {marker}\nexit 1\n")
    (fake / "python").chmod(0o755)
    (fake / "python3").symlink_to(fake / "python")
    env = {**os.environ, "PATH": f"{fake}:/usr/bin:/bin", "VIRTUAL_ENV": str(tmp_path)}
    done = subprocess.run(
        ["bash", f"scripts/{script}", flag], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: bash scripts/{script}")
    assert not marker.exists(), "the script ran python (installing) before answering --help"


@pytest.mark.parametrize("ci, outcome", [("true", "errors?"), ("", "skipped")])
def test_a_missing_browser_fails_under_ci_and_skips_elsewhere(ci, outcome):
    """A CI run without Chromium must not pass by skipping the browser test."""
    bin_dir = str(Path(sys.executable).parent)  # python, but no chromium, on PATH
    env = {**os.environ, "PATH": bin_dir, "CI": ci}
    done = _run(["-m", "pytest", "tests/test_browser.py", "-q", "-p", "no:cacheprovider"], env, 300)
    summary = done.stdout.strip().splitlines()[-1]
    # every browser test skipped (or, under CI, errored): none passed without a browser
    assert re.search(rf"\b\d+ {outcome}\b", summary) and "passed" not in summary, summary
    if ci:
        assert done.returncode != 0 and "CI=true and no browser" in done.stdout
