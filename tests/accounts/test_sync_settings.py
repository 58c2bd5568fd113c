"""The synchronization settings page (issue #4, point 4): the account's calendars with their
roles, inbound checkboxes, one writable target, the dedicated calendar, private meetings,
clear messages for every mistake, and saving schedules the first sync."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tandem.accounts import google_settings
from tandem.accounts.models import GoogleConnection, SyncSettings
from tandem.sync.models import UserSyncState
from tests.accounts.helpers import (
    CALENDAR_LIST_SCOPE,
    CALENDARS_SCOPE,
    CREATE_CALENDAR,
    EVENTS_SCOPE,
    EXTERNAL_SERVICES,
    SETTINGS,
    stored_tokens,
)
from tests.conftest import DEMO_GOOGLE_EMAIL, GoogleHarness

CALENDAR_SCOPES = (EVENTS_SCOPE, CALENDAR_LIST_SCOPE, CALENDARS_SCOPE)


@pytest.fixture
def calendars(google: GoogleHarness) -> dict[str, str]:
    """Dana's list: her primary (owner), a team calendar she can edit, holidays she reads."""
    emulator = google.emulator
    team = emulator.create_calendar(email=DEMO_GOOGLE_EMAIL, summary="Team", access_role="writer")
    holidays = emulator.create_calendar(
        email=DEMO_GOOGLE_EMAIL, summary="Holidays", access_role="reader"
    )
    return {"primary": DEMO_GOOGLE_EMAIL, "team": team["id"], "holidays": holidays["id"]}


@pytest.fixture
def connected(google: GoogleHarness, client_ann: Client, calendars: dict[str, str]) -> Client:
    assert google.connect(client_ann)["Location"] == SETTINGS
    return client_ann


def _checked(page: str, name: str) -> list[str]:
    """The values of the ticked inputs called ``name``."""
    tags = re.findall(rf'<input [^>]*name="{name}"[^>]*>', page)
    return [re.findall(r'value="([^"]*)"', tag)[0] for tag in tags if " checked" in tag]


def _settings_of(user: User) -> SyncSettings:
    return SyncSettings.objects.get(connection__user=user)


def test_the_page_lists_every_calendar_with_its_access_role(
    connected: Client, calendars: dict[str, str]
) -> None:
    """calendarList entries appear as inbound checkboxes, labelled with their role."""
    page = connected.get(SETTINGS).content.decode()
    assert "dana@example.com (your main calendar) — you can edit" in page
    assert "Team — you can edit" in page
    assert "Holidays — read only" in page
    assert "owner" not in page  # Google's word, not the user's
    for calendar_id in calendars.values():
        assert f'name="inbound_calendar_ids" value="{calendar_id}"' in page
    assert "also synchronize private meetings" in page


def test_only_writable_calendars_are_offered_as_target(
    connected: Client, calendars: dict[str, str]
) -> None:
    """The target radio buttons hold the owner and writer calendars, not the read-only one."""
    page = connected.get(SETTINGS).content.decode()
    assert f'name="target_calendar_id" value="{calendars["primary"]}"' in page
    assert f'name="target_calendar_id" value="{calendars["team"]}"' in page
    assert f'name="target_calendar_id" value="{calendars["holidays"]}"' not in page


def test_the_page_recommends_a_dedicated_calendar_and_creates_it(
    connected: Client, google: GoogleHarness, ann: User
) -> None:
    """The page recommends a calendar for the CRM; the action creates "Tandem CRM" in Google
    (calendars.insert), and the page then offers it as a target and stops recommending."""
    page = connected.get(SETTINGS).content.decode()
    assert "Recommended:" in page
    assert "Create a dedicated calendar for the CRM" in page
    response = connected.post(CREATE_CALENDAR)
    assert response.status_code == 302
    created = [c for c in google.emulator.state.calendars.values() if c.summary == "Tandem CRM"]
    assert len(created) == 1
    assert created[0].owner_email == DEMO_GOOGLE_EMAIL
    page = connected.get(SETTINGS).content.decode()
    assert "Created the Google calendar “Tandem CRM”" in page
    assert f'name="target_calendar_id" value="{created[0].id}"' in page
    assert "Recommended:" not in page


def test_creating_the_dedicated_calendar_twice_makes_one(
    connected: Client, google: GoogleHarness
) -> None:
    """A double click makes no second "Tandem CRM": the account's own is proposed again
    (Google's calendars.insert makes one per call). One shared by someone else is not ours."""
    google.emulator.create_calendar(
        email=DEMO_GOOGLE_EMAIL, summary="Tandem CRM", access_role="reader"
    )
    connected.post(CREATE_CALENDAR)
    response = connected.post(CREATE_CALENDAR, follow=True)
    calendars = google.emulator.state.calendars.values()
    owned = [
        c for c in calendars if c.summary == "Tandem CRM" and c.owner_email == DEMO_GOOGLE_EMAIL
    ]
    assert len(owned) == 1
    page = response.content.decode()
    assert "Your Google account has the calendar “Tandem CRM” already" in page
    assert f'name="target_calendar_id" value="{owned[0].id}"' in page


def test_creating_the_dedicated_calendar_needs_post(connected: Client) -> None:
    """A GET never creates a calendar."""
    assert connected.get(CREATE_CALENDAR).status_code == 405


def test_saving_without_a_target_says_a_target_is_required(connected: Client, ann: User) -> None:
    """No target chosen: the page comes back with the message and nothing is saved."""
    response = connected.post(SETTINGS, {"inbound_calendar_ids": [DEMO_GOOGLE_EMAIL]})
    assert response.status_code == 200
    assert "Choose the Google calendar that receives the CRM&#x27;s meetings." in (
        response.content.decode()
    )
    assert _settings_of(ann).saved_at is None


def test_a_read_only_target_is_refused_with_a_message(
    connected: Client, calendars: dict[str, str], ann: User
) -> None:
    """Picking the read-only calendar as target (by a crafted POST) is refused clearly."""
    response = connected.post(SETTINGS, {"target_calendar_id": calendars["holidays"]})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert _settings_of(ann).target_calendar_id == ""


def test_an_unknown_calendar_is_refused_with_a_message(connected: Client, ann: User) -> None:
    """A calendar id that is not in the account's list is refused, inbound or target."""
    response = connected.post(
        SETTINGS,
        {"inbound_calendar_ids": ["someone-else@example.com"], "target_calendar_id": "nope"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "someone-else@example.com is not one of the available choices" in body
    assert "nope is not one of the available choices" in body
    assert _settings_of(ann).saved_at is None


def test_calendar_names_from_google_are_escaped(google: GoogleHarness, client_ann: Client) -> None:
    """A hostile calendar name is shown as text, never as markup."""
    google.emulator.create_calendar(
        email=DEMO_GOOGLE_EMAIL, summary="<img src=x onerror=alert(1)>", access_role="owner"
    )
    google.connect(client_ann)
    page = client_ann.get(SETTINGS).content.decode()
    assert "<img src=x onerror=alert(1)>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_saving_stores_the_choice_and_schedules_the_first_sync(
    connected: Client,
    calendars: dict[str, str],
    ann: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """Save keeps the inbound calendars, the target and the private checkbox, queues the
    first sync, and tells the user when it starts."""
    with django_capture_on_commit_callbacks(execute=True):
        response = connected.post(
            SETTINGS,
            {
                "inbound_calendar_ids": [calendars["primary"], calendars["holidays"]],
                "target_calendar_id": calendars["team"],
                "sync_private": "on",
            },
        )
    assert response.status_code == 302
    assert response["Location"] == EXTERNAL_SERVICES
    saved = _settings_of(ann)
    assert saved.inbound_calendar_ids == [calendars["primary"], calendars["holidays"]]
    assert saved.target_calendar_id == calendars["team"]
    assert saved.sync_private is True
    assert saved.saved_at is not None
    assert UserSyncState.objects.get(owner=ann).queued_for is not None
    page = connected.get(EXTERNAL_SERVICES).content.decode()
    assert "The first sync starts within a minute" in page


def test_the_saved_choice_is_shown_checked_when_the_page_is_opened_again(
    connected: Client, calendars: dict[str, str]
) -> None:
    """The page remembers what was saved."""
    connected.post(
        SETTINGS,
        {"inbound_calendar_ids": [calendars["team"]], "target_calendar_id": calendars["team"]},
    )
    page = connected.get(SETTINGS).content.decode()
    assert _checked(page, "inbound_calendar_ids") == [calendars["team"]]
    assert _checked(page, "target_calendar_id") == [calendars["team"]]


def test_settings_are_not_offered_before_connecting(
    google: GoogleHarness, client_ann: Client, ann: User
) -> None:
    """Without a connection the settings page sends the user to External services, and a
    POST saves nothing."""
    response = client_ann.post(SETTINGS, {"target_calendar_id": DEMO_GOOGLE_EMAIL})
    assert response.status_code == 302
    assert response["Location"] == EXTERNAL_SERVICES
    assert not SyncSettings.objects.filter(connection__user=ann, saved_at__isnull=False).exists()
    assert not GoogleConnection.objects.filter(user=ann).exists()


def test_calendar_access_withdrawn_before_creating_the_calendar_asks_to_grant_it_again(
    connected: Client, google: GoogleHarness, ann: User
) -> None:
    """Google answers insufficientPermissions to calendars.insert: the page says calendar
    access was withdrawn and goes to External services, where the grant button is, as the
    API's 409 and the list's read do (it said 'Google could not create the calendar' and
    went back to the settings page, which then sent the user on without a word)."""
    access = google.emulator.state.access_tokens[stored_tokens(ann)[0]]
    access.scopes = [s for s in access.scopes if s not in CALENDAR_SCOPES]
    response = connected.post(CREATE_CALENDAR)
    assert response["Location"] == EXTERNAL_SERVICES
    page = connected.get(EXTERNAL_SERVICES).content.decode()
    assert google_settings.SCOPE_WITHDRAWN in page
    assert "Google could not create the calendar" not in page
    assert not [c for c in google.emulator.state.calendars.values() if c.summary == "Tandem CRM"]


def test_a_calendar_google_refuses_to_create_is_said_with_googles_reason(
    connected: Client, google: GoogleHarness
) -> None:
    google.emulator.inject_fault(route="POST */calendars", status=503, reason="backendError")
    response = connected.post(CREATE_CALENDAR)
    assert response["Location"] == SETTINGS
    page = connected.get(SETTINGS).content.decode()
    assert "Google could not create the calendar: " in page
