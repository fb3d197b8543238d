#!/usr/bin/env bash
# Build the HTML book into _build/html (open _build/html/index.html). Executes every chapter.
# Installs what it needs into the active virtual environment, or into .venv.
set -euo pipefail
case "${1:-}" in
  -h | --help)
    cat <<'USAGE'
usage: bash scripts/build.sh [JUPYTER-BOOK BUILD OPTIONS ...]

Build the HTML book into _build/html (open _build/html/index.html), executing every chapter,
with warnings as errors. Installs the pinned requirements into the active virtual environment,
or into .venv (created if missing). Extra options go to `jupyter-book build`.
USAGE
    exit 0
    ;;
esac
cd "$(dirname "$0")/.."
source scripts/env.sh
# Book mode: every figure shows its kernel-free twin (book/_ext/bookfixes.py sets it too).
export WDD_BOOK=1
jupyter-book build . -W -n --keep-going "$@"
echo "Book built: $(pwd)/_build/html/index.html"
echo "For offline reading: $(pwd)/_build/html/weight-decay-decoupled-html.zip"
