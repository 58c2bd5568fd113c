"""Helpers for the API tests of the Google connection and the sync (no behaviour of their
own): what an unauthenticated request gets, a user connected through Google's consent."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.test import Client
from rest_framework.settings import api_settings
from rest_framework.test import APIClient, APIRequestFactory

from tests.conftest import GoogleHarness, callback_path

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
