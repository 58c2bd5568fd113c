"""The GoogleSide contract (``tandem.sync.core.sides.GoogleSide``), written once: one
calendar of a provider, spoken to the way Calendar API v3 is (google-calendar-api.md
§2.4-2.6: client ids, 409 on a reused id, etags and If-Match, soft deletes, sync tokens).

A binding subclasses ``GoogleSideContract`` and provides the ``calendar`` fixture: a
``CalendarBench``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, Protocol
from zoneinfo import ZoneInfo

import pytest

from tandem.sync.core.fields import MeetingFields, TimedMoment
from tandem.sync.core.identity import MARKER_KEY, event_id_for_meeting, marker_for_meeting
from tandem.sync.core.mapping import (
    event_body_from_fields,
    fields_from_event,
    patch_from_changes,
    restore_patch,
)
from tandem.sync.core.sides import (
    AlreadyExists,
    Event,
    GoogleSide,
    NotFound,
    PreconditionFailed,
    SideError,
    SyncTokenInvalid,
)
from tests.contract.values import DAY, HOUR, SAMPLES, in_window, samples, timed

WEEK = 7 * DAY


@dataclass(frozen=True)
class Listing:
    events: list[Event]
    next_sync_token: str | None


def listing_of(side: GoogleSide, *, sync_token: str | None) -> Listing:
    """A listing read page by page, as the driver reads it: only its last page carries the
    sync token."""
    events: list[Event] = []
    pages = list(side.pages(sync_token=sync_token))
    assert pages, "a listing has at least one page"
    for page in pages:
        events.extend(page.items)
    assert all(page.next_sync_token is None for page in pages[:-1])
    return Listing(events, pages[-1].next_sync_token)


NAMESPACE = "contract"
UNKNOWN_EVENT = "unknown0event0id"
WriteCall = Literal["insert", "patch", "delete"]


class CalendarBench(Protocol):
    """A calendar side under test and the person using the provider's own app around it."""

    @property
    def side(self) -> GoogleSide: ...

    @property
    def window_start(self) -> datetime:
        """The start of the listing window the side was built with."""
        ...

    @property
    def zone(self) -> str:
        """The calendar's time zone."""
        ...

    def person_creates(self, fields: MeetingFields) -> str:
        """An event made in the provider's app (server-chosen id); its id."""
        ...

    def person_patches(self, event_id: str, patch: Event) -> None: ...

    def person_deletes(self, event_id: str) -> None: ...

    def kill_sync_tokens(self) -> None:
        """Every sync token handed out so far is dead (Google: 410 fullSyncRequired)."""
        ...

    def fail_next_write(self, call: WriteCall, *, applied: bool) -> None:
        """The next ``call`` fails: before it takes effect, or (``applied``) after, with
        its answer lost."""
        ...

    def other_calendar(self) -> GoogleSide:
        """Another calendar of the same account, which the side may move events to."""
        ...

    def person_changes_instance(self, series_id: str, original_start: str, patch: Event) -> None:
        """The person changes one instance of a recurring event alone (``original_start``
        as Google writes ``originalStart``)."""
        ...

    def person_cancels_instance(self, series_id: str, original_start: str) -> None: ...


def ours(meeting_id: int, fields: MeetingFields) -> Event:
    """The insert body the driver sends for ``meeting_id``: our id and our marker."""
    body = event_body_from_fields(fields, meeting_marker=marker_for_meeting(NAMESPACE, meeting_id))
    return {"id": event_id_for_meeting(NAMESPACE, meeting_id), **body}


class GoogleSideContract:
    """What the driver may rely on from any calendar side."""

    violations: ClassVar[dict[str, str]] = {}

    @pytest.fixture
    def calendar(self) -> Iterator[CalendarBench]:
        raise NotImplementedError("the binding provides the CalendarBench")

    def fields(self, calendar: CalendarBench, **changes: Any) -> MeetingFields:
        return timed(in_window(calendar.window_start), **changes)

    def read(self, calendar: CalendarBench, event: Event | None) -> MeetingFields:
        assert event is not None
        return fields_from_event(event, default_zone=calendar.zone)

    def insert(self, calendar: CalendarBench, meeting_id: int = 1, **changes: Any) -> Event:
        return calendar.side.insert_event(body=ours(meeting_id, self.fields(calendar, **changes)))

    def get(self, calendar: CalendarBench, event_id: str) -> Event:
        event = calendar.side.get_event(event_id=event_id)
        assert event is not None, event_id
        return event

    def test_the_side_names_its_calendar(self, calendar: CalendarBench) -> None:
        assert isinstance(calendar.side.calendar_id, str) and calendar.side.calendar_id

    # -- insert_event -----------------------------------------------------------------------

    @pytest.mark.parametrize("shape", SAMPLES)
    def test_an_insert_keeps_our_id_our_marker_and_the_fields(
        self, calendar: CalendarBench, shape: str
    ) -> None:
        fields = samples(calendar.window_start)[shape]
        event = calendar.side.insert_event(body=ours(7, fields))
        assert event["id"] == event_id_for_meeting(NAMESPACE, 7)
        assert event["status"] == "confirmed" and event["etag"]
        assert event["extendedProperties"]["private"][MARKER_KEY] == f"{NAMESPACE}:7"
        assert self.read(calendar, event) == fields
        again = self.get(calendar, event["id"])
        assert again["etag"] == event["etag"]
        assert self.read(calendar, again) == fields

    def test_a_second_insert_of_our_id_already_exists(self, calendar: CalendarBench) -> None:
        """A retried insert gets 409 and changes nothing: the driver pairs with the event."""
        first = self.insert(calendar)
        with pytest.raises(AlreadyExists):
            self.insert(calendar, subject="Retried")
        now = self.get(calendar, first["id"])
        assert now["etag"] == first["etag"] and self.read(calendar, now).subject == "Kick-off"

    def test_an_insert_of_a_deleted_id_already_exists(self, calendar: CalendarBench) -> None:
        """Deleted ids stay taken (Google keeps the cancelled event)."""
        first = self.insert(calendar)
        calendar.side.delete_event(event_id=first["id"], etag=first["etag"])
        with pytest.raises(AlreadyExists):
            self.insert(calendar)
        assert self.get(calendar, first["id"])["status"] == "cancelled"

    # -- get_event --------------------------------------------------------------------------

    def test_an_unknown_event_is_none(self, calendar: CalendarBench) -> None:
        assert calendar.side.get_event(event_id=UNKNOWN_EVENT) is None

    def test_a_deleted_event_is_got_as_cancelled(self, calendar: CalendarBench) -> None:
        event_id = calendar.person_creates(self.fields(calendar))
        calendar.person_deletes(event_id)
        assert self.get(calendar, event_id)["status"] == "cancelled"

    # -- patch_event ------------------------------------------------------------------------

    def test_a_patch_merges_and_moves_the_etag(self, calendar: CalendarBench) -> None:
        """Only the patched field changes; the new etag is the one get_event shows."""
        first = self.insert(calendar, location="Room 1", description="Agenda")
        patched = calendar.side.patch_event(
            event_id=first["id"], patch={"location": "Room 4"}, etag=first["etag"]
        )
        assert patched["etag"] != first["etag"]
        wanted = self.fields(calendar, location="Room 4", description="Agenda")
        assert self.read(calendar, patched) == wanted
        now = self.get(calendar, first["id"])
        assert now["etag"] == patched["etag"] and self.read(calendar, now) == wanted

    def test_a_patch_can_turn_a_timed_event_all_day(self, calendar: CalendarBench) -> None:
        """``null`` removes a key: the patch the mapping builds swaps dateTime for date."""
        first = self.insert(calendar)
        day = in_window(calendar.window_start).date()
        patch = patch_from_changes({"start": day, "end": day + DAY})
        patched = calendar.side.patch_event(event_id=first["id"], patch=patch, etag=first["etag"])
        got = self.read(calendar, patched)
        assert (got.start, got.end) == (day, day + DAY)

    def test_a_patch_at_a_stale_etag_fails_and_changes_nothing(
        self, calendar: CalendarBench
    ) -> None:
        """The person edited the event since our read: 412, their edit stands."""
        first = self.insert(calendar)
        calendar.person_patches(first["id"], {"location": "Their room"})
        with pytest.raises(PreconditionFailed):
            calendar.side.patch_event(
                event_id=first["id"], patch={"summary": "Ours"}, etag=first["etag"]
            )
        now = self.read(calendar, self.get(calendar, first["id"]))
        assert (now.subject, now.location) == ("Kick-off", "Their room")

    def test_a_patch_of_an_unknown_event_is_not_found(self, calendar: CalendarBench) -> None:
        with pytest.raises(NotFound):
            calendar.side.patch_event(event_id=UNKNOWN_EVENT, patch={"summary": "X"}, etag='"1"')

    def test_a_restore_patch_undeletes_a_cancelled_event(self, calendar: CalendarBench) -> None:
        """What the driver does when an insert of our id meets our own cancelled event."""
        first = self.insert(calendar)
        calendar.side.delete_event(event_id=first["id"], etag=first["etag"])
        cancelled = self.get(calendar, first["id"])
        wanted = self.fields(calendar, subject="Back again")
        back = calendar.side.patch_event(
            event_id=first["id"], patch=restore_patch(wanted), etag=cancelled["etag"]
        )
        assert back["status"] == "confirmed" and self.read(calendar, back) == wanted
        assert self.get(calendar, first["id"])["status"] == "confirmed"

    # -- delete_event -----------------------------------------------------------------------

    def test_a_delete_leaves_a_cancelled_event(self, calendar: CalendarBench) -> None:
        first = self.insert(calendar)
        calendar.side.delete_event(event_id=first["id"], etag=first["etag"])
        assert self.get(calendar, first["id"])["status"] == "cancelled"

    def test_a_delete_at_a_stale_etag_fails_and_keeps_the_event(
        self, calendar: CalendarBench
    ) -> None:
        """The person edited the event since our read: 412, the event stays."""
        first = self.insert(calendar)
        calendar.person_patches(first["id"], {"location": "Their room"})
        with pytest.raises(PreconditionFailed):
            calendar.side.delete_event(event_id=first["id"], etag=first["etag"])
        assert self.get(calendar, first["id"])["status"] == "confirmed"

    def test_a_delete_of_an_unknown_event_is_not_found(self, calendar: CalendarBench) -> None:
        with pytest.raises(NotFound):
            calendar.side.delete_event(event_id=UNKNOWN_EVENT, etag='"1"')

    def test_a_delete_of_a_deleted_event_is_not_found(self, calendar: CalendarBench) -> None:
        """410 "deleted" reads as NotFound: the driver takes it as "already gone"."""
        first = self.insert(calendar)
        calendar.side.delete_event(event_id=first["id"], etag=first["etag"])
        cancelled = self.get(calendar, first["id"])
        with pytest.raises(NotFound):
            calendar.side.delete_event(event_id=first["id"], etag=cancelled["etag"])

    # -- move_event (a new target calendar) ---------------------------------------------------

    def test_a_moved_event_keeps_its_id_and_fields_there_and_is_cancelled_here(
        self, calendar: CalendarBench
    ) -> None:
        other = calendar.other_calendar()
        first = self.insert(calendar)
        moved = calendar.side.move_event(event_id=first["id"], destination=other.calendar_id)
        assert moved["id"] == first["id"] and moved["etag"]
        there = other.get_event(event_id=first["id"])
        assert there is not None and there["status"] == "confirmed"
        assert self.read(calendar, there) == self.fields(calendar)
        assert there["extendedProperties"] == first["extendedProperties"]
        assert self.get(calendar, first["id"])["status"] == "cancelled"

    def test_moving_an_unknown_or_deleted_event_is_not_found(self, calendar: CalendarBench) -> None:
        """The driver then drops the link, and the target gets the meeting anew."""
        other = calendar.other_calendar()
        with pytest.raises(NotFound):
            calendar.side.move_event(event_id=UNKNOWN_EVENT, destination=other.calendar_id)
        first = self.insert(calendar)
        calendar.side.delete_event(event_id=first["id"], etag=first["etag"])
        with pytest.raises(NotFound):
            calendar.side.move_event(event_id=first["id"], destination=other.calendar_id)
        assert other.get_event(event_id=first["id"]) is None

    # -- instance -----------------------------------------------------------------------------

    def weekly(self, calendar: CalendarBench) -> tuple[str, list[str]]:
        """A weekly event of three made by the person, and its starts as Google writes
        ``originalStart`` (UTC), a week apart on the wall clock of its zone."""
        fields = self.fields(calendar, subject="Weekly", recurrence=("RRULE:FREQ=WEEKLY;COUNT=3",))
        assert isinstance(fields.start, TimedMoment)
        zone = ZoneInfo(fields.start.zone)
        first = fields.start.at.astimezone(zone)
        starts = [(first + n * WEEK).astimezone(UTC).isoformat() for n in range(3)]
        return calendar.person_creates(fields), starts

    def test_an_unknown_series_has_no_instance(self, calendar: CalendarBench) -> None:
        start = in_window(calendar.window_start).astimezone(UTC).isoformat()
        assert calendar.side.instance(series_event_id=UNKNOWN_EVENT, original_start=start) is None

    def test_no_instance_where_the_rule_has_no_occurrence(self, calendar: CalendarBench) -> None:
        series_id, starts = self.weekly(calendar)
        between = (datetime.fromisoformat(starts[1]) + DAY).isoformat()
        after = (datetime.fromisoformat(starts[2]) + WEEK).isoformat()
        for original_start in (between, after):
            found = calendar.side.instance(series_event_id=series_id, original_start=original_start)
            assert found is None, original_start

    def test_an_instance_the_rule_makes_is_found_by_its_original_start(
        self, calendar: CalendarBench
    ) -> None:
        """Its id is Google's (opaque: looked up, never built), and it reads as the series'
        occurrence there, without a rule of its own."""
        series_id, starts = self.weekly(calendar)
        found = calendar.side.instance(series_event_id=series_id, original_start=starts[1])
        assert found is not None
        assert isinstance(found["id"], str) and found["id"] != series_id
        assert found["recurringEventId"] == series_id
        fields = self.read(calendar, found)
        assert isinstance(fields.start, TimedMoment)
        assert (fields.subject, fields.start.at, fields.recurrence) == (
            "Weekly",
            datetime.fromisoformat(starts[1]),
            (),
        )

    def test_an_instance_changed_or_cancelled_alone_is_found_as_it_is_now(
        self, calendar: CalendarBench
    ) -> None:
        """Cancelled instances too: the push of a cancellation must find the one cancelled
        already, and not cancel it again."""
        series_id, starts = self.weekly(calendar)
        calendar.person_changes_instance(series_id, starts[1], {"summary": "Moved"})
        calendar.person_cancels_instance(series_id, starts[2])
        changed = calendar.side.instance(series_event_id=series_id, original_start=starts[1])
        cancelled = calendar.side.instance(series_event_id=series_id, original_start=starts[2])
        assert changed is not None and cancelled is not None
        assert self.read(calendar, changed).subject == "Moved"
        assert cancelled["status"] == "cancelled"
        assert cancelled["recurringEventId"] == changed["recurringEventId"] == series_id
        assert changed["iCalUID"] == self.get(calendar, series_id)["iCalUID"]

    # -- pages --------------------------------------------------------------------------------

    def test_a_full_listing_holds_every_event_cancelled_ones_too(
        self, calendar: CalendarBench
    ) -> None:
        theirs = calendar.person_creates(self.fields(calendar, subject="Theirs"))
        mine = self.insert(calendar, 1)["id"]
        gone = self.insert(calendar, 2)
        calendar.side.delete_event(event_id=gone["id"], etag=gone["etag"])
        listing = listing_of(calendar.side, sync_token=None)
        assert listing.next_sync_token
        assert calendar.side.default_zone == calendar.zone
        by_id = {event["id"]: event for event in listing.events}
        assert set(by_id) == {theirs, mine, gone["id"]}
        assert by_id[gone["id"]]["status"] == "cancelled"
        assert self.read(calendar, by_id[theirs]).subject == "Theirs"

    def test_a_full_listing_starts_at_the_window(self, calendar: CalendarBench) -> None:
        """An event over before the window start is left out; one still running is in."""
        over = calendar.person_creates(timed(calendar.window_start - 10 * DAY))
        running = calendar.person_creates(timed(calendar.window_start - DAY, hours=48))
        listed = {event["id"] for event in listing_of(calendar.side, sync_token=None).events}
        assert running in listed
        assert over not in listed

    def test_an_incremental_listing_holds_only_the_changes(self, calendar: CalendarBench) -> None:
        """Edits, deletions (as cancelled events) and our own writes since the token."""
        still = calendar.person_creates(self.fields(calendar, subject="Untouched"))
        edited = calendar.person_creates(self.fields(calendar, subject="Edited"))
        gone = self.insert(calendar, 1)
        token = listing_of(calendar.side, sync_token=None).next_sync_token
        calendar.person_patches(edited, {"location": "Room 9"})
        calendar.side.delete_event(event_id=gone["id"], etag=gone["etag"])
        new = self.insert(calendar, 2)["id"]
        listing = listing_of(calendar.side, sync_token=token)
        assert listing.next_sync_token
        by_id = {event["id"]: event for event in listing.events}
        assert set(by_id) == {edited, gone["id"], new}
        assert still not in by_id
        assert by_id[gone["id"]]["status"] == "cancelled"
        assert self.read(calendar, by_id[edited]).location == "Room 9"

    def test_an_incremental_listing_without_changes_is_empty(self, calendar: CalendarBench) -> None:
        """Nothing changed: no event, and a token that serves the next incremental listing."""
        calendar.person_creates(self.fields(calendar))
        token = listing_of(calendar.side, sync_token=None).next_sync_token
        quiet = listing_of(calendar.side, sync_token=token)
        assert list(quiet.events) == [] and quiet.next_sync_token
        edited = calendar.person_creates(self.fields(calendar, subject="Later"))
        later = listing_of(calendar.side, sync_token=quiet.next_sync_token)
        assert [event["id"] for event in later.events] == [edited]

    def test_a_dead_sync_token_needs_a_full_listing(self, calendar: CalendarBench) -> None:
        """SyncTokenInvalid (a SideError) until a full listing hands out a fresh token."""
        calendar.person_creates(self.fields(calendar))
        token = listing_of(calendar.side, sync_token=None).next_sync_token
        calendar.kill_sync_tokens()
        with pytest.raises(SyncTokenInvalid) as raised:
            listing_of(calendar.side, sync_token=token)
        assert isinstance(raised.value, SideError)
        fresh = listing_of(calendar.side, sync_token=None)
        assert len(fresh.events) == 1 and fresh.next_sync_token
        assert list(listing_of(calendar.side, sync_token=fresh.next_sync_token).events) == []

    # -- the error tree ---------------------------------------------------------------------

    @pytest.mark.parametrize("write", ["insert-bad-id", "patch-end-before-start"])
    def test_a_write_the_calendar_refuses_is_a_side_error(
        self, calendar: CalendarBench, write: str
    ) -> None:
        """A 400 is recorded against its item and the run goes on (a SideError)."""
        if write == "insert-bad-id":
            body = {**ours(1, self.fields(calendar)), "id": "Not_a_base32hex_id!"}
            with pytest.raises(SideError):
                calendar.side.insert_event(body=body)
            return
        first = self.insert(calendar)
        start = in_window(calendar.window_start)
        patch = patch_from_changes({"end": TimedMoment(start - HOUR, "Europe/Berlin")})
        with pytest.raises(SideError):
            calendar.side.patch_event(event_id=first["id"], patch=patch, etag=first["etag"])
        assert self.get(calendar, first["id"])["etag"] == first["etag"]

    @pytest.mark.parametrize("call", ["insert", "patch", "delete"])
    def test_a_write_that_fails_is_a_side_error_and_changes_nothing(
        self, calendar: CalendarBench, call: WriteCall
    ) -> None:
        """A write that failed before it took effect (a 5xx): a SideError, nothing written."""
        first = self.insert(calendar, 1)
        calendar.fail_next_write(call, applied=False)
        with pytest.raises(SideError):
            if call == "insert":
                self.insert(calendar, 2)
            elif call == "patch":
                calendar.side.patch_event(
                    event_id=first["id"], patch={"summary": "Ours"}, etag=first["etag"]
                )
            else:
                calendar.side.delete_event(event_id=first["id"], etag=first["etag"])
        assert calendar.side.get_event(event_id=event_id_for_meeting(NAMESPACE, 2)) is None
        assert self.get(calendar, first["id"])["etag"] == first["etag"]

    def test_an_insert_whose_answer_was_lost_is_a_side_error(self, calendar: CalendarBench) -> None:
        """The insert took effect, the answer never came: a SideError like any failure."""
        calendar.fail_next_write("insert", applied=True)
        with pytest.raises(SideError):
            self.insert(calendar)

    def test_an_insert_whose_answer_was_lost_took_effect(self, calendar: CalendarBench) -> None:
        """Whatever the failure raised, the event is there and the retry gets 409."""
        calendar.fail_next_write("insert", applied=True)
        failed = False
        try:
            self.insert(calendar)
        except Exception:
            failed = True
        assert failed
        landed = self.get(calendar, event_id_for_meeting(NAMESPACE, 1))
        assert self.read(calendar, landed) == self.fields(calendar)
        with pytest.raises(AlreadyExists):
            self.insert(calendar)
