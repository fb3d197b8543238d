#!/usr/bin/env bash
# Build the HTML book into _build/html (open _build/html/index.html). Executes every chapter.
# Installs what it needs into the active virtual environment, or into .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
# Book mode: every figure shows its kernel-free twin (book/_ext/bookfixes.py sets it too).
export WDD_BOOK=1
jupyter-book build . -W -n --keep-going "$@"
echo "Book built: $(pwd)/_build/html/index.html"
echo "For offline reading: $(pwd)/_build/html/weight-decay-decoupled-html.zip"
