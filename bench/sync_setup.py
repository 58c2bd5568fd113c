"""The world a sync benchmark runs in: a fresh database, Django, an emulator, a user.

Django is configured from the environment before anything imports it: the embedded
default settings (``config.settings.base``), state in a temporary ``TANDEM_VAR_DIR``, an
in-memory Celery broker (saving the settings queues a sync; nobody must run it behind the
benchmark's back) and the emulator's URL. ``DATABASE_URL`` picks PostgreSQL; its database
is created when missing and emptied before use, so its name must contain "bench".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ACCOUNT = "bench@example.com"
CLIENT_ID = "tandem-bench.apps.googleusercontent.test"
CLIENT_SECRET = "tandem-bench-secret"
BATCH = 1000  # the most parts Google accepts in one batch request
EVENTS_PATH = "/calendar/v3/calendars/primary/events"


def database_label() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return "SQLite (fresh file, WAL)"
    parts = urlsplit(url)
    return f"PostgreSQL ({parts.hostname}:{parts.port or 5432}{parts.path})"


def _postgres_database_ensure(url: str) -> None:
    """Creates the benchmark's PostgreSQL database when it does not exist yet."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"Refusing to empty database {name!r}: its name must contain 'bench'.")
    admin_url = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def django_configure(*, emulator_url: str) -> None:
    """Settings from the environment, then django.setup() and a migrated, empty database."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    os.environ.setdefault("TANDEM_VAR_DIR", tempfile.mkdtemp(prefix="tandem-bench-"))
    os.environ["CELERY_BROKER_URL"] = "memory://"
    os.environ["GOOGLE_ENDPOINTS"] = "emulator"
    os.environ["FAKE_GOOGLE_URL"] = emulator_url
    os.environ["GOOGLE_CLIENT_ID"] = CLIENT_ID
    os.environ["GOOGLE_CLIENT_SECRET"] = CLIENT_SECRET
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        _postgres_database_ensure(url)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if url:
        call_command("flush", interactive=False, verbosity=0)


# -- the emulator's side ----------------------------------------------------------------------


def emulator_process() -> tuple[subprocess.Popen[str], str]:
    """A `tandem fake-google` process on a free loopback port, and its base URL."""
    command = [
        str(Path(sys.executable).with_name("tandem")),
        "fake-google",
        "--port",
        "0",
        "--client-id",
        CLIENT_ID,
        "--account",
        f"{ACCOUNT}:Bench",
    ]
    # The secret through the environment, never on a command line (issue 15).
    environment = {**os.environ, "FAKE_GOOGLE_CLIENT_SECRET": CLIENT_SECRET}
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=environment)
    assert server.stdout is not None
    return server, server.stdout.readline().split()[-1]


def event_body(n: int) -> dict[str, Any]:
    """A varied but realistic event: mostly timed with a zone, some all-day, some private."""
    day = 1 + n // 12  # a dozen events a day, starting tomorrow-ish
    date = time.strftime("%Y-%m-%d", time.gmtime(time.time() + day * 86400))
    next_date = time.strftime("%Y-%m-%d", time.gmtime(time.time() + (day + 1) * 86400))
    hour = 8 + n % 10
    body: dict[str, Any] = {
        "summary": f"Customer call {n}",
        "description": f"<p>Agenda for call <b>{n}</b></p>" if n % 3 == 0 else f"Agenda {n}",
        "location": f"Room {n % 40}",
        "visibility": "private" if n % 10 == 0 else "default",
        "reminders": {"useDefault": True},
    }
    if n % 25 == 0:
        body["start"] = {"date": date}
        body["end"] = {"date": next_date}
    else:
        body["start"] = {"dateTime": f"{date}T{hour:02d}:00:00", "timeZone": "Europe/Berlin"}
        body["end"] = {"dateTime": f"{date}T{hour:02d}:45:00", "timeZone": "Europe/Berlin"}
    return body


def events_seed(client: httpx.Client, *, count: int, first: int = 0) -> int:
    """Inserts ``count`` events into the account's primary calendar through Google's batch
    endpoint (a thousand inserts per request), as a person's own events."""
    for start in range(first, first + count, BATCH):
        parts = []
        for n in range(start, min(start + BATCH, first + count)):
            parts.append(
                f"--b\r\nContent-Type: application/http\r\nContent-ID: <p{n}>\r\n\r\n"
                f"POST {EVENTS_PATH} HTTP/1.1\r\nContent-Type: application/json\r\n\r\n"
                f"{json.dumps(event_body(n))}\r\n"
            )
        response = client.post(
            "/batch/calendar/v3",
            content="".join(parts) + "--b--\r\n",
            headers={"Content-Type": "multipart/mixed; boundary=b"},
            timeout=300,
        )
        response.raise_for_status()
        if " 200 OK" not in response.text or "HTTP/1.1 4" in response.text:
            raise RuntimeError(f"seeding failed: {response.text[:500]}")
    return count


# -- the CRM's side ---------------------------------------------------------------------------


@dataclass
class BenchUser:
    user_id: int
    calendar_id: str


def user_connect(*, access_token: str, username: str = "bench", email: str = ACCOUNT) -> BenchUser:
    """A CRM user connected to ``email`` with the token given, syncing its primary calendar
    both ways. The OAuth flow itself is proven by tests/accounts; here the token is minted
    by the emulator and stored the way the callback stores it."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from tandem.accounts.google_services import (
        SettingsChoice,
        calendars_refresh,
        connection_for,
        sync_settings_save,
    )
    from tandem.accounts.models import GoogleConnection
    from tandem.accounts.tokens import connection_store_tokens
    from tandem.fakegoogle.store import stable_sub
    from tandem.google.oauth import CALENDAR_SCOPES, TokenSet

    user = User.objects.create_user(username, password=None)
    connection = connection_for(user=user)
    connection.google_sub = stable_sub(email)
    connection.email = email
    connection.granted_scopes = sorted(CALENDAR_SCOPES)
    connection.status = GoogleConnection.Status.CONNECTED
    connection.connected_at = timezone.now()
    connection.save()
    connection_store_tokens(
        connection=connection,
        tokens=TokenSet(
            access_token=access_token,
            refresh_token=None,
            expires_at=time.time() + 3600,
            scopes=frozenset(CALENDAR_SCOPES),
        ),
    )
    calendars_refresh(connection=connection)
    sync_settings_save(
        connection=connection,
        choice=SettingsChoice(
            inbound_calendar_ids=[email], target_calendar_id=email, sync_private=False
        ),
    )
    return BenchUser(user_id=user.pk, calendar_id=email)
