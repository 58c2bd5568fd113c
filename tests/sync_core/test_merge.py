"""The three-way merge and its conflict rule (later edit wins, ties go to the CRM)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from msgspec.structs import replace

from tandem.sync.core.fields import MeetingFields
from tandem.sync.core.merge import Conflict, conflict_winner, merge
from tests.sync_core.strategies import all_day, meeting_fields, timed

BASE = timed(9)
EARLY = datetime(2026, 1, 1, tzinfo=UTC)
LATE = datetime(2026, 1, 2, tzinfo=UTC)


def test_unchanged_on_both_sides_merges_to_the_base() -> None:
    """No change anywhere: the result is the base, with no conflict."""
    result = merge(BASE, BASE, BASE, crm_changed_at=EARLY, google_changed_at=LATE)
    assert result.fields == BASE
    assert result.conflicts == ()


def test_a_field_changed_only_in_the_crm_takes_the_crm_value() -> None:
    """A CRM-only change survives, even when Google's copy is newer."""
    crm = replace(BASE, subject="Renamed")
    result = merge(BASE, crm, BASE, crm_changed_at=EARLY, google_changed_at=LATE)
    assert result.fields == crm
    assert result.conflicts == ()


def test_a_field_changed_only_in_google_takes_the_google_value() -> None:
    """A Google-only change survives, even when the CRM copy is newer."""
    google = replace(BASE, location="Room 4")
    result = merge(BASE, BASE, google, crm_changed_at=LATE, google_changed_at=EARLY)
    assert result.fields == google
    assert result.conflicts == ()


def test_different_fields_changed_on_each_side_are_all_kept() -> None:
    """Subject from the CRM and description from Google both land in the result."""
    crm = replace(BASE, subject="Renamed")
    google = replace(BASE, description="<p>Agenda</p>")
    result = merge(BASE, crm, google, crm_changed_at=EARLY, google_changed_at=LATE)
    assert result.fields == replace(BASE, subject="Renamed", description="<p>Agenda</p>")
    assert result.conflicts == ()


def test_the_same_change_on_both_sides_is_no_conflict() -> None:
    """Both sides set the same value: taken, and nothing is recorded."""
    both = replace(BASE, visibility="private")
    result = merge(BASE, both, both, crm_changed_at=EARLY, google_changed_at=LATE)
    assert result.fields == both
    assert result.conflicts == ()


def test_a_conflict_goes_to_the_later_edit_and_is_recorded() -> None:
    """Both sides changed the subject: Google edited later, so Google's subject wins."""
    crm = replace(BASE, subject="CRM")
    google = replace(BASE, subject="Google")
    result = merge(BASE, crm, google, crm_changed_at=EARLY, google_changed_at=LATE)
    assert result.fields.subject == "Google"
    assert result.conflicts == (
        Conflict(field="subject", base=BASE.subject, crm="CRM", google="Google", winner="google"),
    )
    crm_later = merge(BASE, crm, google, crm_changed_at=LATE, google_changed_at=EARLY)
    assert crm_later.fields.subject == "CRM"
    assert crm_later.conflicts[0].winner == "crm"


def test_ties_and_unknown_times_go_to_the_crm() -> None:
    """Equal timestamps, or a side without one, resolve a conflict for the CRM."""
    assert conflict_winner(crm_changed_at=EARLY, google_changed_at=EARLY) == "crm"
    assert conflict_winner(crm_changed_at=None, google_changed_at=LATE) == "crm"
    assert conflict_winner(crm_changed_at=EARLY, google_changed_at=None) == "crm"
    assert conflict_winner(crm_changed_at=EARLY, google_changed_at=LATE) == "google"


def test_start_and_end_merge_as_one_unit() -> None:
    """A move in the CRM and a new end in Google conflict as a pair: never end before start."""
    crm = timed(15)  # moved to 15:00-16:00
    google = timed(9, hours=3)  # 09:00-12:00
    result = merge(BASE, crm, google, crm_changed_at=LATE, google_changed_at=EARLY)
    assert (result.fields.start, result.fields.end) == (crm.start, crm.end)
    assert [c.field for c in result.conflicts] == ["start", "end"]


def test_a_timed_to_all_day_change_keeps_both_bounds_of_one_kind() -> None:
    """One side makes it all-day, the other moves the end: the winner's pair is whole."""
    crm = all_day(date(2026, 3, 1))
    google = timed(9, hours=2)
    result = merge(BASE, crm, google, crm_changed_at=EARLY, google_changed_at=LATE)
    assert (result.fields.start, result.fields.end) == (google.start, google.end)
    assert result.fields.all_day is False


def test_without_a_base_every_difference_is_a_conflict() -> None:
    """Paired by marker with no base: differing fields are conflicts, equal ones are not."""
    google = replace(BASE, subject="Google", location="Room 4")
    crm = replace(BASE, subject="CRM", location="Room 4")
    result = merge(None, crm, google, crm_changed_at=EARLY, google_changed_at=LATE)
    assert result.fields == google
    assert result.conflicts == (
        Conflict(field="subject", base=None, crm="CRM", google="Google", winner="google"),
    )


def test_recurrence_conflicts_like_any_field() -> None:
    """Recurrence rules changed on both sides are one field under the same rule."""
    crm = replace(BASE, recurrence=("RRULE:FREQ=DAILY",))
    google = replace(BASE, recurrence=("RRULE:FREQ=WEEKLY",))
    result = merge(BASE, crm, google, crm_changed_at=LATE, google_changed_at=EARLY)
    assert result.fields.recurrence == ("RRULE:FREQ=DAILY",)
    assert result.conflicts[0].field == "recurrence"


DAY = all_day(date(2026, 3, 1))
AT_NINE = timed(9, zone="Europe/Berlin")


@pytest.mark.parametrize(
    "crm, google, until",
    [
        # An all-day series cut in the CRM (its rule ends on a date), made timed in Google:
        # the last second of that day in Berlin, in UTC.
        (DAY, AT_NINE, ("20260315", "20260315T225959Z")),
        # The other way: 23:30 UTC on the 14th is 00:30 on the 15th in Berlin.
        (AT_NINE, DAY, ("20260314T233000Z", "20260315")),
    ],
)
def test_a_rule_from_one_side_ends_with_an_until_of_the_other_sides_start(
    crm: MeetingFields, google: MeetingFields, until: tuple[str, str]
) -> None:
    """The CRM cut the series (its rule ends with UNTIL), Google made it timed or all-day:
    the merged series keeps its last day, with an UNTIL of its start's type (RFC 5545
    §3.3.10: UNTIL has DTSTART's type)."""
    weekly = ("RRULE:FREQ=WEEKLY",)
    result = merge(
        replace(crm, recurrence=weekly),
        replace(crm, recurrence=(f"RRULE:FREQ=WEEKLY;UNTIL={until[0]}",)),
        replace(google, recurrence=weekly),
        crm_changed_at=EARLY,
        google_changed_at=LATE,
    )
    assert (result.fields.start, result.fields.end) == (google.start, google.end)
    assert result.fields.recurrence == (f"RRULE:FREQ=WEEKLY;UNTIL={until[1]}",)
    assert result.conflicts == ()


NEW_YORK_SEVEN_PM = timed(0, zone="America/New_York", day=2)  # 19:00 on the 1st in New York
AT_EIGHT = timed(7, zone="Europe/Berlin")  # 08:00 in Berlin, an hour earlier than AT_NINE


@pytest.mark.parametrize(
    "crm, google, expected",
    [
        # Cut in the CRM at the end of the 15th in Berlin, moved to 19:00 New York in Google
        # (23:00 UTC on the 15th, in summer time): kept, the UNTIL would drop the 15th; it
        # becomes the 15th's end there.
        (
            (AT_NINE, "20260315T225959Z"),
            (NEW_YORK_SEVEN_PM, None),
            "20260316T035959Z",
        ),
        # Cut in Google just before its occurrence of the 15th (10:00 Berlin, as Google
        # writes a cut), moved to 08:00 in the CRM: kept, the UNTIL would bring the 15th
        # back; it becomes the 14th's end in Berlin.
        (
            (AT_EIGHT, None),
            (AT_NINE, "20260315T085959Z"),
            "20260314T225959Z",
        ),
        # Moved an hour earlier in the same zone: the 15th's end still ends it on the 15th.
        (
            (AT_NINE, "20260315T225959Z"),
            (AT_EIGHT, None),
            "20260315T225959Z",
        ),
    ],
)
def test_a_rule_from_one_side_keeps_its_last_day_beside_a_start_moved_on_the_other(
    crm: tuple[MeetingFields, str | None],
    google: tuple[MeetingFields, str | None],
    expected: str,
) -> None:
    """One side cut the series (a UTC UNTIL, written for its own start), the other moved
    the series' start to another zone or time of day: a UTC UNTIL is an instant, so kept
    as it is it can end the moved series a day early or late. The merged series keeps the
    last day it had where the rule was written (RFC 5545 §3.3.10: UTC, DTSTART's type)."""
    weekly = ("RRULE:FREQ=WEEKLY",)

    def side(start: MeetingFields, until: str | None) -> MeetingFields:
        return replace(start, recurrence=(f"RRULE:FREQ=WEEKLY;UNTIL={until}",) if until else weekly)

    result = merge(
        replace(AT_NINE, recurrence=weekly),
        side(*crm),
        side(*google),
        crm_changed_at=EARLY,
        google_changed_at=LATE,
    )
    moved = crm[0] if google[1] else google[0]
    assert result.fields.start == moved.start
    assert result.fields.recurrence == (f"RRULE:FREQ=WEEKLY;UNTIL={expected}",)
    assert result.conflicts == ()


def test_a_rule_and_a_start_from_the_same_side_stay_as_that_side_holds_them() -> None:
    """Google moved its series to New York and kept its own UNTIL (Google lays out its
    instances by it); the CRM renamed it: the rule stays as Google holds it."""
    cut = replace(AT_NINE, recurrence=("RRULE:FREQ=WEEKLY;UNTIL=20260315T225959Z",))
    google = replace(cut, start=NEW_YORK_SEVEN_PM.start, end=NEW_YORK_SEVEN_PM.end)
    crm = replace(cut, subject="Renamed")
    result = merge(cut, crm, google, crm_changed_at=EARLY, google_changed_at=LATE)
    assert result.fields == replace(google, subject="Renamed")


def test_an_all_day_series_on_both_sides_keeps_its_rule_as_they_hold_it() -> None:
    """A UTC UNTIL on an all-day series (other clients of Google's API write one) is read in
    the calendar's zone, which the merge does not know: no side was timed, so the rule is
    left as the sides hold it."""
    rule = ("RRULE:FREQ=WEEKLY;UNTIL=20260316T045959Z",)  # the 15th's end in New York
    base = replace(DAY, recurrence=rule)
    result = merge(
        base, base, replace(base, subject="Renamed"), crm_changed_at=EARLY, google_changed_at=LATE
    )
    assert result.fields == replace(base, subject="Renamed")


@given(base=meeting_fields(), crm=meeting_fields(), google=meeting_fields())
def test_every_merged_field_comes_from_one_side(base, crm, google) -> None:  # type: ignore[no-untyped-def]
    """Any merge result is valid and each field holds the CRM's or Google's value."""
    result = merge(base, crm, google, crm_changed_at=EARLY, google_changed_at=LATE)
    for name in ("subject", "start", "end", "description", "location", "recurrence"):
        assert result.fields.value(name) in (crm.value(name), google.value(name))
    assert {c.field for c in result.conflicts} <= {
        "subject",
        "start",
        "end",
        "description",
        "location",
        "visibility",
        "recurrence",
    }
