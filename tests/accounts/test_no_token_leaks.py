"""No Google token ever shows: not in logs, pages, API responses or ``dumpdata`` (issue #4).

The whole life of a connection runs with every logger at DEBUG; then every token the
emulator handed out is looked for, in plain text, in everything the CRM produced."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tandem.accounts.google_services import calendars_refresh
from tests.accounts.helpers import (
    CREATE_CALENDAR,
    EXTERNAL_SERVICES,
    REVOKE,
    SETTINGS,
    SYNC_NOW,
    connection_of,
    stored_tokens,
)
from tests.conftest import DEMO_GOOGLE_EMAIL, GoogleHarness, callback_path


def _text(response: Any) -> str:
    headers = "\n".join(f"{key}: {value}" for key, value in response.items())
    return f"{headers}\n{response.content.decode()}"


def test_no_token_appears_in_logs_pages_api_or_dumpdata(
    google: GoogleHarness,
    client_ann: Client,
    ann: User,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """Connect, load and save settings, create the dedicated calendar, Sync now, refresh,
    dump the database, revoke with Google down: no access or refresh token in any output."""
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []

    def visit(response: Any) -> Any:
        seen.append(_text(response))
        return response

    with django_capture_on_commit_callbacks(execute=True):
        start = visit(client_ann.get("/preferences/external-services/google/connect/"))
        location = google.consent(start["Location"])
        visit(client_ann.get(callback_path(location)))
        visit(client_ann.get(SETTINGS))
        visit(client_ann.post(CREATE_CALENDAR))
        visit(client_ann.get(SETTINGS))
        visit(
            client_ann.post(
                SETTINGS,
                {
                    "inbound_calendar_ids": [DEMO_GOOGLE_EMAIL],
                    "target_calendar_id": DEMO_GOOGLE_EMAIL,
                },
            )
        )
        visit(client_ann.post(SYNC_NOW))
        visit(client_ann.get(EXTERNAL_SERVICES))
    access, refresh = stored_tokens(ann)
    # Force a refresh so a second access token exists and goes through the save path.
    connection = connection_of(ann)
    connection.access_token_expires_at = timezone.now() - dt.timedelta(minutes=1)
    connection.save(update_fields=["access_token_expires_at"])
    calendars_refresh(connection=connection)

    visit(client_ann.get("/"))
    visit(client_ann.get("/preferences/"))
    visit(client_ann.get("/api/v1/meetings/"))
    visit(client_ann.get("/api/schema/"))
    dump = StringIO()
    call_command("dumpdata", stdout=dump)
    seen.append(dump.getvalue())

    google.emulator.inject_fault(route="POST /revoke", status=0, drop=True, times=-1)
    visit(client_ann.get(REVOKE))
    visit(client_ann.post(REVOKE))
    visit(client_ann.get(EXTERNAL_SERVICES))
    dump_after = StringIO()
    call_command("dumpdata", stdout=dump_after)
    seen.append(dump_after.getvalue())
    seen.append(caplog.text)
    seen.extend(str(record.args) for record in caplog.records)

    tokens = google.tokens_issued()
    assert access in tokens and refresh in tokens
    assert len(tokens) >= 3  # the first access token, its refresh token, a refreshed one
    everything = "\n".join(seen)
    assert "HTTP Request" in caplog.text  # the capture did see Google traffic
    assert '"model": "accounts.googleconnection"' in dump.getvalue()  # the row was dumped
    leaked = [token[:12] + "…" for token in tokens if token in everything]
    assert leaked == []


def test_dumpdata_holds_only_ciphertext_for_tokens(
    google: GoogleHarness, client_ann: Client, ann: User
) -> None:
    """The connection's token columns are dumped as Fernet ciphertext, never as tokens."""
    google.connect(client_ann)
    dump = StringIO()
    call_command("dumpdata", "accounts.googleconnection", stdout=dump)
    text = dump.getvalue()
    connection = connection_of(ann)
    assert connection.refresh_token_encrypted in text  # ciphertext is what is stored
    assert connection.refresh_token_encrypted.startswith("gAAAAA")  # Fernet's version byte
    for token in stored_tokens(ann):
        assert token not in text
