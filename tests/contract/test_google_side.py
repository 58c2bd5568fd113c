"""The GoogleSide contract bound to production's ``GoogleCalendarSide`` over the Google
emulator, in-process: a ``CalendarClient`` with an access token the emulator minted for the
demo account, which is what ``calendar_client_for`` builds for a connected user.

One emulator serves the module (starting one makes an RSA key: 0.2 s) and each test gets a
calendar of its own. Listings come two events a page (the emulator's ``page_cap``), so
every listing here is paged to its end the way a real one is."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import pytest
from django.utils import timezone

from tandem.fakegoogle import FakeGoogle
from tandem.google.calendar import CalendarClient
from tandem.sync.adapters.google import GoogleCalendarSide
from tandem.sync.core.fields import MeetingFields
from tandem.sync.core.mapping import event_body_from_fields
from tandem.sync.core.sides import Event, SyncTokenInvalid
from tests.conftest import DEMO_GOOGLE_EMAIL, IN_PROCESS_BASE_URL
from tests.contract.google_side import GoogleSideContract, WriteCall, listing_of
from tests.contract.values import ZONE, in_window, timed

CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"
ROUTES: dict[WriteCall, str] = {
    "insert": "POST */events",
    "patch": "PATCH */events/*",
    "delete": "DELETE */events/*",
}
NOT_A_SIDE_ERROR = (
    "by design (sides.py): a failure of the whole account, this {}, propagates as "
    "tandem.google.errors.{} and ends the run, which the task retries with backoff; "
    "MemoryGoogle has no such failures and raises a SideError for its injected faults"
)


class EmulatorTokens:
    """Tokens minted by the emulator for the demo account, as if it had consented."""

    def __init__(self, emulator: FakeGoogle) -> None:
        self.emulator = emulator
        self.token = self.refreshed_access_token()

    def access_token(self) -> str:
        return self.token

    def refreshed_access_token(self) -> str:
        self.token = self.emulator.mint_access_token(
            email=DEMO_GOOGLE_EMAIL, scopes=[CALENDAR_SCOPE]
        )
        return self.token


class Recording(httpx.BaseTransport):
    """Keeps each request the side sends, then lets the emulator answer it."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.inner.handle_request(request)


def calendar_client(emulator: FakeGoogle, http: httpx.Client) -> CalendarClient:
    return CalendarClient(
        http=http, base_url=f"{IN_PROCESS_BASE_URL}/calendar/v3", tokens=EmulatorTokens(emulator)
    )


@dataclass
class EmulatorCalendarBench:
    side: GoogleCalendarSide
    window_start: datetime
    emulator: FakeGoogle
    person: CalendarClient  # the person in Google's web app: no If-Match, their own calls
    recording: Recording
    calendar_id: str
    zone: str = ZONE

    def person_creates(self, fields: MeetingFields) -> str:
        body = event_body_from_fields(fields, meeting_marker=None)
        return str(self.person.event_insert(self.calendar_id, body)["id"])

    def person_patches(self, event_id: str, patch: Event) -> None:
        self.person.event_patch(self.calendar_id, event_id, patch, etag=None)

    def person_deletes(self, event_id: str) -> None:
        self.person.event_delete(self.calendar_id, event_id, etag=None)

    def kill_sync_tokens(self) -> None:
        self.emulator.expire_sync_tokens(calendar_id=self.calendar_id)

    def fail_next_write(self, call: WriteCall, *, applied: bool) -> None:
        if applied:  # served, then the connection drops before the answer
            self.emulator.inject_fault(route=ROUTES[call], status=0, drop=True, applied=True)
        else:
            self.emulator.inject_fault(route=ROUTES[call], status=503, reason="backendError")

    def person_changes_instance(self, series_id: str, original_start: str, patch: Event) -> None:
        self.person.event_patch(
            self.calendar_id, self._instance_id(series_id, original_start), patch, etag=None
        )

    def person_cancels_instance(self, series_id: str, original_start: str) -> None:
        self.person.event_delete(
            self.calendar_id, self._instance_id(series_id, original_start), etag=None
        )

    def _instance_id(self, series_id: str, original_start: str) -> str:
        found = self.person.event_instance(
            self.calendar_id, series_id, original_start=original_start
        )
        assert found is not None, original_start
        return str(found["id"])

    def other_calendar(self) -> GoogleCalendarSide:
        entry = self.emulator.create_calendar(
            email=DEMO_GOOGLE_EMAIL, summary=f"Moved to from {self.calendar_id}", time_zone=ZONE
        )
        return GoogleCalendarSide(
            client=self.side.client,
            calendar_id=entry["id"],
            time_min=self.side.time_min,
            default_zone=ZONE,
        )


@pytest.fixture(scope="module")
def emulator() -> FakeGoogle:
    emulator = FakeGoogle()
    emulator.create_account(email=DEMO_GOOGLE_EMAIL, name="Dana Demo", time_zone=ZONE)
    emulator.set_paging(page_cap=2)
    return emulator


class TestGoogleCalendarSide(GoogleSideContract):
    violations = {
        "test_a_write_that_fails_is_a_side_error_and_changes_nothing[insert]": (
            NOT_A_SIDE_ERROR.format("503", "BackendError")
        ),
        "test_a_write_that_fails_is_a_side_error_and_changes_nothing[patch]": (
            NOT_A_SIDE_ERROR.format("503", "BackendError")
        ),
        "test_a_write_that_fails_is_a_side_error_and_changes_nothing[delete]": (
            NOT_A_SIDE_ERROR.format("503", "BackendError")
        ),
        "test_an_insert_whose_answer_was_lost_is_a_side_error": (
            NOT_A_SIDE_ERROR.format("dropped connection", "NetworkError")
        ),
    }

    @pytest.fixture
    def calendar(
        self, emulator: FakeGoogle, request: pytest.FixtureRequest
    ) -> Iterator[EmulatorCalendarBench]:
        entry = emulator.create_calendar(
            email=DEMO_GOOGLE_EMAIL, summary=request.node.name, time_zone=ZONE
        )
        window_start = (timezone.now() - timedelta(days=30)).replace(microsecond=0)
        recording = Recording(emulator.transport())
        with (
            httpx.Client(transport=recording) as ours,
            httpx.Client(transport=emulator.transport()) as theirs,
        ):
            side = GoogleCalendarSide(
                client=calendar_client(emulator, ours),
                calendar_id=entry["id"],
                time_min=window_start.isoformat(timespec="seconds"),
                default_zone=ZONE,
            )
            person = calendar_client(emulator, theirs)
            yield EmulatorCalendarBench(
                side, window_start, emulator, person, recording, entry["id"]
            )
        emulator.clear_faults()
        emulator.state.corrupt_next_sync_tokens = 0

    # Beyond the contract: what only the wire shows.

    def test_writes_send_no_updates_and_their_etag_in_if_match(
        self, calendar: EmulatorCalendarBench
    ) -> None:
        """sendUpdates=none on every write (no mail to attendees); If-Match on patch/delete."""
        first = self.insert(calendar)
        patched = calendar.side.patch_event(
            event_id=first["id"], patch={"location": "Room 4"}, etag=first["etag"]
        )
        calendar.side.delete_event(event_id=first["id"], etag=patched["etag"])
        writes = [r for r in calendar.recording.requests if r.method != "GET"]
        assert [r.method for r in writes] == ["POST", "PATCH", "DELETE"]
        assert all(r.url.params.get("sendUpdates") == "none" for r in writes)
        assert [r.headers.get("If-Match") for r in writes] == [
            None,
            first["etag"],
            patched["etag"],
        ]

    def test_a_listing_is_read_to_its_last_page(self, calendar: EmulatorCalendarBench) -> None:
        made = {calendar.person_creates(self.fields(calendar, subject=f"E{n}")) for n in range(5)}
        listing = listing_of(calendar.side, sync_token=None)
        assert {event["id"] for event in listing.events} == made
        pages = [r for r in calendar.recording.requests if r.method == "GET"]
        assert len(pages) == 3 and "syncToken" not in pages[0].url.params
        assert pages[0].url.params["timeMin"] == calendar.window_start.isoformat()

    def test_a_damaged_sync_token_needs_a_full_listing(
        self, calendar: EmulatorCalendarBench
    ) -> None:
        """Google may hand out a token that later gets 410 fullSyncRequired."""
        calendar.emulator.corrupt_sync_tokens(count=1)
        token = listing_of(calendar.side, sync_token=None).next_sync_token
        with pytest.raises(SyncTokenInvalid):
            listing_of(calendar.side, sync_token=token)
        fresh = listing_of(calendar.side, sync_token=None).next_sync_token
        calendar.person_creates(timed(in_window(calendar.window_start)))
        assert len(listing_of(calendar.side, sync_token=fresh).events) == 1
