#!/usr/bin/env bash
# Build the HTML book into _build/html (open _build/html/index.html). Executes every chapter.
# Installs what it needs into the active virtual environment, or into .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
jupyter-book build . -W -n --keep-going "$@"
echo "Book built: $(pwd)/_build/html/index.html"
