"""Helpers for the database-and-emulator convergence test (test_convergence_db.py).

A ``World`` is one example's universe: a fresh in-process Google emulator with the demo
account and a second calendar, a CRM user connected to it through the real OAuth flow, and
a "person" who edits the calendars through Google's REST API with a minted token. Nothing
of our own code is replaced: the engine, the meetings services and the emulator all run.
The engine's calls go through a ``Recorder`` (an httpx transport in front of the emulator)
that keeps the body of every write, and can let the person act between two pages of a
listing.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
from django.contrib.auth.models import User
from django.test import Client
from hypothesis import strategies as st

from tandem.accounts.google_clients import use_transport
from tandem.accounts.google_services import (
    SettingsChoice,
    calendars_refresh,
    connection_for,
    sync_settings_save,
)
from tandem.accounts.models import GoogleConnection
from tandem.fakegoogle import FakeGoogle
from tandem.meetings.models import Meeting
from tandem.meetings.services import MeetingInput
from tandem.sync.core.fields import MeetingFields, TimedMoment
from tandem.sync.core.mapping import event_body_from_fields, patch_from_changes
from tandem.sync.models import Installation
from tests.conftest import (
    DEMO_GOOGLE_EMAIL,
    GOOGLE_TEST_CLIENT_ID,
    GOOGLE_TEST_CLIENT_SECRET,
    GOOGLE_TEST_REDIRECT_URI,
    IN_PROCESS_BASE_URL,
    GoogleHarness,
)

CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"
PRIMARY = DEMO_GOOGLE_EMAIL
SECOND_CALENDAR_ID = "team@group.calendar.test"
# The boss's calendar, shared with the demo account as a reader.
BOSS_EMAIL = "boss@example.com"
READ_ONLY_CALENDAR_ID = "board@group.calendar.test"
CALENDAR_ZONES = {
    PRIMARY: "Europe/Berlin",
    SECOND_CALENDAR_ID: "America/New_York",
    READ_ONLY_CALENDAR_ID: "Asia/Kolkata",
}
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# -- strategies ---------------------------------------------------------------------------

# Meetings are placed relative to today, away from the window's edge (now - 30 days) so an
# example that runs for a few seconds never sees one cross it.
TODAY = datetime.now(UTC).date()
ANCHOR = datetime.combine(TODAY, time(9), tzinfo=UTC)
ZONES = ("UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata")
SUBJECTS = ("Kick-off", "Lunch", "<b>Board</b> & co", "Été ☀")
GOOGLE_SUBJECTS = (*SUBJECTS, "")  # Google allows an event without a title
TEXTS = ("", "Room 4", "<p>Agenda &amp; notes</p><script>x()</script>")
LONG_TEXT = "Notes. " * 1300  # 9,100 characters: over the CRM's 8,192 description limit
RECURRENCES: tuple[tuple[str, ...], ...] = ((), ("RRULE:FREQ=WEEKLY;COUNT=3",))
VISIBILITY_VALUES = ("default", "public", "private", "confidential")
# Mostly the future; some in the window's past; some too old to sync.
PERIODS = {"future": (1, 25), "recent": (-20, -2), "old": (-60, -40)}
PERIOD_CHOICES = ("future", "future", "future", "recent", "old")


@st.composite
def time_bounds(draw: st.DrawFn) -> tuple[TimedMoment, TimedMoment] | tuple[date, date]:
    low, high = PERIODS[draw(st.sampled_from(PERIOD_CHOICES))]
    day = draw(st.integers(low, high))
    if draw(st.booleans()):
        first = TODAY + timedelta(days=day)
        return first, first + timedelta(days=draw(st.integers(1, 3)))
    zone = draw(st.sampled_from(ZONES))
    start = ANCHOR + timedelta(days=day, minutes=30 * draw(st.integers(0, 16)))
    end = start + timedelta(minutes=30 * draw(st.integers(1, 6)))
    return TimedMoment(start, zone), TimedMoment(end, zone)


@st.composite
def meeting_fields(draw: st.DrawFn) -> MeetingFields:
    start, end = draw(time_bounds())
    return MeetingFields(
        subject=draw(st.sampled_from(SUBJECTS)),
        start=start,
        end=end,
        description=draw(st.sampled_from(TEXTS)),
        location=draw(st.sampled_from(TEXTS)),
        visibility=draw(st.sampled_from(VISIBILITY_VALUES)),
        recurrence=draw(st.sampled_from(RECURRENCES)),
    )


EDIT_KINDS = ("subject", "time", "description", "location", "recurrence")


@st.composite
def field_edits(draw: st.DrawFn, *, google: bool = False, kind: str = "") -> dict[str, Any]:
    """One person's edit of one field (start and end move together); ``kind``: which one
    (any, by default)."""
    kind = kind or draw(st.sampled_from(EDIT_KINDS))
    if kind == "time":
        start, end = draw(time_bounds())
        return {"start": start, "end": end}
    if kind == "subject":
        return {"subject": draw(st.sampled_from(GOOGLE_SUBJECTS if google else SUBJECTS))}
    if kind == "recurrence":
        return {"recurrence": draw(st.sampled_from(RECURRENCES))}
    texts = (*TEXTS, LONG_TEXT) if google and kind == "description" else TEXTS
    return {kind: draw(st.sampled_from(texts))}


@st.composite
def edits_on_both_sides(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A CRM edit and a Google edit of the same field of one meeting (edits of different
    fields meet in the machine's other rules)."""
    kind = draw(st.sampled_from(("subject", "time", "description", "location")))
    return draw(field_edits(kind=kind)), draw(field_edits(google=True, kind=kind))


# Recurring series the machine draws on purpose: a rule of two to five occurrences, daily
# or weekly, starting in the future, in the window's past, or before the window (some of
# those go on into it: tests/sync/test_found_by_machine.py::
# test_an_ongoing_series_that_began_before_the_window_is_imported).
SERIES_FREQUENCIES = ("DAILY", "WEEKLY")
SERIES_PERIODS = ("future", "future", "recent", "old")


def series_rule(freq: str, count: int) -> str:
    return f"RRULE:FREQ={freq};COUNT={count}"


def parse_series_rule(recurrence: tuple[str, ...] | list[str]) -> tuple[str, int] | None:
    """(FREQ, COUNT) of a rule drawn by ``series_rule``; None for anything else."""
    if len(recurrence) != 1 or not recurrence[0].startswith("RRULE:"):
        return None
    parts = dict(part.partition("=")[::2] for part in recurrence[0][len("RRULE:") :].split(";"))
    if set(parts) != {"FREQ", "COUNT"} or parts["FREQ"] not in SERIES_FREQUENCIES:
        return None
    return parts["FREQ"], int(parts["COUNT"])


@st.composite
def series_fields(draw: st.DrawFn) -> MeetingFields:
    """A recurring meeting: mostly timed, sometimes all-day."""
    low, high = PERIODS[draw(st.sampled_from(SERIES_PERIODS))]
    day = draw(st.integers(low, high))
    if draw(st.integers(0, 4)) == 0:
        first = TODAY + timedelta(days=day)
        start: TimedMoment | date = first
        end: TimedMoment | date = first + timedelta(days=1)
    else:
        zone = draw(st.sampled_from(ZONES))
        at = ANCHOR + timedelta(days=day, minutes=30 * draw(st.integers(0, 16)))
        start = TimedMoment(at, zone)
        end = TimedMoment(at + timedelta(minutes=30 * draw(st.integers(1, 4))), zone)
    rule = series_rule(draw(st.sampled_from(SERIES_FREQUENCIES)), draw(st.integers(2, 5)))
    return MeetingFields(
        subject=draw(st.sampled_from(SUBJECTS)),
        start=start,
        end=end,
        description=draw(st.sampled_from(TEXTS)),
        location=draw(st.sampled_from(TEXTS)),
        visibility=draw(st.sampled_from(VISIBILITY_VALUES)),
        recurrence=(rule,),
    )


# One occurrence changed alone: a new title and/or a move (minutes; an all-day one moves by
# whole days, one per 60 minutes asked).
OCCURRENCE_MOVES = (0, 0, -30, 30, 60, 120)
SERIES_MOVES = (-60, -30, 30, 60)  # a whole series moved (minutes)
# Meetings at the window's edge: they end this many minutes after now - 30 days (negative:
# before). Far enough from it that an example (seconds) never sees one cross it.
EDGE_MINUTES = (-20, -5, 5, 20)


def edge_fields(
    *, now: datetime, minutes: int, length: int, zone: str, subject: str
) -> MeetingFields:
    """A timed meeting that ends ``minutes`` after the window's start (now - 30 days)."""
    end = (now - timedelta(days=30) + timedelta(minutes=minutes)).replace(microsecond=0)
    start = end - timedelta(minutes=length)
    return MeetingFields(
        subject=subject, start=TimedMoment(start, zone), end=TimedMoment(end, zone)
    )


# -- the CRM user's side ------------------------------------------------------------------


def meeting_input(fields: MeetingFields, *, all_day_zone: str = "UTC") -> MeetingInput:
    """What a person types into the meeting form for ``fields`` (an all-day meeting keeps
    ``all_day_zone``, the zone it already had)."""
    common: dict[str, Any] = {
        "subject": fields.subject,
        "description": fields.description,
        "location": fields.location,
        "visibility": fields.visibility,
        "recurrence": list(fields.recurrence),
    }
    if isinstance(fields.start, TimedMoment) and isinstance(fields.end, TimedMoment):
        return MeetingInput(
            start=fields.start.local,
            end=fields.end.local,
            time_zone=fields.start.zone,
            **common,
        )
    assert isinstance(fields.start, date) and isinstance(fields.end, date)
    return MeetingInput(
        all_day=True,
        start_date=fields.start,
        end_date=fields.end,
        time_zone=all_day_zone,
        **common,
    )


# -- the person in Google Calendar --------------------------------------------------------


def google_body(fields: MeetingFields) -> dict[str, Any]:
    """An event as a person creates it: no marker of ours, date-times in UTC ("Z")."""
    body = event_body_from_fields(fields, meeting_marker=None)
    return _utc_times(body, fields.start, fields.end)


def google_patch(values: dict[str, Any]) -> dict[str, Any]:
    patch = patch_from_changes(values)
    return _utc_times(patch, values.get("start"), values.get("end"))


def _utc_times(body: dict[str, Any], start: object, end: object) -> dict[str, Any]:
    # Same instant, another way of writing it: the sync must not see an edit in that.
    for name, moment in (("start", start), ("end", end)):
        if isinstance(moment, TimedMoment):
            body[name]["dateTime"] = moment.at.isoformat().replace("+00:00", "Z")
    return body


@dataclass
class Person:
    """The account's owner editing Google Calendar directly."""

    api: httpx.Client

    def create(self, calendar_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._ok(self.api.post(f"calendars/{calendar_id}/events", json=body))

    def patch(self, calendar_id: str, event_id: str, patch: dict[str, Any]) -> dict[str, Any]:
        return self._ok(self.api.patch(f"calendars/{calendar_id}/events/{event_id}", json=patch))

    def delete(self, calendar_id: str, event_id: str) -> None:
        answer = self.api.delete(f"calendars/{calendar_id}/events/{event_id}")
        assert answer.status_code == 204, answer.text

    def events(self, calendar_id: str) -> dict[str, dict[str, Any]]:
        """Every event of the calendar, cancelled ones included, by id."""
        found: dict[str, dict[str, Any]] = {}
        for item in self._pages(f"calendars/{calendar_id}/events", {"showDeleted": "true"}):
            found[item["id"]] = item
        return found

    def single_events(self, calendar_id: str) -> list[dict[str, Any]]:
        """What the calendar shows: live events, recurring ones as their instances
        (events.list with singleEvents=true)."""
        return self._pages(f"calendars/{calendar_id}/events", {"singleEvents": "true"})

    def instances(
        self, calendar_id: str, event_id: str, *, show_deleted: bool = False
    ) -> list[dict[str, Any]]:
        """events.instances of a recurring event, cancelled ones too if ``show_deleted``."""
        params = {"showDeleted": str(show_deleted).lower()}
        return self._pages(f"calendars/{calendar_id}/events/{event_id}/instances", params)

    def _pages(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        params = {**params, "maxResults": 2500}
        while True:
            page = self._ok(self.api.get(path, params=params))
            found.extend(page.get("items", []))
            if not page.get("nextPageToken"):
                return found
            params["pageToken"] = page["nextPageToken"]

    @staticmethod
    def _ok(answer: httpx.Response) -> dict[str, Any]:
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body


# -- one example's world ------------------------------------------------------------------


def reset_database() -> None:
    """Every example starts from an empty CRM (the test's database outlives examples)."""
    User.objects.all().delete()  # cascades to meetings, connections, links, runs...
    Installation.objects.all().delete()


_emulators: list[FakeGoogle] = []


def new_emulator() -> FakeGoogle:
    """An emulator with nothing in it but our client, the demo account and its calendars.

    One FakeGoogle is reset between examples rather than built anew: building one makes a
    2048-bit RSA signing key, which would dominate a short example's time."""
    if not _emulators:
        _emulators.append(FakeGoogle())
    emulator = _emulators[0]
    emulator.reset()
    emulator.register_client(
        client_id=GOOGLE_TEST_CLIENT_ID,
        client_secret=GOOGLE_TEST_CLIENT_SECRET,
        redirect_uris=[GOOGLE_TEST_REDIRECT_URI],
    )
    emulator.create_account(
        email=DEMO_GOOGLE_EMAIL, name="Dana Demo", time_zone=CALENDAR_ZONES[PRIMARY]
    )
    emulator.create_calendar(
        email=DEMO_GOOGLE_EMAIL,
        summary="Team",
        time_zone=CALENDAR_ZONES[SECOND_CALENDAR_ID],
        calendar_id=SECOND_CALENDAR_ID,
    )
    emulator.create_account(email=BOSS_EMAIL, name="Bo Boss", time_zone="Asia/Kolkata")
    emulator.create_calendar(
        email=BOSS_EMAIL,
        summary="Board",
        time_zone=CALENDAR_ZONES[READ_ONLY_CALENDAR_ID],
        calendar_id=READ_ONLY_CALENDAR_ID,
    )
    emulator.share_calendar(
        calendar_id=READ_ONLY_CALENDAR_ID, email=DEMO_GOOGLE_EMAIL, access_role="reader"
    )
    return emulator


_browsers: list[Client] = []


def _crm_browser() -> Client:
    """The CRM user's browser, without the last example's cookies.

    One Django test client serves every example: a new one loads the middleware again on its
    first request, and WhiteNoise's then walks every static file (half of an example's
    connect)."""
    if not _browsers:
        _browsers.append(Client())
    client = _browsers[0]
    client.cookies.clear()
    return client


@dataclass(frozen=True)
class SentWrite:
    """A Calendar API write the engine sent: method, path, query and JSON body."""

    method: str
    path: str
    params: dict[str, str]
    body: dict[str, Any] | None
    if_match: str | None
    status: int  # Google's answer (0: none came)


@dataclass
class Recorder(httpx.BaseTransport):
    """The engine's transport to the emulator: keeps every Calendar API write it sends and,
    when ``between_pages`` is set, runs it once just before the next request for a later
    page of a listing (``pageToken``), with the calendar being listed: a person acting while
    the engine pages. ``before_call`` runs once just before the engine's Calendar API call
    after ``calls_left`` more (0: the next one): a person acting while the sync runs."""

    inner: httpx.BaseTransport
    writes: list[SentWrite] = field(default_factory=list)
    between_pages: Callable[[str], object] | None = None
    before_call: Callable[[], object] | None = None
    calls_left: int = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if not path.startswith("/calendar/v3/"):
            return self.inner.handle_request(request)
        if self.before_call is not None:
            if self.calls_left > 0:
                self.calls_left -= 1
            else:
                action, self.before_call = self.before_call, None
                action()
        if request.method not in WRITE_METHODS:
            if (
                self.between_pages is not None
                and path.endswith("/events")
                and "pageToken" in request.url.params
            ):
                action, self.between_pages = self.between_pages, None
                action(path.split("/")[-2])
            return self.inner.handle_request(request)
        content = request.read()
        status = 0
        try:
            response = self.inner.handle_request(request)
            status = response.status_code
            return response
        finally:
            self.writes.append(
                SentWrite(
                    request.method,
                    path,
                    dict(request.url.params),
                    json.loads(content) if content else None,
                    request.headers.get("If-Match"),
                    status,
                )
            )


@dataclass
class World:
    emulator: FakeGoogle
    user: User
    person: Person  # the demo account's owner, the CRM user's Google self
    boss: Person  # owns the read-only calendar
    stack: contextlib.ExitStack
    recorder: Recorder

    def person_for(self, calendar_id: str) -> Person:
        """Who can write ``calendar_id``."""
        return self.boss if calendar_id == READ_ONLY_CALENDAR_ID else self.person

    def close(self) -> None:
        self.stack.close()

    @property
    def connection(self) -> GoogleConnection:
        return connection_for(user=self.user)

    def save_settings(self, *, inbound: list[str], sync_private: bool) -> None:
        sync_settings_save(
            connection=self.connection,
            choice=SettingsChoice(
                inbound_calendar_ids=inbound, target_calendar_id=PRIMARY, sync_private=sync_private
            ),
        )

    def renew_person_token(self) -> None:
        for person, email in ((self.person, DEMO_GOOGLE_EMAIL), (self.boss, BOSS_EMAIL)):
            token = self.emulator.mint_access_token(email=email, scopes=[CALENDAR_SCOPE])
            person.api.headers["Authorization"] = f"Bearer {token}"

    def engine_writes_to(self, calendar_id: str) -> list[str]:
        """Every Calendar API write our app ever made to ``calendar_id``."""
        return [entry for entry in self.engine_writes(0) if f"/calendars/{calendar_id}/" in entry]

    def engine_calls(self, since: int) -> list[str]:
        """Calendar API calls our app made since log position ``since``: "METHOD path"."""
        return [
            f"{entry.method} {entry.path}"
            for entry in self.emulator.request_log[since:]
            if entry.path.startswith("/calendar/v3/") and entry.client_id == GOOGLE_TEST_CLIENT_ID
        ]

    def engine_writes(self, since: int) -> list[str]:
        """Calendar API writes our app made since log position ``since``."""
        return [
            f"{entry.method} {entry.path} → {entry.status}"
            for entry in self.emulator.request_log[since:]
            if entry.method in WRITE_METHODS
            and entry.path.startswith("/calendar/v3/")
            and entry.client_id == GOOGLE_TEST_CLIENT_ID
        ]

    def meeting_versions(self) -> dict[int, tuple[int, bool]]:
        return {
            pk: (version, deleted_at is not None)
            for pk, version, deleted_at in Meeting.objects.filter(owner=self.user).values_list(
                "pk", "version", "deleted_at"
            )
        }


def settings_for_the_emulator(settings: Any) -> None:
    """Django settings (pytest-django's ``settings``) of a CRM that talks to the in-process
    emulator, as ``world_open`` connects it."""
    from cryptography.fernet import Fernet

    settings.GOOGLE_ENDPOINTS = "emulator"
    settings.FAKE_GOOGLE_URL = IN_PROCESS_BASE_URL
    settings.GOOGLE_CLIENT_ID = GOOGLE_TEST_CLIENT_ID
    settings.GOOGLE_CLIENT_SECRET = GOOGLE_TEST_CLIENT_SECRET
    settings.GOOGLE_REDIRECT_URI = GOOGLE_TEST_REDIRECT_URI
    settings.TOKEN_ENCRYPTION_KEYS = Fernet.generate_key().decode()


def world_open() -> World:
    """A fresh emulator, an empty CRM and a user connected through Google's consent page."""
    reset_database()
    emulator = new_emulator()
    stack = contextlib.ExitStack()
    recorder = Recorder(emulator.transport())
    stack.enter_context(use_transport(recorder))
    browser = stack.enter_context(httpx.Client(transport=emulator.transport()))
    harness = GoogleHarness(emulator=emulator, base_url=IN_PROCESS_BASE_URL, browser=browser)
    user = User.objects.create_user("ann", password="pw")
    client = _crm_browser()
    client.force_login(user)
    answer = harness.connect(client)
    assert answer.status_code == 302, answer.content
    calendars_refresh(connection=connection_for(user=user))
    person, boss = (
        Person(
            stack.enter_context(
                httpx.Client(
                    transport=emulator.transport(),
                    base_url=f"{IN_PROCESS_BASE_URL}/calendar/v3/",
                    headers={
                        "Authorization": "Bearer "
                        + emulator.mint_access_token(email=email, scopes=[CALENDAR_SCOPE])
                    },
                )
            )
        )
        for email in (DEMO_GOOGLE_EMAIL, BOSS_EMAIL)
    )
    return World(
        emulator=emulator, user=user, person=person, boss=boss, stack=stack, recorder=recorder
    )


@contextlib.contextmanager
def fault(emulator: FakeGoogle, spec: dict[str, Any] | None) -> Iterator[None]:
    """Arms ``spec`` (FakeGoogle.inject_fault's arguments; None: no fault) for the block."""
    if spec is not None:
        emulator.inject_fault(**spec)
    try:
        yield
    finally:
        emulator.clear_faults()
