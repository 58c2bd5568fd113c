#!/usr/bin/env bash
# Creates .venv with Python 3.11 and installs the locked, hash-checked dependencies.
#   bash scripts/bootstrap.sh        runtime only (requirements/base.txt)
#   bash scripts/bootstrap.sh dev    runtime + test tools (requirements/dev.txt)
# Quick when nothing changed. The lock files come from scripts/lock.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3.11}"
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "error: $PYTHON not found. Tandem needs Python 3.11 (or set PYTHON=/path/to/python3.11)." >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
if ! .venv/bin/python -m uv --version >/dev/null 2>&1; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "uv==0.13.9"
fi
export UV_PYTHON_DOWNLOADS=never
lock=requirements/base.txt
[ "${1:-}" = "dev" ] && lock=requirements/dev.txt
stamp=".venv/.installed-$(basename "$lock" .txt)"
if [ ! -f "$stamp" ] || [ "$lock" -nt "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m uv pip install --quiet --python .venv/bin/python --require-hashes -r "$lock"
  .venv/bin/python -m uv pip install --quiet --python .venv/bin/python --no-deps -e .
  touch "$stamp"
fi
