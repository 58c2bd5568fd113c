#!/usr/bin/env bash
# Re-resolves requirements/*.txt from pyproject.toml (pinned versions with hashes).
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never
uv() { .venv/bin/python -m uv "$@"; }
uv pip compile pyproject.toml --python-version 3.11 --generate-hashes --no-header \
  -o requirements/base.txt "$@"
uv pip compile pyproject.toml --group dev --python-version 3.11 --generate-hashes --no-header \
  -o requirements/dev.txt "$@"
