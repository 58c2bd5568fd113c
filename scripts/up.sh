#!/usr/bin/env bash
# The README's first command: install everything, then start the whole product on the
# embedded default (SQLite, SQLite broker, the Google emulator, a demo user).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/tandem up "$@"
