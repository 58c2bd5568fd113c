"""Scenario helpers for sync tests: a connected user, the person editing in Google, a run,
and both sides read as comparable ``MeetingFields``.

Everything goes through real parts: the database, the engine, and the Google emulator's
REST API (the emulator is the only stand-in for Google). Used by the rule and fault tests
and by the property test, so the public functions here stay stable.

Typical use::

    world = connect_user(google_in_process, client, username="ann")
    event = world.google.create_event(world.primary, summary="Call", start=t, end=t + HOUR)
    outcome = run_sync(world)
    assert crm_by_subject(world)["Call"] == google_by_subject(world)["Call"]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from tandem.accounts.google_clients import use_transport
from tandem.accounts.google_services import (
    SettingsChoice,
    calendars_refresh,
    connection_for,
    sync_settings_save,
)
from tandem.fakegoogle import FakeGoogle
from tandem.meetings.models import Meeting
from tandem.meetings.services import (
    MeetingInput,
    input_of,
    meeting_create,
    meeting_delete,
    meeting_update,
)
from tandem.sync.adapters.crm import meeting_fields
from tandem.sync.core.fields import MeetingFields
from tandem.sync.core.mapping import read_event
from tandem.sync.engine import sync_user_now
from tandem.sync.engine.run import SyncOutcome
from tandem.sync.models import EventLink, SyncRun, UserSyncState
from tests.conftest import DEMO_GOOGLE_EMAIL, GoogleHarness

CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
PERSON = "the-person-in-google"
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})


def soon(days: int = 1, hour: int = 10) -> datetime:
    """A whole hour ``days`` from today (UTC), well inside the sync window."""
    today = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return today.replace(hour=hour) + timedelta(days=days)


def event_body(
    summary: str | None,
    start: datetime | date,
    end: datetime | date,
    *,
    time_zone: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An events.insert body: timed when given datetimes, all-day when given dates."""

    def moment(value: datetime | date) -> dict[str, str]:
        if isinstance(value, datetime):
            found = {"dateTime": value.isoformat()}
            return found | ({"timeZone": time_zone} if time_zone else {})
        return {"date": value.isoformat()}

    body: dict[str, Any] = {"start": moment(start), "end": moment(end), **extra}
    if summary is not None:
        body["summary"] = summary
    return body


class GooglePerson:
    """The account owner (or a colleague) acting in Google Calendar, through the REST API
    with a freshly minted access token: what a person does in Google's own web app."""

    def __init__(self, harness: GoogleHarness, email: str = DEMO_GOOGLE_EMAIL) -> None:
        self.emulator, self.email = harness.emulator, email
        # quotaUser marks the person's calls in the emulator's log (Google ignores it here).
        self.http = httpx.Client(
            transport=harness.emulator.transport(),
            base_url="http://fakegoogle.test/calendar/v3/",
            params={"quotaUser": PERSON},
        )
        self._sign_in()

    def _sign_in(self) -> None:
        token = self.emulator.mint_access_token(email=self.email, scopes=[CALENDAR_SCOPE])
        self.http.headers["Authorization"] = f"Bearer {token}"

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        response = self.http.request(method, url, **kwargs)
        if response.status_code == 401:
            # A test expired or revoked every token of the account: sign in again.
            self._sign_in()
            response = self.http.request(method, url, **kwargs)
        return response

    @staticmethod
    def _events(calendar_id: str, event_id: str = "") -> str:
        path = f"calendars/{quote(calendar_id, safe='')}/events"
        return f"{path}/{quote(event_id, safe='')}" if event_id else path

    def _ok(self, response: httpx.Response) -> dict[str, Any]:
        assert response.status_code < 300, f"{response.status_code}: {response.text}"
        return response.json() if response.content else {}

    def create_event(
        self,
        calendar_id: str,
        summary: str | None = "Event",
        start: datetime | date | None = None,
        end: datetime | date | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        start = start or soon()
        end = end or (start + HOUR if isinstance(start, datetime) else start + DAY)
        body = event_body(summary, start, end, **extra)
        return self._ok(self._send("POST", self._events(calendar_id), json=body))

    def fill(self, calendar_id: str, count: int, *, prefix: str = "Bulk") -> list[str]:
        """``count`` one-hour events on the coming days, named ``<prefix> <n>``; their ids."""
        ids = []
        for number in range(count):
            start = soon(days=1 + number % 300, hour=8 + number % 10)
            ids.append(self.create_event(calendar_id, f"{prefix} {number}", start)["id"])
        return ids

    def import_event(self, calendar_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """events.import: a copy of an event (same iCalUID) in another calendar."""
        return self._ok(self._send("POST", f"{self._events(calendar_id)}/import", json=body))

    def patch_event(self, calendar_id: str, event_id: str, **changes: Any) -> dict[str, Any]:
        return self._ok(self._send("PATCH", self._events(calendar_id, event_id), json=changes))

    def delete_event(self, calendar_id: str, event_id: str) -> None:
        self._ok(self._send("DELETE", self._events(calendar_id, event_id)))

    def get_event(self, calendar_id: str, event_id: str) -> dict[str, Any]:
        return self._ok(self._send("GET", self._events(calendar_id, event_id)))

    def instances(self, calendar_id: str, event_id: str) -> list[dict[str, Any]]:
        """events.instances: the occurrences of a recurring event (one page)."""
        path = f"{self._events(calendar_id, event_id)}/instances"
        return list(self._ok(self._send("GET", path))["items"])

    def events(self, calendar_id: str, *, show_deleted: bool = False) -> list[dict[str, Any]]:
        """Every event of the calendar (all pages), live ones unless ``show_deleted``."""
        items: list[dict[str, Any]] = []
        params: dict[str, Any] = {"maxResults": 2500, "showDeleted": str(show_deleted).lower()}
        while True:
            body = self._ok(self._send("GET", self._events(calendar_id), params=params))
            items.extend(body.get("items", []))
            if not body.get("nextPageToken"):
                return items
            params["pageToken"] = body["nextPageToken"]

    def close(self) -> None:
        self.http.close()


@dataclass
class SyncWorld:
    """One connected CRM user, their Google account as seen by the person, and the emulator."""

    user: User
    harness: GoogleHarness
    client: Client
    google: GooglePerson
    primary: str = DEMO_GOOGLE_EMAIL

    @property
    def emulator(self) -> FakeGoogle:
        return self.harness.emulator


def connect_user(
    harness: GoogleHarness,
    client: Client,
    *,
    username: str = "ann",
    inbound: list[str] | None = None,
    target: str | None = None,
    sync_private: bool = False,
) -> SyncWorld:
    """Creates a CRM user, connects the demo Google account through the real OAuth flow,
    and saves sync settings (default: the primary calendar both inbound and target)."""
    user = User.objects.create_user(username, password="pw")
    client.force_login(user)
    answer = harness.connect(client)
    assert answer.status_code == 302, answer
    world = SyncWorld(user=user, harness=harness, client=client, google=GooglePerson(harness))
    save_settings(world, inbound=inbound, target=target, sync_private=sync_private)
    return world


def save_settings(
    world: SyncWorld,
    *,
    inbound: list[str] | None = None,
    target: str | None = None,
    sync_private: bool = False,
) -> None:
    """Re-reads the calendar list and saves the user's sync settings, as the settings page
    does."""
    connection = connection_for(user=world.user)
    calendars_refresh(connection=connection)
    sync_settings_save(
        connection=connection,
        choice=SettingsChoice(
            inbound_calendar_ids=[world.primary] if inbound is None else inbound,
            target_calendar_id=target or world.primary,
            sync_private=sync_private,
        ),
    )


def run_sync(world: SyncWorld, *, allow_mass_delete: bool = False) -> SyncOutcome:
    """One engine run for the user, now (never "busy": tests run one at a time)."""
    outcome = sync_user_now(user_id=world.user.pk, allow_mass_delete=allow_mass_delete)
    assert not outcome.busy, "another run holds the user's lock"
    return outcome


def run_clean(world: SyncWorld, *, allow_mass_delete: bool = False) -> SyncOutcome:
    """A run that must succeed; its errors are shown if not."""
    outcome = run_sync(world, allow_mass_delete=allow_mass_delete)
    assert outcome.run is not None, outcome.skipped
    assert outcome.run.status == SyncRun.Status.SUCCEEDED, (outcome.run.status, outcome.run.errors)
    return outcome


# -- the CRM side ---------------------------------------------------------------------------


def crm_create(
    world: SyncWorld,
    subject: str,
    start: datetime | None = None,
    end: datetime | None = None,
    **values: Any,
) -> Meeting:
    """A meeting created by the user in the CRM (origin "crm", as the web pages do)."""
    start = start or soon()
    data = MeetingInput(subject=subject, start=start, end=end or start + HOUR, **values)
    return meeting_create(owner=world.user, data=data)


def crm_edit(meeting: Meeting, **changes: Any) -> Meeting:
    """Edits some fields of a meeting in the CRM, keeping the others."""
    meeting.refresh_from_db()
    values: dict[str, Any] = dict(vars(input_of(meeting)))
    values.update(changes)
    return meeting_update(meeting=meeting, data=MeetingInput(**values))


def crm_delete(meeting: Meeting) -> Meeting:
    meeting.refresh_from_db()
    return meeting_delete(meeting=meeting)


def crm_meetings(world: SyncWorld, *, deleted: bool = False) -> list[Meeting]:
    """The user's live meetings (or tombstones with ``deleted``)."""
    rows = Meeting.objects.filter(owner=world.user, deleted_at__isnull=not deleted)
    return list(rows.order_by("pk"))


def crm_by_subject(world: SyncWorld) -> dict[str, MeetingFields]:
    """Live meetings as fields, by subject; a duplicate subject fails the test."""
    found: dict[str, MeetingFields] = {}
    for meeting in crm_meetings(world):
        assert meeting.subject not in found, f"two CRM meetings named {meeting.subject!r}"
        found[meeting.subject] = meeting_fields(meeting)
    return found


# -- the Google side ------------------------------------------------------------------------


def google_fields(event: dict[str, Any], *, default_zone: str = "Europe/Berlin") -> MeetingFields:
    """An event read the way the engine reads it (the demo account lives in Berlin)."""
    fields = read_event(event, default_zone=default_zone).fields
    assert fields is not None, event
    return fields


def google_by_subject(world: SyncWorld, calendar_id: str | None = None) -> dict[str, MeetingFields]:
    """Live events of a calendar (default: the primary) as fields, by summary; a duplicate
    summary fails the test."""
    found: dict[str, MeetingFields] = {}
    for event in world.google.events(calendar_id or world.primary):
        fields = google_fields(event)
        assert fields.subject not in found, f"two Google events named {fields.subject!r}"
        found[fields.subject] = fields
    return found


def assert_in_agreement(world: SyncWorld, calendar_id: str | None = None) -> None:
    """The CRM's live meetings and the calendar's live events are the same set, field by
    field (for a user whose every meeting belongs in that calendar)."""
    assert crm_by_subject(world) == google_by_subject(world, calendar_id)


def links_of(world: SyncWorld, calendar_id: str | None = None) -> list[EventLink]:
    rows = EventLink.objects.filter(owner=world.user)
    if calendar_id is not None:
        rows = rows.filter(calendar_id=calendar_id)
    return list(rows.order_by("pk"))


def needs_attention(world: SyncWorld) -> str:
    state = UserSyncState.objects.filter(owner=world.user).first()
    return state.needs_attention if state else ""


# -- acting in Google at a chosen moment of a run -------------------------------------------


class _ActFirst(httpx.BaseTransport):
    def __init__(
        self,
        inner: httpx.BaseTransport,
        *,
        method: str,
        path_contains: str,
        nth: int,
        action: Callable[[], object],
    ) -> None:
        self.inner, self.method, self.path_contains = inner, method, path_contains
        self.nth, self.action, self.seen = nth, action, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == self.method and self.path_contains in request.url.path:
            self.seen += 1
            if self.seen == self.nth:
                self.action()
        return self.inner.handle_request(request)


@contextmanager
def google_acts_before(
    world: SyncWorld,
    *,
    method: str,
    path_contains: str,
    action: Callable[[], object],
    nth: int = 1,
) -> Iterator[None]:
    """Inside the block, ``action`` (something the person or Google does) happens just
    before the CRM's ``nth`` call with ``method`` to a path containing ``path_contains``
    reaches the emulator: a person editing between our read and our write, a grant revoked
    between two pages. Only the timing is arranged; every call is served by the emulator."""
    transport = _ActFirst(
        world.emulator.transport(),
        method=method,
        path_contains=path_contains,
        nth=nth,
        action=action,
    )
    with use_transport(transport):
        yield


# -- the database acting at a chosen moment of a run ----------------------------------------


@contextmanager
def meeting_trigger(*, event: str, when: str, statement: str | None = None) -> Iterator[None]:
    """Inside the block, a trigger of the database on the meetings table, for one ``event``
    ("UPDATE", "UPDATE OF series_id") of a row matching ``when`` (a condition on OLD and
    NEW): a real fault, the write refused (``statement`` None), or after the write one
    more SQL ``statement``, a person's save landing at that moment of a run. Our code is
    left as it is; the trigger goes afterwards."""
    table = Meeting._meta.db_table
    timing = "BEFORE" if statement is None else "AFTER"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            body = statement or "RAISE EXCEPTION 'refused by the test'"
            cursor.execute(
                "CREATE FUNCTION tandem_test_trigger() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN {body}; RETURN NULL; END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER tandem_test_trigger {timing} {event} ON {table} FOR EACH ROW "
                f"WHEN ({when}) EXECUTE FUNCTION tandem_test_trigger()"
            )
        else:
            body = statement or "SELECT RAISE(ABORT, 'refused by the test')"
            cursor.execute(
                f"CREATE TRIGGER tandem_test_trigger {timing} {event} ON {table} "
                f"WHEN {when} BEGIN {body}; END"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER tandem_test_trigger ON {table}")
                cursor.execute("DROP FUNCTION tandem_test_trigger()")
            else:
                cursor.execute("DROP TRIGGER tandem_test_trigger")


# -- the emulator's request log -------------------------------------------------------------


@contextmanager
def google_requests(world: SyncWorld) -> Iterator[list[Any]]:
    """Collects the Calendar API requests the CRM made inside the block (the emulator's log;
    the person's own calls in Google are left out)."""
    log = world.emulator.request_log
    start = len(log)
    seen: list[Any] = []
    try:
        yield seen
    finally:
        seen.extend(
            entry
            for entry in log[start:]
            if entry.path.startswith("/calendar/v3/") and f"quotaUser={PERSON}" not in entry.query
        )


def writes(entries: list[Any]) -> list[Any]:
    """The write calls among logged requests (insert, patch, update, delete, move)."""
    return [entry for entry in entries if entry.method in WRITE_METHODS]
