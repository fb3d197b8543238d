#!/usr/bin/env bash
# Run every test: unit tests, each notebook under nbval (executed once, in an empty temporary
# folder, with only the package installed), the book build with warnings as errors, and the
# real-browser test. Installs what it needs; extra arguments go to pytest.
set -euo pipefail
case "${1:-}" in
  -h | --help)
    cat <<'USAGE'
usage: bash scripts/test.sh [PYTEST ARGUMENTS ...]

Run every test in one pytest session: the unit tests of src/helpers, every notebook under
nbval (in an empty temporary folder, with only the package installed), the book build with
warnings as errors, the real-browser test, and the same compare-to-stored checks under other
CPU kernels and, where one is installed, another Python. Installs the pinned requirements into
the active virtual environment, or into .venv (created if missing), and, as root with apt-get,
Debian's chromium for the browser test. Arguments go to pytest, e.g. -k optim or -x.
With CI=true a missing browser fails the browser test instead of skipping it.
USAGE
    exit 0
    ;;
esac
cd "$(dirname "$0")/.."
source scripts/env.sh

# The browser test drives Debian's chromium. Install it when we can (root with apt-get);
# otherwise the browser test skips and says why (under CI=true it fails instead).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing chromium for the browser test..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
      >/dev/null 2>&1 || echo "Could not install chromium: the browser test will skip (fail under CI=true)."
  fi
fi

notebooks=$(mktemp -d)
trap 'rm -rf "$notebooks"' EXIT
cp book/*.ipynb "$notebooks"/ 2>/dev/null || true
# Notebooks first: tests/nbcapture.py keeps their outputs for the build test that follows.
# Book mode (tests/conftest.py sets it as well): the notebooks draw their figures' static twins.
export WDD_BOOK=1
python -m pytest "$notebooks" tests "$@"
