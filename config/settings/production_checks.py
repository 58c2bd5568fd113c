"""What production refuses to start without (issue 15, finding 4), checked before anything
else runs, so a missing secret is never replaced by one generated into var/ and a missing
database is never SQLite. Pure Python and Django's constants: nothing is configured yet.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping

from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)

GENERATE_SECRET_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(50))"'
GENERATE_FERNET_KEY = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


def production_problems(environ: Mapping[str, str]) -> list[str]:
    """One line per setting production lacks, naming it and how to make it; empty when ready."""
    problems = []
    secret_key = environ.get("SECRET_KEY", "")
    if not secret_key:
        problems.append(f"SECRET_KEY is not set (make one: {GENERATE_SECRET_KEY}).")
    elif (
        len(secret_key) < SECRET_KEY_MIN_LENGTH
        or len(set(secret_key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
        or secret_key.startswith(SECRET_KEY_INSECURE_PREFIX)
    ):
        problems.append(
            f"SECRET_KEY is weak: it needs {SECRET_KEY_MIN_LENGTH} characters or more, "
            f"{SECRET_KEY_MIN_UNIQUE_CHARACTERS} of them different, and not Django's "
            f"'{SECRET_KEY_INSECURE_PREFIX}' prefix (make one: {GENERATE_SECRET_KEY})."
        )
    keys = [key.strip() for key in environ.get("TOKEN_ENCRYPTION_KEYS", "").split(",")]
    if not any(keys):
        problems.append(
            "TOKEN_ENCRYPTION_KEYS is not set: the Fernet keys that encrypt Google tokens "
            f"(make one: {GENERATE_FERNET_KEY})."
        )
    elif not all(_is_fernet_key(key) for key in keys):
        problems.append(
            "TOKEN_ENCRYPTION_KEYS must be Fernet keys, comma-separated, newest first "
            f"(make one: {GENERATE_FERNET_KEY})."
        )
    if environ.get("GOOGLE_ENDPOINTS") != "google":
        # The default is the emulator: a deployment would hand the real client secret and
        # people's tokens to whatever listens at FAKE_GOOGLE_URL.
        problems.append(
            "GOOGLE_ENDPOINTS is not set to google: production talks to Google, never to "
            "the emulator (docs/google-connect.md)."
        )
    if not environ.get("GOOGLE_CLIENT_ID"):
        problems.append(
            "GOOGLE_CLIENT_ID is not set: the id of the Google OAuth client "
            "(docs/google-connect.md)."
        )
    if not environ.get("GOOGLE_CLIENT_SECRET"):
        problems.append(
            "GOOGLE_CLIENT_SECRET is not set: the secret of the Google OAuth client "
            "(docs/google-connect.md)."
        )
    database = environ.get("DATABASE_URL", "")
    if not database:
        problems.append("DATABASE_URL is not set: postgres://user:password@host:5432/tandem.")
    elif database.split(":", 1)[0].startswith("sqlite"):
        problems.append(
            "DATABASE_URL names SQLite: production needs PostgreSQL "
            "(postgres://user:password@host:5432/tandem)."
        )
    return problems


def refusal(problems: list[str]) -> str:
    lines = "\n".join(f"  - {problem}" for problem in problems)
    return f"Tandem will not start with the production settings:\n{lines}\n"


def _is_fernet_key(key: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(key.encode())) == 32
    except (binascii.Error, ValueError):
        return False
