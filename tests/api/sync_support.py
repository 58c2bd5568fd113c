"""Helpers for the API tests of the Google connection and the sync (no behaviour of their
own): what an unauthenticated request gets, a user connected through Google's consent."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.test import Client
from rest_framework.settings import api_settings
from rest_framework.test import APIClient, APIRequestFactory

from tandem.sync.engine import sync_user_now
from tandem.sync.models import SyncRun
from tests.conftest import DEMO_GOOGLE_EMAIL, GoogleHarness, callback_path
from tests.sync.sched_support import google_api, google_event_create

from .helpers import token_client

GOOGLE = "/api/v1/google/"
REVOKE = "/api/v1/google/revoke/"
CALENDARS = "/api/v1/google/calendars/"
DEDICATED = "/api/v1/google/calendars/dedicated/"
SETTINGS = "/api/v1/google/settings/"
SYNC = "/api/v1/sync/"
SYNC_NOW = "/api/v1/sync/now/"
RUNS = "/api/v1/sync/runs/"
CONFLICTS = "/api/v1/sync/conflicts/"
ATTENTION = "/api/v1/sync/attention/"

# Every method and address of the Google connection and settings endpoints, and of the
# sync's, for the tests that try each one (without credentials, say).
GOOGLE_ENDPOINTS = [
    ("get", GOOGLE),
    ("post", REVOKE),
    ("get", CALENDARS),
    ("post", DEDICATED),
    ("get", SETTINGS),
    ("put", SETTINGS),
    ("patch", SETTINGS),
]
SYNC_ENDPOINTS = [
    ("get", SYNC),
    ("post", SYNC_NOW),
    ("get", RUNS),
    ("get", f"{RUNS}1/"),
    ("get", CONFLICTS),
    ("get", ATTENTION),
    ("post", ATTENTION),
]


def unauthenticated_status() -> int:
    """What the API's settings answer a request without credentials: DRF answers 401 when
    the first authentication class names a WWW-Authenticate scheme, else 403 (the settings
    decide; another change may reorder them)."""
    first = api_settings.DEFAULT_AUTHENTICATION_CLASSES[0]()
    request = APIRequestFactory().get("/")
    return 401 if first.authenticate_header(request) else 403


def browser_of(user: User) -> Client:
    """The user's own web browser, signed in to Tandem."""
    browser = Client()
    browser.force_login(user)
    return browser


def connect_through_consent(
    harness: GoogleHarness, api: APIClient, user: User, **consent: Any
) -> Any:
    """Sends the user's browser to the connect URL the API gives, through Google's consent
    page and back to Tandem's callback; returns the callback's answer."""
    connect_url = api.get(GOOGLE).json()["connect_url"]
    browser = browser_of(user)
    start = browser.get(connect_url)
    assert start.status_code == 302, start.content
    location = harness.consent(start["Location"], **consent)
    return browser.get(callback_path(location))


def connected_api(harness: GoogleHarness, username: str, **consent: Any) -> tuple[User, APIClient]:
    user = User.objects.create_user(username, password=f"{username}-secret-pw")
    api = token_client(user)
    answer = connect_through_consent(harness, api, user, **consent)
    assert answer.status_code == 302, answer.content
    return user, api


def settings_saved(api: APIClient, calendar_id: str = DEMO_GOOGLE_EMAIL) -> None:
    """The primary calendar both ways, chosen through the API."""
    response = api.put(
        SETTINGS,
        {
            "inbound_calendar_ids": [calendar_id],
            "target_calendar_id": calendar_id,
            "sync_private": False,
        },
        format="json",
    )
    assert response.status_code == 200, response.content


def trip_the_breaker(user: User, harness: GoogleHarness) -> None:
    """Twelve events synced, then all deleted in Google: the next run holds them back."""
    with google_api(harness) as google:
        ids = [google_event_create(google, summary=f"E{n}", days=n + 1)["id"] for n in range(12)]
        first = sync_user_now(user_id=user.pk)
        assert first.run is not None and first.run.status == SyncRun.Status.SUCCEEDED
        for event_id in ids:
            assert google.delete(f"calendars/{DEMO_GOOGLE_EMAIL}/events/{event_id}").is_success
    outcome = sync_user_now(user_id=user.pk)
    assert outcome.run is not None and outcome.run.status == SyncRun.Status.NEEDS_ATTENTION
