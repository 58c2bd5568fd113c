"""A GET never writes (issue 15, finding 8): pages a signed-in person opens, the connect
link and the Revoke Token page leave the database as it was; the settings page shows
Google's calendars fresh without storing them, and a save stores the list it was checked
against. (Google's own redirect back to the callback is a GET that stores the grant: OAuth
2.0 makes it one, RFC 6749 §4.1.2.)"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from tandem.accounts.models import GoogleConnection, Preferences, SyncSettings
from tests.accounts.helpers import CONNECT, EXTERNAL_SERVICES, REVOKE, SETTINGS
from tests.conftest import DEMO_GOOGLE_EMAIL, GoogleHarness

_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


@contextmanager
def recorded_writes() -> Iterator[list[str]]:
    """Every statement that writes, but to the session table (the OAuth state and the
    login live there by design)."""
    writes: list[str] = []

    def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any):
        if _WRITE.match(sql) and "django_session" not in sql:
            writes.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield writes


PAGES = [
    "/",
    "/?view=week",
    "/?view=list",
    "/meetings/new/",
    "/meetings/deleted/",
    "/preferences/",
    EXTERNAL_SERVICES,
    REVOKE,
    SETTINGS,
]


@pytest.mark.parametrize("path", PAGES)
def test_a_page_opened_by_a_new_user_writes_nothing(client_ann: Client, ann: User, path: str):
    with recorded_writes() as writes:
        response = client_ann.get(path)

    assert response.status_code in (200, 302), response.status_code
    assert writes == []
    assert not Preferences.objects.filter(user=ann).exists()
    assert not GoogleConnection.objects.filter(user=ann).exists()


def test_the_connect_link_writes_nothing_but_the_session(
    client_ann: Client, ann: User, google: GoogleHarness
):
    with recorded_writes() as writes:
        response = client_ann.get(CONNECT)

    assert response.status_code == 302
    assert writes == []
    assert not GoogleConnection.objects.filter(user=ann).exists()


def test_saving_preferences_makes_their_row(client_ann: Client, ann: User):
    page = client_ann.get("/preferences/").content.decode()
    assert "Europe" in page or "UTC" in page

    response = client_ann.post(
        "/preferences/",
        {"time_zone": "Europe/Berlin", "date_format": "Y-m-d", "time_format": "H:i"},
    )

    assert response.status_code == 302, response.content
    assert Preferences.objects.get(user=ann).time_zone == "Europe/Berlin"


@pytest.fixture
def connected(google: GoogleHarness, client_ann: Client) -> Client:
    google.connect(client_ann)
    return client_ann


def test_the_settings_page_shows_googles_calendars_without_storing_them(
    connected: Client, ann: User, google: GoogleHarness
):
    stored = SyncSettings.objects.get(connection__user=ann).known_calendars
    google.emulator.create_calendar(email=DEMO_GOOGLE_EMAIL, summary="Made in Google")

    with recorded_writes() as writes:
        page = connected.get(SETTINGS).content.decode()

    assert "Made in Google" in page
    assert [w for w in writes if "accounts_syncsettings" in w] == []
    assert SyncSettings.objects.get(connection__user=ann).known_calendars == stored


def test_a_save_may_choose_a_calendar_made_in_google_since_the_last_save(
    connected: Client, ann: User, google: GoogleHarness
):
    created = google.emulator.create_calendar(email=DEMO_GOOGLE_EMAIL, summary="Made in Google")
    connected.get(SETTINGS)

    response = connected.post(
        SETTINGS,
        {"inbound_calendar_ids": [created["id"]], "target_calendar_id": created["id"]},
    )

    assert response.status_code == 302, response.content.decode()
    saved = SyncSettings.objects.get(connection__user=ann)
    assert saved.target_calendar_id == created["id"]
    assert created["id"] in {calendar["id"] for calendar in saved.known_calendars}


def test_the_apis_calendar_list_shows_googles_calendars_without_storing_them(
    connected: Client, ann: User, google: GoogleHarness
):
    """The API's GET is a GET too (found by review: it stored the list it read)."""
    stored = SyncSettings.objects.get(connection__user=ann).known_calendars
    google.emulator.create_calendar(email=DEMO_GOOGLE_EMAIL, summary="Made in Google")

    with recorded_writes() as writes:
        answer = connected.get("/api/v1/google/calendars/")

    assert answer.status_code == 200, answer.content
    assert "Made in Google" in [c["summary"] for c in answer.json()["calendars"]]
    assert [w for w in writes if "accounts_syncsettings" in w] == []
    assert SyncSettings.objects.get(connection__user=ann).known_calendars == stored


def test_an_api_save_may_choose_a_calendar_made_in_google_since_the_last_look(
    connected: Client, ann: User, google: GoogleHarness
):
    """As the page's save: checked against Google's list read again (found by review: the
    API checked against the list last stored, and refused a calendar made since)."""
    created = google.emulator.create_calendar(email=DEMO_GOOGLE_EMAIL, summary="Made in Google")

    answer = connected.put(
        "/api/v1/google/settings/",
        {
            "inbound_calendar_ids": [created["id"]],
            "target_calendar_id": created["id"],
            "sync_private": False,
        },
        content_type="application/json",
    )

    assert answer.status_code == 200, answer.content.decode()
    assert SyncSettings.objects.get(connection__user=ann).target_calendar_id == created["id"]
