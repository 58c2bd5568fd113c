"""The one driver's pairing (core/pairing.py ``plan_page``) and occurrence slots
(core/occurrence_slots.py), pure: what each listed event is paired with, given what the
stores know (a ``PageLookup``), and what the page then creates. The in-memory sides hold no
recurring series, so the occurrence rows are pinned here as well as by the engine's tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from msgspec.structs import replace

from tandem.sync.core.fields import MeetingFields, TimedMoment
from tandem.sync.core.mapping import OccurrenceOf
from tandem.sync.core.occurrence_slots import crm_moment, crm_original, hiding_fields, slot_fields
from tandem.sync.core.pairing import (
    Listed,
    NewMeeting,
    PageLookup,
    SeriesRow,
    google_extras,
    plan_page,
)
from tandem.sync.core.state import CrmMeeting, GoogleEvent, Link, SyncSettings
from tests.sync_core.strategies import all_day, timed

CAL = "primary"
BERLIN = "Europe/Berlin"
SETTINGS = SyncSettings(is_target=True, calendar_id=CAL)


def event(event_id: str, fields: MeetingFields | None = None, **extra: object) -> GoogleEvent:
    return GoogleEvent(event_id, '"e1"', fields if fields is not None else timed(9), **extra)  # type: ignore[arg-type]


def listed(found: GoogleEvent, **raw: object) -> Listed:
    return Listed(found, {"id": found.event_id, **raw})


def meeting(meeting_id: int, fields: MeetingFields | None = None, **extra: object) -> CrmMeeting:
    return CrmMeeting(meeting_id, 1, fields if fields is not None else timed(9), **extra)  # type: ignore[arg-type]


def page(*entries: Listed, lookup: PageLookup | None = None, final: bool = False):  # type: ignore[no-untyped-def]
    return plan_page(
        list(entries), lookup or PageLookup(), settings=SETTINGS, calendar_id=CAL, final=final
    )


# -- plain events ----------------------------------------------------------------------------


def test_a_new_event_goes_to_the_pages_bulk_create_with_its_link() -> None:
    result = page(listed(event("ev1"), iCalUID="ev1@google.com"))
    assert result.items == []
    (new,) = result.fresh
    assert (new.event.event_id, new.ical_uid, new.link_base, new.link_origin) == (
        "ev1",
        "ev1@google.com",
        timed(9),
        "google",
    )


def test_a_linked_event_is_paired_with_its_link_and_meeting() -> None:
    link = Link(CAL, 7, "ev1", timed(9), '"e0"', 1, "google")
    lookup = PageLookup(links={"ev1": link}, meetings={7: meeting(7)})
    (item,) = page(listed(event("ev1", timed(10))), lookup=lookup).items
    assert (item.link, item.crm) == (link, meeting(7))
    assert item.plan.actions  # Google moved it: the CRM follows


def test_an_import_record_pairs_an_unlinked_event() -> None:
    lookup = PageLookup(imports={f"{CAL}/ev1": 7}, meetings={7: meeting(7)})
    (item,) = page(listed(event("ev1")), lookup=lookup).items
    assert item.link is None and item.crm == meeting(7)


def test_our_marker_pairs_and_a_copy_of_a_linked_meeting_is_a_new_event() -> None:
    lookup = PageLookup(meetings={7: meeting(7)})
    (item,) = page(listed(event("ev1", marker_meeting_id=7)), lookup=lookup).items
    assert item.crm == meeting(7)
    lookup.already_linked = {7}
    (copy,) = page(listed(event("ev2", marker_meeting_id=7)), lookup=lookup).items
    assert (copy.crm, copy.event.marker_meeting_id, copy.plan.why) == (None, None, "new event")


def test_another_users_marker_is_read_as_no_marker() -> None:
    result = page(listed(event("ev1", marker_meeting_id=9)), lookup=PageLookup(others={9}))
    (new,) = result.fresh
    assert new.event.marker_meeting_id is None


def test_our_event_id_pairs_an_event_that_lost_its_marker() -> None:
    lookup = PageLookup(meetings={7: meeting(7)}, ours={"ev1": 7})
    (item,) = page(listed(event("ev1")), lookup=lookup).items
    assert item.crm == meeting(7)


def test_an_event_linked_in_another_calendar_is_not_imported_again() -> None:
    lookup = PageLookup(linked_elsewhere={"uid@x"}, imports={f"{CAL}/ev1": 7})
    result = page(listed(event("ev1"), iCalUID="uid@x"), lookup=lookup)
    assert result.fresh == []
    assert all(not item.plan.actions for item in result.items)


def test_a_later_copy_of_an_event_on_one_page_is_the_one_planned() -> None:
    result = page(listed(event("ev1", timed(9))), listed(event("ev1", timed(11))))
    assert [new.fields for new in result.fresh] == [timed(9), timed(11)]


# -- occurrences -----------------------------------------------------------------------------

SERIES = replace(timed(9, zone=BERLIN), recurrence=("RRULE:FREQ=DAILY;COUNT=5",))
ORIGINAL = TimedMoment(datetime(2026, 3, 2, 9, tzinfo=UTC), BERLIN)


def occurrence(event_id: str, fields: MeetingFields | None, **extra: object) -> GoogleEvent:
    return event(event_id, fields, occurrence=OccurrenceOf("series", ORIGINAL), **extra)


def series_lookup(**extra: object) -> PageLookup:
    return PageLookup(
        series={"series": SeriesRow(meeting(5, SERIES), zone=BERLIN, agreed=SERIES.start)},
        meetings={5: meeting(5, SERIES)},
        **extra,  # type: ignore[arg-type]
    )


def test_an_occurrence_changed_alone_becomes_a_row_of_its_series_at_its_slot() -> None:
    moved = timed(10, day=2, zone=BERLIN)
    result = page(listed(occurrence("occ1", moved)), lookup=series_lookup())
    (new,) = result.fresh
    assert (new.series_id, new.original_start, new.fields) == (5, ORIGINAL.at, moved)
    assert not new.cancelled_occurrence


def test_an_occurrence_cancelled_alone_becomes_a_row_that_hides_its_slot() -> None:
    gone = occurrence("occ1", None, cancelled=True)
    (new,) = page(listed(gone), lookup=series_lookup()).fresh
    assert (new.series_id, new.cancelled_occurrence, new.link_base) == (5, True, None)
    assert new.fields == hiding_fields(SERIES, ORIGINAL)


def test_an_occurrence_before_its_series_waits_for_the_listing_to_end() -> None:
    raw = listed(occurrence("occ1", timed(10, day=2)))
    waiting = page(raw)
    assert (waiting.fresh, waiting.waiting) == ([], [raw.raw])
    assert page(raw, final=True).fresh  # no series at the end: a meeting of its own


def test_an_occurrence_the_crm_changed_too_is_planned_with_the_crms_row() -> None:
    row = meeting(8, timed(11, day=2, zone=BERLIN))
    lookup = series_lookup(slot_rows={(5, ORIGINAL.at): row})
    (item,) = page(listed(occurrence("occ1", timed(10, day=2, zone=BERLIN))), lookup=lookup).items
    assert item.crm == row and item.link is None


def test_an_occurrence_held_by_a_hiding_row_is_restored_in_its_place() -> None:
    hiding = meeting(8, hides_occurrence=True)
    lookup = series_lookup(imports={f"{CAL}/occ1": 8})
    lookup.meetings[8] = hiding
    (new,) = page(listed(occurrence("occ1", timed(10, day=2, zone=BERLIN))), lookup=lookup).fresh
    assert (new.series_id, new.replaces, new.cancelled_occurrence) == (5, 8, False)


# -- occurrence slots --------------------------------------------------------------------------


def test_a_slot_follows_a_timed_series_moved_in_the_crm_by_the_wall_clock() -> None:
    """Moved from 09:00 to 09:30 Berlin in winter, the slot of an occurrence after the
    clocks change is 09:30 Berlin summer time (an hour less in UTC), not 30 minutes on."""
    agreed = datetime(2026, 3, 20, 8, tzinfo=UTC)  # 09:00 CET
    moved = replace(
        SERIES,
        start=TimedMoment(agreed + timedelta(minutes=30), BERLIN),
        end=TimedMoment(agreed + timedelta(minutes=90), BERLIN),
    )
    after_change = TimedMoment(datetime(2026, 3, 30, 7, tzinfo=UTC), BERLIN)  # 09:00 CEST
    at = crm_original(after_change, moved, zone=BERLIN, named_on=TimedMoment(agreed, BERLIN))
    assert at.astimezone(ZoneInfo(BERLIN)).strftime("%H:%M") == "09:30"
    assert crm_moment(after_change, moved, zone=BERLIN, named_on=None) == after_change
    unmoved = crm_original(after_change, moved, zone=BERLIN, named_on=moved.start)
    assert unmoved == after_change.at


def test_a_slot_follows_an_all_day_series_moved_by_whole_days() -> None:
    series = replace(all_day(date(2026, 3, 29)), recurrence=("RRULE:FREQ=DAILY;COUNT=5",))
    at = crm_original(date(2026, 3, 30), series, zone=BERLIN, named_on=date(2026, 3, 28))
    assert at == datetime(2026, 3, 31, tzinfo=ZoneInfo(BERLIN))
    assert crm_moment(date(2026, 3, 30), series, zone=BERLIN, named_on=date(2026, 3, 28)) == date(
        2026, 3, 31
    )


def test_a_series_values_at_a_slot() -> None:
    assert hiding_fields(SERIES, ORIGINAL) == MeetingFields(
        subject=SERIES.subject,
        start=ORIGINAL,
        end=TimedMoment(ORIGINAL.at + timedelta(hours=1), BERLIN),
    )
    at_slot = slot_fields(SERIES, ORIGINAL)
    assert at_slot is not None
    assert (at_slot.start, at_slot.recurrence, at_slot.description) == (ORIGINAL, (), "")
    assert hiding_fields(SERIES, date(2026, 3, 2)) is None  # a day in a timed series
    days = all_day(date(2026, 3, 2), days=2)
    assert hiding_fields(days, date(2026, 3, 4)) == all_day(date(2026, 3, 4), days=2)
    assert hiding_fields(days, ORIGINAL) is None


def test_a_series_no_longer_recurring_takes_no_occurrence() -> None:
    """Made a single meeting in the CRM: its old exceptions wait, then are events of their
    own (no row of a series that has none)."""
    lookup = series_lookup()
    lookup.series["series"] = replace(lookup.series["series"], meeting=meeting(5, timed(9)))
    raw = listed(occurrence("occ1", timed(10, day=2, zone=BERLIN)))
    assert page(raw, lookup=lookup).waiting == [raw.raw]
    (new,) = page(raw, lookup=lookup, final=True).fresh
    assert new.series_id is None


def test_an_occurrence_of_a_series_deleted_in_the_crm_waits_then_goes_with_it() -> None:
    lookup = series_lookup()
    lookup.series["series"] = replace(
        lookup.series["series"], meeting=meeting(5, SERIES, deleted=True)
    )
    raw = listed(occurrence("occ1", timed(10, day=2, zone=BERLIN)))
    assert page(raw, lookup=lookup).waiting == [raw.raw]
    assert page(raw, lookup=lookup, final=True).fresh == []


def test_an_occurrence_of_a_read_only_series_is_read_only() -> None:
    lookup = series_lookup()
    lookup.series["series"] = replace(
        lookup.series["series"], meeting=meeting(5, SERIES, read_only=True)
    )
    (new,) = page(listed(occurrence("occ1", timed(10, day=2, zone=BERLIN))), lookup=lookup).fresh
    assert new.read_only


def test_an_occurrence_takes_the_slot_its_series_moved_to_in_the_crm() -> None:
    """Agreed at 08:30 with Google, moved to 09:00 in the CRM: the occurrence Google lists
    at 08:30 on 2 March belongs to the CRM's 09:00 slot."""
    agreed = TimedMoment(SERIES.start.at - timedelta(minutes=30), BERLIN)  # type: ignore[union-attr]
    lookup = series_lookup()
    lookup.series["series"] = replace(lookup.series["series"], agreed=agreed)
    google_original = TimedMoment(ORIGINAL.at - timedelta(minutes=30), BERLIN)
    moved = event(
        "occ1", timed(10, day=2, zone=BERLIN), occurrence=OccurrenceOf("series", google_original)
    )
    (new,) = page(listed(moved), lookup=lookup).fresh
    assert new.original_start == ORIGINAL.at


def test_an_all_day_occurrence_sits_at_midnight_in_its_series_zone() -> None:
    series = replace(all_day(date(2026, 3, 2)), recurrence=("RRULE:FREQ=DAILY;COUNT=5",))
    lookup = PageLookup(
        series={"series": SeriesRow(meeting(5, series), zone=BERLIN, agreed=series.start)},
        meetings={5: meeting(5, series)},
    )
    changed = event(
        "occ1",
        replace(all_day(date(2026, 3, 3)), subject="Moved"),
        occurrence=OccurrenceOf("series", date(2026, 3, 3)),
    )
    (new,) = page(listed(changed), lookup=lookup).fresh
    assert new.original_start == datetime(2026, 3, 3, tzinfo=ZoneInfo(BERLIN))


def test_an_occurrence_changed_on_both_sides_merges_from_the_series_values() -> None:
    """Google renamed it, the CRM moved it to another room: both changes stay (the base
    is the series' values at the slot, so neither side's change reads as a revert)."""
    at_slot = slot_fields(SERIES, ORIGINAL)
    assert at_slot is not None
    row = meeting(8, replace(at_slot, location="Room 4"))
    lookup = series_lookup(slot_rows={(5, ORIGINAL.at): row})
    renamed = occurrence("occ1", replace(at_slot, subject="Renamed"))
    (item,) = page(listed(renamed), lookup=lookup).items
    assert item.plan.why.startswith("occurrence changed on both sides")
    written = {type(action).__name__: action for action in item.plan.actions}
    assert written["UpdateCrm"].fields.subject == "Renamed"  # type: ignore[attr-defined]
    assert written["PatchGoogle"].changed == ("location",)  # type: ignore[attr-defined]


def test_an_occurrence_cancelled_in_the_crm_and_changed_in_google_comes_back() -> None:
    """An edit beats a deletion: Google's change takes the slot of the CRM's hiding row."""
    hiding = meeting(8, hides_occurrence=True)
    lookup = series_lookup(slot_rows={(5, ORIGINAL.at): hiding})
    result = page(listed(occurrence("occ1", timed(10, day=2, zone=BERLIN))), lookup=lookup)
    assert result.items == []
    (new,) = result.fresh
    assert (new.series_id, new.replaces, new.cancelled_occurrence) == (5, 8, False)


# -- the rows an occurrence adds to the page's bulk create, whole ---------------------------

RAW = {"iCalUID": "series@google.com", "hangoutLink": "https://meet.google.com/abc-defg-hij"}


def test_a_changed_occurrence_row_carries_its_uid_link_and_extras() -> None:
    moved = timed(10, day=2, zone=BERLIN)
    entry = listed(occurrence("occ1", moved), **RAW)
    (new,) = page(entry, lookup=series_lookup()).fresh
    assert google_extras(entry.raw)  # the video link is kept
    assert new == NewMeeting(
        entry.event,
        "series@google.com",
        moved,
        False,
        moved,
        "google",
        series_id=5,
        original_start=ORIGINAL.at,
        extras=google_extras(entry.raw),
    )


def test_an_occurrence_of_a_read_only_series_is_a_read_only_row_and_hides_read_only() -> None:
    lookup = series_lookup()
    lookup.series["series"] = replace(
        lookup.series["series"], meeting=meeting(5, SERIES, read_only=True)
    )
    moved = listed(occurrence("occ1", timed(10, day=2, zone=BERLIN)), **RAW)
    gone = listed(occurrence("occ2", None, cancelled=True), **RAW)
    changed, hiding = page(moved, gone, lookup=lookup).fresh
    assert (changed.read_only, hiding.read_only) == (True, True)
    assert (changed.link_base, changed.link_origin) == (changed.fields, "google")


def test_a_cancelled_occurrence_row_hides_the_crms_slot_and_has_no_link() -> None:
    """The series moved from 09:00 to 09:30 Berlin in the CRM before the clocks changed:
    the row hiding an occurrence after the change hides the CRM's 09:30 (summer time)."""
    agreed = datetime(2026, 3, 20, 8, tzinfo=UTC)  # 09:00 CET
    moved = replace(
        SERIES,
        start=TimedMoment(agreed + timedelta(minutes=30), BERLIN),
        end=TimedMoment(agreed + timedelta(minutes=90), BERLIN),
    )
    lookup = PageLookup(
        series={
            "series": SeriesRow(meeting(5, moved), zone=BERLIN, agreed=TimedMoment(agreed, BERLIN))
        },
        meetings={5: meeting(5, moved)},
    )
    google_slot = TimedMoment(datetime(2026, 3, 30, 7, tzinfo=UTC), BERLIN)  # 09:00 CEST
    gone = event("occ1", None, cancelled=True, occurrence=OccurrenceOf("series", google_slot))
    entry = listed(gone, **RAW)
    (new,) = page(entry, lookup=lookup).fresh
    crm_slot = TimedMoment(datetime(2026, 3, 30, 7, 30, tzinfo=UTC), BERLIN)  # 09:30 CEST
    assert new == NewMeeting(
        gone,
        "series@google.com",
        hiding_fields(moved, crm_slot),  # type: ignore[arg-type]
        False,
        None,
        "",
        series_id=5,
        original_start=crm_slot.at,
        cancelled_occurrence=True,
    )


def test_an_occurrence_without_its_series_is_a_meeting_of_its_own_with_its_link() -> None:
    fields = timed(10, day=2, zone=BERLIN)
    entry = listed(occurrence("occ1", fields), **RAW)
    read_only = SyncSettings(is_target=True, calendar_id=CAL, read_only=True)
    (new,) = plan_page([entry], PageLookup(), settings=read_only, calendar_id=CAL, final=True).fresh
    assert new == NewMeeting(
        entry.event,
        "series@google.com",
        fields,
        True,
        fields,
        "google",
        extras=google_extras(entry.raw),
    )


def test_an_occurrence_a_hiding_row_holds_without_its_series_replaces_that_row() -> None:
    lookup = PageLookup(imports={f"{CAL}/occ1": 8}, meetings={8: meeting(8, hides_occurrence=True)})
    entry = listed(occurrence("occ1", timed(10, day=2, zone=BERLIN)))
    (new,) = page(entry, lookup=lookup, final=True).fresh
    assert (new.replaces, new.series_id) == (8, None)


def test_an_occurrence_the_crm_changed_too_is_an_item_with_its_event_and_json() -> None:
    row = meeting(8, timed(11, day=2, zone=BERLIN))
    lookup = series_lookup(slot_rows={(5, ORIGINAL.at): row})
    entry = listed(occurrence("occ1", timed(10, day=2, zone=BERLIN)), **RAW)
    (item,) = page(entry, lookup=lookup).items
    assert (item.event, item.raw) == (entry.event, entry.raw)


def test_a_new_event_of_a_read_only_calendar_is_a_read_only_meeting() -> None:
    read_only = SyncSettings(is_target=True, calendar_id=CAL, read_only=True)
    entry = listed(event("ev1"), **RAW)
    (new,) = plan_page([entry], PageLookup(), settings=read_only, calendar_id=CAL).fresh
    assert (new.read_only, new.ical_uid, new.extras) == (
        True,
        "series@google.com",
        google_extras(entry.raw),
    )


def test_an_occurrence_listed_without_an_ical_uid_has_an_empty_one() -> None:
    entry = listed(occurrence("occ1", timed(10, day=2, zone=BERLIN)))
    (new,) = page(entry, lookup=series_lookup()).fresh
    assert new.ical_uid == ""


def test_an_event_linked_in_another_calendar_is_neither_created_nor_planned() -> None:
    lookup = PageLookup(linked_elsewhere={"uid@x"})
    result = page(listed(event("ev1"), iCalUID="uid@x"), lookup=lookup)
    assert (result.items, result.fresh) == ([], [])


def test_a_new_event_of_the_users_own_keeps_no_extras_and_no_uid_it_lacks() -> None:
    own = {"organizer": {"email": "me@example.com", "self": True}}
    (new,) = page(listed(event("ev1"), **own)).fresh
    assert (new.extras, new.ical_uid) == ({}, "")


def test_every_planned_item_keeps_its_events_json() -> None:
    """The JSON goes with the item to the store (the link's extras, a copy's bulk row)."""
    link = Link(CAL, 7, "ev1", timed(9), '"e0"', 1, "google")
    lookup = PageLookup(links={"ev1": link}, meetings={7: meeting(7)})
    paired = listed(event("ev1", timed(10)), **RAW)
    broken = Listed(
        GoogleEvent.malformed(event_id="ev2", etag='"e2"', problem="no start"), {"id": "ev2"}
    )
    items = page(paired, broken, lookup=lookup).items
    assert [(item.event.event_id, item.raw) for item in items] == [
        ("ev1", paired.raw),
        ("ev2", broken.raw),
    ]


def test_a_linked_occurrence_edited_in_the_crm_and_cancelled_in_google_waits_for_its_series() -> (
    None
):
    """Cancelled alone, the CRM's edit restores the instance; cancelled with its whole
    series, whose plan may come later in the listing, it stands alone: it waits for the end
    of the listing, then learns whether its series goes (``gone``)."""
    row = meeting(8, timed(10, day=2, zone=BERLIN))
    link = Link(CAL, 8, "occ1", timed(11, day=2, zone=BERLIN), '"e0"', 1, "crm")
    lookup = PageLookup(links={"occ1": link}, meetings={8: row})
    raw = listed(occurrence("occ1", None, cancelled=True))
    assert page(raw, lookup=lookup).waiting == [raw.raw]

    def final(gone: frozenset[str]) -> str:
        (item,) = plan_page(
            [raw], lookup, settings=SETTINGS, calendar_id=CAL, final=True, gone=gone
        ).items
        return item.plan.why

    assert final(frozenset({"series"})) == (
        "occurrence changed in the CRM outlives its series deleted in Google"
    )
    assert final(frozenset()) == "CRM edit beats deletion"
    untouched = PageLookup(links={"occ1": replace(link, base=row.fields)}, meetings={8: row})
    (item,) = page(raw, lookup=untouched).items  # nothing to wait for: it goes
    assert item.plan.why == "deleted in Google"
