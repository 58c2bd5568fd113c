"""The Google connection and the synchronization settings through the JSON API: the same
steps, validation and messages as External services and the settings page (issue 16)."""

from __future__ import annotations

import pytest
import yaml
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from tandem.accounts import google_settings
from tandem.accounts.models import GoogleConnection, Preferences, SyncSettings
from tests.conftest import DEMO_GOOGLE_EMAIL, GoogleHarness

from .helpers import token_client
from .sync_support import (
    CALENDARS,
    DEDICATED,
    GOOGLE,
    GOOGLE_ENDPOINTS,
    REVOKE,
    SETTINGS,
    connected_api,
    settings_saved,
    unauthenticated_status,
)

CONNECT_PATH = "/preferences/external-services/google/connect/"


@pytest.fixture
def calendars(google_in_process: GoogleHarness) -> dict[str, str]:
    """Dana's list: her primary (owner), a team calendar she can edit, holidays she reads."""
    emulator = google_in_process.emulator
    team = emulator.create_calendar(email=DEMO_GOOGLE_EMAIL, summary="Team", access_role="writer")
    holidays = emulator.create_calendar(
        email=DEMO_GOOGLE_EMAIL, summary="Holidays", access_role="reader"
    )
    return {"primary": DEMO_GOOGLE_EMAIL, "team": team["id"], "holidays": holidays["id"]}


@pytest.fixture
def ann(
    google_in_process: GoogleHarness, calendars: dict[str, str], db: None
) -> tuple[User, APIClient]:
    """Ann, connected to Dana's Google account through the consent page."""
    return connected_api(google_in_process, "ann")


def test_before_connecting_the_status_says_so_and_gives_the_connect_url(
    google_in_process: GoogleHarness, db: None
) -> None:
    """Not connected: no email, and the absolute URL of the CRM's connect step."""
    user = User.objects.create_user("zoe", password="zoe-secret-pw")
    body = token_client(user).get(GOOGLE).json()
    assert body == {
        "status": "disconnected",
        "status_text": "Not connected",
        "email": "",
        "connect_url": f"http://testserver{CONNECT_PATH}",
        "revoke_pending": False,
    }


def test_the_connect_url_leads_through_googles_consent_to_a_connection(
    ann: tuple[User, APIClient],
) -> None:
    """A browser signed in as the user follows the connect URL through Google's consent:
    the API then reports the connection and the Google account's email."""
    user, api = ann
    body = api.get(GOOGLE).json()
    assert body["status"] == "connected"
    assert body["status_text"] == "Connected"
    assert body["email"] == DEMO_GOOGLE_EMAIL
    assert GoogleConnection.objects.get(user=user).is_connected


def test_calendars_not_granted_is_reported_and_settings_are_refused(
    google_in_process: GoogleHarness, db: None
) -> None:
    """Consent without calendar access: status scope_missing; the settings answer 409 with
    the page's message, and nothing is saved."""
    _, api = connected_api(
        google_in_process,
        "cal",
        untick=["https://www.googleapis.com/auth/calendar.events"],
    )
    assert api.get(GOOGLE).json()["status"] == "scope_missing"
    for response in (
        api.get(SETTINGS),
        api.get(CALENDARS),
        api.put(
            SETTINGS,
            {
                "inbound_calendar_ids": [],
                "target_calendar_id": DEMO_GOOGLE_EMAIL,
                "sync_private": False,
            },
            format="json",
        ),
        api.post(DEDICATED, {}, format="json"),
    ):
        assert response.status_code == 409, response.content
        assert response.json() == {"detail": google_settings.CONNECT_FIRST}
    assert not SyncSettings.objects.filter(saved_at__isnull=False).exists()


def test_calendars_come_with_access_levels(
    ann: tuple[User, APIClient], calendars: dict[str, str]
) -> None:
    """Every calendar of the account, with Google's accessRole, the page's words for it, and
    whether it may receive the CRM's meetings."""
    _, api = ann
    body = api.get(CALENDARS).json()
    assert body["load_error"] == "" and body["has_dedicated"] is False
    by_id = {calendar["id"]: calendar for calendar in body["calendars"]}
    assert set(by_id) == set(calendars.values())
    assert (by_id[calendars["primary"]]["access_role"], by_id[calendars["primary"]]["access"]) == (
        "owner",
        "you can edit",
    )
    assert by_id[calendars["primary"]]["primary"] is True
    assert by_id[calendars["team"]]["access"] == "you can edit"
    assert by_id[calendars["team"]]["writable"] is True
    assert by_id[calendars["holidays"]]["access"] == "read only"
    assert by_id[calendars["holidays"]]["writable"] is False


def test_a_google_failure_keeps_the_last_known_calendars_and_says_so(
    ann: tuple[User, APIClient], google_in_process: GoogleHarness, calendars: dict[str, str]
) -> None:
    _, api = ann
    assert len(api.get(CALENDARS).json()["calendars"]) == 3
    # The list a save was checked against is the last known one (a GET stores nothing).
    saved = api.put(
        SETTINGS,
        {
            "inbound_calendar_ids": [calendars["primary"]],
            "target_calendar_id": calendars["primary"],
            "sync_private": False,
        },
        format="json",
    )
    assert saved.status_code == 200, saved.content
    google_in_process.emulator.inject_fault(
        route="GET */calendarList", status=503, reason="backendError", times=-1
    )
    body = api.get(CALENDARS).json()
    assert body["load_error"].startswith("Could not load your calendars from Google")
    assert len(body["calendars"]) == 3


def test_settings_are_saved_with_the_pages_message(
    ann: tuple[User, APIClient], calendars: dict[str, str]
) -> None:
    """PUT chooses every setting; the answer is the saved settings and the page's message;
    the settings are what the page would have saved."""
    user, api = ann
    response = api.put(
        SETTINGS,
        {
            "inbound_calendar_ids": [calendars["primary"], calendars["holidays"]],
            "target_calendar_id": calendars["team"],
            "sync_private": True,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["message"] == google_settings.SAVED
    assert body["complete"] is True and body["saved_at"]
    assert body["target_calendar_id"] == calendars["team"]
    saved = SyncSettings.objects.get(connection__user=user)
    assert saved.inbound_calendar_ids == [calendars["primary"], calendars["holidays"]]
    assert (saved.target_calendar_id, saved.sync_private) == (calendars["team"], True)
    assert api.get(SETTINGS).json()["inbound_calendar_ids"] == saved.inbound_calendar_ids


def test_patch_changes_only_what_it_names(
    ann: tuple[User, APIClient], calendars: dict[str, str]
) -> None:
    user, api = ann
    api.put(
        SETTINGS,
        {
            "inbound_calendar_ids": [calendars["primary"]],
            "target_calendar_id": calendars["primary"],
            "sync_private": False,
        },
        format="json",
    )
    response = api.patch(SETTINGS, {"sync_private": True}, format="json")
    assert response.status_code == 200, response.content
    saved = SyncSettings.objects.get(connection__user=user)
    assert saved.sync_private is True
    assert saved.inbound_calendar_ids == [calendars["primary"]]
    assert saved.target_calendar_id == calendars["primary"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"target_calendar_id": "holidays"},
            "target_calendar_id",
            "You can only read that calendar; choose one you can write to.",
        ),
        (
            {"target_calendar_id": "nobody@example.com"},
            "target_calendar_id",
            "That calendar is not in your Google account.",
        ),
        (
            {"target_calendar_id": ""},
            "target_calendar_id",
            "Choose the Google calendar that receives the CRM's meetings.",
        ),
        (
            {"inbound_calendar_ids": ["primary", "gone@group.calendar.google.com"]},
            "inbound_calendar_ids",
            "Some chosen calendars are no longer in your Google account; reload the page.",
        ),
    ],
)
def test_bad_settings_are_refused_with_the_pages_messages(
    ann: tuple[User, APIClient],
    calendars: dict[str, str],
    change: dict[str, object],
    field: str,
    message: str,
) -> None:
    """The service's validation, keyed by field, with the same words as the page; nothing
    is saved."""
    user, api = ann
    body: dict[str, object] = {
        "inbound_calendar_ids": [calendars["primary"]],
        "target_calendar_id": calendars["primary"],
        "sync_private": False,
    }
    for key, value in change.items():
        body[key] = (
            calendars.get(value, value)
            if isinstance(value, str)
            else [
                calendars.get(v, v)
                for v in value  # type: ignore[attr-defined]
            ]
        )
    response = api.put(SETTINGS, body, format="json")
    assert response.status_code == 400
    assert response.json() == {field: [message]}
    assert SyncSettings.objects.get(connection__user=user).saved_at is None


@pytest.mark.parametrize(
    "body",
    [
        {"inbound_calendar_ids": "primary", "target_calendar_id": "x", "sync_private": False},
        {"inbound_calendar_ids": [], "target_calendar_id": "x", "sync_private": "maybe"},
        {"target_calendar_id": "x"},
    ],
)
def test_malformed_settings_get_a_400_naming_the_field(
    ann: tuple[User, APIClient], body: dict[str, object]
) -> None:
    _, api = ann
    response = api.put(SETTINGS, body, format="json")
    assert response.status_code == 400
    assert set(response.json()) <= {"inbound_calendar_ids", "sync_private"}
    assert response.json()


def test_the_dedicated_calendar_is_created_in_google_and_offered(
    ann: tuple[User, APIClient], google_in_process: GoogleHarness
) -> None:
    """POST creates "Tandem CRM" in Google (owner), returns it, and the calendar list then
    has it; it can be chosen as target right away."""
    _, api = ann
    response = api.post(DEDICATED, {"time_zone": "Europe/Berlin"}, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["summary"] == "Tandem CRM" and created["access_role"] == "owner"
    assert created["writable"] is True and created["time_zone"] == "Europe/Berlin"
    listed = api.get(CALENDARS).json()
    assert listed["has_dedicated"] is True
    assert created["id"] in {calendar["id"] for calendar in listed["calendars"]}
    saved = api.put(
        SETTINGS,
        {
            "inbound_calendar_ids": [created["id"]],
            "target_calendar_id": created["id"],
            "sync_private": False,
        },
        format="json",
    )
    assert saved.status_code == 200, saved.content


def test_a_repeated_post_answers_the_dedicated_calendar_the_account_has_200(
    ann: tuple[User, APIClient], google_in_process: GoogleHarness
) -> None:
    """A client retrying after a timeout makes no second calendar: the account's own
    "Tandem CRM" is answered with 200 and says so."""
    _, api = ann
    first = api.post(DEDICATED, {}, format="json")
    again = api.post(DEDICATED, {}, format="json")
    assert (first.status_code, again.status_code) == (201, 200), again.content
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["message"].startswith(
        "Your Google account has the calendar “Tandem CRM” already; no other was created."
    )
    calendars = api.get(CALENDARS).json()["calendars"]
    assert [c["summary"] for c in calendars].count("Tandem CRM") == 1


def test_a_dedicated_calendar_in_a_zone_that_does_not_exist_is_a_400(
    ann: tuple[User, APIClient], google_in_process: GoogleHarness
) -> None:
    _, api = ann
    before = len(api.get(CALENDARS).json()["calendars"])
    response = api.post(DEDICATED, {"time_zone": "Mars/Olympus"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"time_zone": ["“Mars/Olympus” is not an IANA time zone."]}
    assert len(api.get(CALENDARS).json()["calendars"]) == before


def test_a_dedicated_calendar_google_refuses_is_a_502_with_googles_reason(
    ann: tuple[User, APIClient], google_in_process: GoogleHarness
) -> None:
    _, api = ann
    google_in_process.emulator.inject_fault(
        route="POST */calendars", status=503, reason="backendError", times=-1
    )
    response = api.post(DEDICATED, {}, format="json")
    assert response.status_code == 502
    assert response.json()["detail"].startswith("Google could not create the calendar: ")


def test_revoke_disconnects_and_says_what_it_did(
    ann: tuple[User, APIClient], google_in_process: GoogleHarness
) -> None:
    """POST revokes at Google and disconnects; a second POST has nothing to revoke."""
    user, api = ann
    response = api.post(REVOKE)
    assert response.status_code == 200
    body = response.json()
    assert body["done"] is True and body["revoked_at_google"] is True
    assert body["message"] == google_settings.REVOKED
    assert body["google"]["status"] == "disconnected"
    connection = GoogleConnection.objects.get(user=user)
    assert not connection.refresh_token_encrypted and not connection.access_token_encrypted
    refresh_tokens = google_in_process.emulator.state.refresh_tokens.values()
    assert refresh_tokens and all(token.dead == "revoked" for token in refresh_tokens)
    again = api.post(REVOKE).json()
    assert again["done"] is False and again["message"] == google_settings.NOTHING_TO_REVOKE


def test_revoke_when_google_is_unreachable_is_queued_and_said(
    ann: tuple[User, APIClient], google_in_process: GoogleHarness
) -> None:
    user, api = ann
    google_in_process.emulator.inject_fault(route="POST /revoke", status=503, times=-1)
    body = api.post(REVOKE).json()
    assert body["done"] is True and body["revoked_at_google"] is False
    assert body["message"] == google_settings.REVOKE_QUEUED
    assert body["google"] == {**body["google"], "status": "disconnected", "revoke_pending": True}
    assert GoogleConnection.objects.get(user=user).pending_revoke_encrypted


def test_another_user_sees_and_changes_only_their_own_connection(
    ann: tuple[User, APIClient], calendars: dict[str, str]
) -> None:
    """Bob's answers carry nothing of Ann's; his revoke and settings leave hers alone."""
    ann_user, _ = ann
    bob_api = token_client(User.objects.create_user("bob", password="bob-secret-pw"))
    status = bob_api.get(GOOGLE)
    assert status.json()["status"] == "disconnected"
    assert DEMO_GOOGLE_EMAIL not in status.content.decode()
    for response in (bob_api.get(SETTINGS), bob_api.get(CALENDARS)):
        assert response.status_code == 409
        assert DEMO_GOOGLE_EMAIL not in response.content.decode()
    assert bob_api.post(REVOKE).json()["done"] is False
    assert GoogleConnection.objects.get(user=ann_user).is_connected


@pytest.mark.parametrize(("method", "url"), GOOGLE_ENDPOINTS)
def test_without_credentials_nothing_is_read_or_done(
    ann: tuple[User, APIClient], method: str, url: str
) -> None:
    user, _ = ann
    response = getattr(APIClient(), method)(url, {}, format="json")
    assert response.status_code == unauthenticated_status()
    assert DEMO_GOOGLE_EMAIL not in response.content.decode()
    assert GoogleConnection.objects.get(user=user).is_connected


def test_a_browser_session_cannot_revoke_or_save_without_the_csrf_token(
    ann: tuple[User, APIClient], calendars: dict[str, str]
) -> None:
    """A signed-in browser's session authenticates the API too, so every write needs the
    CSRF token: a forged form on another site changes nothing."""
    user, _ = ann
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.get(GOOGLE).json()["status"] == "connected"
    for response in (
        browser.post(REVOKE),
        browser.put(
            SETTINGS,
            {
                "inbound_calendar_ids": [],
                "target_calendar_id": calendars["primary"],
                "sync_private": True,
            },
            format="json",
        ),
        browser.post(DEDICATED, {}, format="json"),
    ):
        assert response.status_code == 403
        assert "CSRF" in response.json()["detail"]
    assert GoogleConnection.objects.get(user=user).is_connected
    assert SyncSettings.objects.get(connection__user=user).saved_at is None


def test_a_grant_revoked_in_google_reads_needs_reconnect(
    ann: tuple[User, APIClient], google_in_process: GoogleHarness
) -> None:
    """The person removed Tandem's access in their Google Account: the next read of the
    calendars answers 409 with the page's words, and the connection says needs_reconnect
    with the same connect URL to send the browser to."""
    _, api = ann
    google_in_process.emulator.revoke_tokens(email=DEMO_GOOGLE_EMAIL)
    response = api.get(CALENDARS)
    assert response.status_code == 409
    assert response.json() == {"detail": google_settings.CONNECTION_LOST}
    status = api.get(GOOGLE).json()
    assert status["status"] == "needs_reconnect"
    assert status["status_text"] == "Needs reconnect"
    assert status["connect_url"].endswith(CONNECT_PATH)


@pytest.mark.parametrize("value", ["maybe", "", "2"])
def test_a_refresh_that_is_not_a_boolean_is_a_400(ann: tuple[User, APIClient], value: str) -> None:
    """It was read as "true": a typo (refresh=flase) read Google again, unseen."""
    _, api = ann
    response = api.get(f"{CALENDARS}?refresh={value}")
    assert response.status_code == 400
    assert set(response.json()) == {"refresh"}


@pytest.mark.parametrize(
    ("value", "reads_google"), [("false", False), ("0", False), ("true", True)]
)
def test_refresh_false_gives_the_last_known_list_without_asking_google(
    ann: tuple[User, APIClient],
    google_in_process: GoogleHarness,
    calendars: dict[str, str],
    value: str,
    reads_google: bool,
) -> None:
    _, api = ann
    settings_saved(api)  # a save remembers the list it was checked against
    google_in_process.emulator.inject_fault(
        route="GET */calendarList", status=503, reason="backendError", times=-1
    )
    body = api.get(f"{CALENDARS}?refresh={value}").json()
    assert bool(body["load_error"]) is reads_google
    assert {c["id"] for c in body["calendars"]} == set(calendars.values())


def test_the_dedicated_calendar_answer_says_what_was_done_and_the_step_left(
    ann: tuple[User, APIClient], google_in_process: GoogleHarness
) -> None:
    """The page says what it did; the API answered the bare calendar, and its schema an
    untyped object. Without a zone it is made in the user's own (My Preferences)."""
    user, api = ann
    Preferences.objects.create(user=user, time_zone="America/Chicago")
    response = api.post(DEDICATED, {}, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["message"] == (
        "Created the Google calendar “Tandem CRM”. Save the settings with it as the target "
        "calendar to use it."
    )
    assert created["time_zone"] == "America/Chicago"
    schema = yaml.safe_load(api.get("/api/schema/").content)
    answer = schema["paths"]["/api/v1/google/calendars/dedicated/"]["post"]["responses"]["201"]
    reference = answer["content"]["application/json"]["schema"]["$ref"]
    shape = schema["components"]["schemas"][reference.rsplit("/", 1)[1]]
    assert set(created) == set(shape["properties"]) and "message" in shape["required"]


def test_a_dedicated_calendar_after_the_grant_was_revoked_in_google_is_a_409_to_reconnect(
    ann: tuple[User, APIClient], google_in_process: GoogleHarness
) -> None:
    """As the calendar list says (409, reconnect), not a 502 'Google could not create the
    calendar' that a script would retry."""
    _, api = ann
    google_in_process.emulator.revoke_tokens(email=DEMO_GOOGLE_EMAIL)
    response = api.post(DEDICATED, {}, format="json")
    assert response.status_code == 409
    assert response.json() == {"detail": google_settings.CONNECTION_LOST}
    assert api.get(GOOGLE).json()["status"] == "needs_reconnect"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sync_private": "yes"}, "sync_private"),
        ({"sync_private": 1}, "sync_private"),
        ({"sync_private": "false"}, "sync_private"),
        ({"target_calendar_id": 5}, "target_calendar_id"),
        ({"inbound_calendar_ids": [7]}, "inbound_calendar_ids"),
        ({"calendar_colours": "a number"}, "calendar_colours"),
    ],
)
def test_a_value_of_another_type_than_the_schema_says_is_refused(
    ann: tuple[User, APIClient], calendars: dict[str, str], change: dict[str, object], field: str
) -> None:
    """docs/api.md: strings and booleans must be JSON strings and booleans, as for the
    meetings. The settings read "yes" or 1 as true, "false" as false, 5 as "5"."""
    user, api = ann
    body = {
        "inbound_calendar_ids": [calendars["primary"]],
        "target_calendar_id": calendars["primary"],
        "sync_private": False,
        **change,
    }
    if field == "calendar_colours":  # a real calendar's, only the colour's type is wrong
        body[field] = {calendars["primary"]: 4986}
    response = api.put(SETTINGS, body, format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()) == {field}
    assert SyncSettings.objects.get(connection__user=user).saved_at is None


def test_a_time_zone_that_is_not_a_string_is_refused(ann: tuple[User, APIClient]) -> None:
    _, api = ann
    response = api.post(DEDICATED, {"time_zone": 5}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"time_zone"}


def test_a_bad_colour_gets_the_services_message(
    ann: tuple[User, APIClient], calendars: dict[str, str]
) -> None:
    """One rule for colours, the service's: the API had its own pattern check, whose words
    ('This value does not match the required pattern.') no page says."""
    _, api = ann
    response = api.put(
        SETTINGS,
        {
            "inbound_calendar_ids": [],
            "target_calendar_id": calendars["primary"],
            "sync_private": False,
            "calendar_colours": {calendars["primary"]: "red"},
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "calendar_colours": ["Give each colour as #rrggbb, for calendars of your Google account."]
    }


def test_the_settings_list_the_accounts_calendars_before_the_first_save(
    ann: tuple[User, APIClient], calendars: dict[str, str]
) -> None:
    """Right after connecting, as the page shows them: the settings listed no calendar at
    all until a first save, though the account had three. A GET stores nothing."""
    user, api = ann
    body = api.get(SETTINGS).json()
    assert {c["id"] for c in body["calendars"]} == set(calendars.values())
    assert SyncSettings.objects.get(connection__user=user).known_calendars == []
