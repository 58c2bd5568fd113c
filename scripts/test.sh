#!/usr/bin/env bash
# The README's second command: install what the tests need, then run ruff, mypy and every test.
#   bash scripts/test.sh [pytest args]
# DATABASE_URL / CELERY_BROKER_URL choose the database and broker (SQLite for both by default).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh dev
bash scripts/ensure-chromium.sh

export DJANGO_SETTINGS_MODULE=config.settings.test
# The test run keeps its own state away from a demo's var/.
export TANDEM_VAR_DIR="${TANDEM_VAR_DIR:-$PWD/var/test}"

if [ "${TANDEM_SKIP_LINT:-0}" != "1" ]; then
  echo "== ruff"
  .venv/bin/ruff check .
  .venv/bin/ruff format --check .
  echo "== mypy"
  .venv/bin/mypy tandem config
fi
echo "== pytest (database: ${DATABASE_URL:-sqlite}, broker: ${CELERY_BROKER_URL:-sqlite})"
.venv/bin/pytest -n "${PYTEST_WORKERS:-2}" "$@"
