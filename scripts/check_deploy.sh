#!/usr/bin/env bash
# Django's deployment checks on the production settings, with throwaway secrets (never kept):
# CI fails on any warning (issue 15). A deployment runs the same with its own environment:
#   DJANGO_SETTINGS_MODULE=config.settings.production tandem manage check --deploy
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
# Secrets through the environment of this one command, never on a command line.
SECRET_KEY="$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
TOKEN_ENCRYPTION_KEYS="$(.venv/bin/python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
GOOGLE_ENDPOINTS=google \
GOOGLE_CLIENT_ID="ci-check-only.apps.googleusercontent.com" \
GOOGLE_CLIENT_SECRET="ci-check-only" \
DATABASE_URL="postgres://tandem@127.0.0.1:5432/tandem" \
TANDEM_VAR_DIR="$scratch" \
DJANGO_SETTINGS_MODULE=config.settings.production \
  .venv/bin/tandem manage check --deploy --fail-level WARNING
