# Sourced by build.sh and test.sh: use the active virtual environment, or create and use .venv,
# then install the pinned requirements (a no-op when they are already installed).
if [ -z "${VIRTUAL_ENV:-}" ]; then
  [ -x .venv/bin/python ] || python3 -m venv .venv
  # shellcheck disable=SC1091
  . .venv/bin/activate
fi
python - <<'PY'
import sys
if sys.version_info[:2] not in ((3, 11), (3, 12)):
    print(f"warning: requirements.txt pins versions seen working together on Python 3.11 and "
          f"3.12; this is Python {sys.version.split()[0]}, where some pins may not install",
          file=sys.stderr)
PY
python -m pip install --quiet --disable-pip-version-check -r requirements.txt
