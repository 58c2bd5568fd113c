"""Series changed in the CRM: a rule a person writes, "this and following events", and
what a change of the whole series does to the occurrences changed alone
(tandem/meetings/series_edits.py, series_exceptions.py, services)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from tandem.meetings.models import Meeting
from tandem.meetings.occurrence_edits import occurrence_cancel, occurrence_change
from tandem.meetings.occurrences import series_starts
from tandem.meetings.series_edits import (
    lines_following,
    series_delete_following,
    series_split,
    series_update,
)
from tandem.meetings.series_preview import series_preview
from tandem.meetings.services import MeetingInput, input_of, meeting_create, meeting_update

BERLIN = ZoneInfo("Europe/Berlin")
MONDAYS = [datetime(2026, 12, 7, 9, tzinfo=BERLIN) + timedelta(weeks=n) for n in range(6)]


def weekly(owner: User, rule: str = "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=6") -> Meeting:
    return meeting_create(
        owner=owner,
        data=MeetingInput(
            subject="Client call",
            start=MONDAYS[0],
            end=MONDAYS[0] + timedelta(hours=1),
            time_zone="Europe/Berlin",
            recurrence=[rule],
        ),
    )


def starts(series: Meeting) -> list[datetime]:
    return series_starts(
        series=series,
        start=datetime(2026, 11, 1, tzinfo=BERLIN),
        end=datetime(2027, 6, 1, tzinfo=BERLIN),
    )


def moved(occurrence: datetime, **changes: object) -> MeetingInput:
    return MeetingInput(
        subject="Client call (new room)",
        start=occurrence + timedelta(hours=1),
        end=occurrence + timedelta(hours=2),
        time_zone="Europe/Berlin",
        **changes,  # type: ignore[arg-type]
    )


def test_a_person_cannot_make_a_rule_more_frequent_than_daily(alice: User) -> None:
    with pytest.raises(ValidationError) as error:
        weekly(alice, rule="RRULE:FREQ=HOURLY")
    assert "more often than daily" in error.value.message_dict["recurrence"][0]
    assert not Meeting.objects.exists()


def test_the_sync_still_stores_any_rule_google_holds(alice: User) -> None:
    meeting = meeting_create(
        owner=alice,
        origin="sync",
        data=MeetingInput(
            subject="Ping",
            start=MONDAYS[0],
            end=MONDAYS[0] + timedelta(minutes=5),
            recurrence=["RRULE:FREQ=HOURLY"],
        ),
    )
    assert meeting.recurrence == ["RRULE:FREQ=HOURLY"]
    # ...and a person may still edit the rest of it: the rule is checked when it changes.
    meeting_update(meeting=meeting, data=replace(input_of(meeting), subject="Pong"))


def test_this_and_following_ends_the_series_and_starts_a_new_one(alice: User) -> None:
    series = weekly(alice)
    new = series_split(
        series=series,
        original_start=MONDAYS[3],
        data=moved(MONDAYS[3], recurrence=lines_following(series, MONDAYS[3])),
    )
    series.refresh_from_db()
    assert series.recurrence == ["RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20261221T225959Z"]
    assert starts(series) == MONDAYS[:3]
    assert new.recurrence == ["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=3"]
    assert starts(new) == [moment + timedelta(hours=1) for moment in MONDAYS[3:]]
    assert new.subject == "Client call (new room)" and new.series_id is None
    assert series.version == 2  # an update for the sync to push


def test_occurrences_changed_alone_after_the_cut_are_reset_cancelled_ones_stay_cancelled(
    alice: User,
) -> None:
    """Google Calendar: "any changes to future events will be lost"; a cancelled occurrence
    must not come back."""
    series = weekly(alice)
    before = occurrence_change(series=series, original_start=MONDAYS[1], data=moved(MONDAYS[1]))
    occurrence_change(series=series, original_start=MONDAYS[4], data=moved(MONDAYS[4]))
    occurrence_cancel(series=series, original_start=MONDAYS[5])
    new = series_split(
        series=series,
        original_start=MONDAYS[3],
        data=moved(MONDAYS[3], recurrence=lines_following(series, MONDAYS[3])),
    )
    shown = Meeting.objects.alive().filter(series=series, is_cancelled_occurrence=False)
    assert list(shown) == [before]
    cancelled = Meeting.objects.get(series=new)
    assert cancelled.is_cancelled_occurrence
    assert cancelled.original_start == MONDAYS[5] + timedelta(hours=1)


def test_a_refused_new_series_leaves_the_old_one_as_it_was(alice: User) -> None:
    """One transaction: nothing half-written."""
    series = weekly(alice)
    occurrence_change(series=series, original_start=MONDAYS[4], data=moved(MONDAYS[4]))
    with pytest.raises(ValidationError):
        series_split(
            series=series,
            original_start=MONDAYS[3],
            data=moved(MONDAYS[3], recurrence=["RRULE:FREQ=MINUTELY"]),
        )
    series.refresh_from_db()
    assert series.recurrence == ["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=6"] and series.version == 1
    assert Meeting.objects.filter(owner=alice).count() == 2


def test_from_the_first_occurrence_on_is_the_whole_series(alice: User) -> None:
    series = weekly(alice)
    same = series_split(
        series=series,
        original_start=MONDAYS[0],
        data=moved(MONDAYS[0], recurrence=["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=2"]),
    )
    assert same.pk == series.pk and Meeting.objects.count() == 1
    assert starts(same) == [MONDAYS[0] + timedelta(hours=1), MONDAYS[1] + timedelta(hours=1)]


def test_a_time_that_is_no_occurrence_is_refused(alice: User) -> None:
    series = weekly(alice)
    with pytest.raises(ValidationError, match="no occurrence at that time"):
        series_split(
            series=series,
            original_start=MONDAYS[2] + timedelta(minutes=30),
            data=moved(MONDAYS[2], recurrence=["RRULE:FREQ=DAILY"]),
        )


def test_deleting_this_and_following_ends_the_series_before_it(alice: User) -> None:
    series = weekly(alice)
    occurrence_change(series=series, original_start=MONDAYS[4], data=moved(MONDAYS[4]))
    series_delete_following(series=series, original_start=MONDAYS[2])
    series.refresh_from_db()
    assert starts(series) == MONDAYS[:2] and not series.is_deleted
    assert not Meeting.objects.alive().filter(series=series).exists()


def test_deleting_from_the_first_occurrence_deletes_the_series(alice: User) -> None:
    series = weekly(alice)
    series_delete_following(series=series, original_start=MONDAYS[0])
    series.refresh_from_db()
    assert series.is_deleted


def test_a_new_rule_resets_the_changed_occurrences_it_no_longer_has(alice: User) -> None:
    series = weekly(alice)
    kept = occurrence_change(series=series, original_start=MONDAYS[1], data=moved(MONDAYS[1]))
    reset = occurrence_change(series=series, original_start=MONDAYS[4], data=moved(MONDAYS[4]))
    series_update(
        meeting=series,
        data=replace(input_of(series), recurrence=["RRULE:FREQ=WEEKLY;COUNT=3"]),
    )
    assert list(Meeting.objects.alive().filter(series=series)) == [kept]
    # Deleted like a meeting, so the sync deletes the exception Google keeps for it.
    reset.refresh_from_db()
    assert reset.is_deleted and reset.version == 2


def test_a_cancellation_a_shorter_rule_left_apart_is_not_copied_by_a_later_split(
    alice: User,
) -> None:
    """The fifth Monday cancelled, the rule cut to three: the row stays past the end
    (series_update keeps it, as Google keeps its cancelled exception), hiding nothing.
    "This and following" from the second Monday with five occurrences then starts a series
    without it, as Google's new series has no exception: the copy hid the day the person
    saw on the new series, and never cancelled there."""
    series = weekly(alice)
    occurrence_cancel(series=series, original_start=MONDAYS[4])
    series_update(
        meeting=series,
        data=replace(input_of(series), recurrence=["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=3"]),
    )
    new = series_split(
        series=series,
        original_start=MONDAYS[1],
        data=replace(
            input_of(series),
            start=MONDAYS[1],
            end=MONDAYS[1] + timedelta(hours=1),
            recurrence=["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=5"],
        ),
    )
    assert not Meeting.objects.filter(series=new).exists()
    assert starts(new) == MONDAYS[1:6]


def test_the_preview_lists_a_changed_occurrence_apart_the_save_deletes(alice: User) -> None:
    """A changed row the rule no longer has (a rule cut in Google leaves it, below) is
    deleted by the person's next change of the series: the preview says so. Only cancelled
    and deleted rows apart are left as they are, and not listed."""
    series = weekly(alice)
    row = occurrence_change(series=series, original_start=MONDAYS[4], data=moved(MONDAYS[4]))
    series = meeting_update(
        meeting=series,
        origin="sync",
        data=replace(input_of(series), recurrence=["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=3"]),
    )
    later = replace(
        input_of(series), start=MONDAYS[0] + timedelta(hours=1), end=MONDAYS[0] + timedelta(hours=2)
    )
    preview = series_preview(series, later)
    assert preview is not None and (preview.kept, preview.reset) == ([], [row])
    series_update(meeting=series, data=later)
    row.refresh_from_db()
    assert row.is_deleted


def test_a_rule_changed_in_google_leaves_the_rows_to_the_sync(alice: User) -> None:
    """meeting_update (the sync's way in) keeps them: the sync settles them itself."""
    series = weekly(alice)
    row = occurrence_change(series=series, original_start=MONDAYS[4], data=moved(MONDAYS[4]))
    meeting_update(
        meeting=series,
        origin="sync",
        data=replace(input_of(series), recurrence=["RRULE:FREQ=WEEKLY;COUNT=3"]),
    )
    row.refresh_from_db()
    assert not row.is_deleted


def test_a_weekly_0900_series_stays_at_0900_across_daylight_saving(alice: User) -> None:
    """Berlin leaves summer time on 2026-10-25 and enters it on 2027-03-28."""
    start = datetime(2026, 10, 12, 9, tzinfo=BERLIN)
    series = meeting_create(
        owner=alice,
        data=MeetingInput(
            subject="Standup",
            start=start,
            end=start + timedelta(minutes=15),
            time_zone="Europe/Berlin",
            recurrence=["RRULE:FREQ=WEEKLY;BYDAY=MO"],
        ),
    )
    found = series_starts(series=series, start=start, end=datetime(2027, 4, 10, tzinfo=BERLIN))
    assert {moment.astimezone(BERLIN).hour for moment in found} == {9}
    assert {moment.utcoffset() for moment in found} == {timedelta(hours=1), timedelta(hours=2)}


def test_an_all_day_series_keeps_its_dates_across_daylight_saving(alice: User) -> None:
    series = meeting_create(
        owner=alice,
        data=MeetingInput(
            subject="Inventory",
            all_day=True,
            start_date=date(2027, 3, 22),
            end_date=date(2027, 3, 23),
            time_zone="Europe/Berlin",
            recurrence=["RRULE:FREQ=WEEKLY;UNTIL=20270412"],
        ),
    )
    found = series_starts(
        series=series,
        start=datetime(2027, 3, 1, tzinfo=BERLIN),
        end=datetime(2027, 5, 1, tzinfo=BERLIN),
    )
    assert [moment.astimezone(BERLIN).date() for moment in found] == [
        date(2027, 3, 22),
        date(2027, 3, 29),
        date(2027, 4, 5),
        date(2027, 4, 12),
    ]
    assert {moment.astimezone(BERLIN).hour for moment in found} == {0}


def test_the_last_occurrence_moved_a_day_later_keeps_its_one_occurrence(alice: User) -> None:
    """An all-day series cut at its second occurrence ("delete following") ends on that
    day's predecessor with UNTIL; "this and following" on its last occurrence, moved a day
    later, made a new series ending the day before it starts (UNTIL taken over as it was):
    no occurrence at all, in the CRM nor in Google. As in Google Calendar, the occurrences
    left move with it (SeriesMachine, seed 42)."""
    mondays = [date(2026, 10, 26), date(2026, 11, 2), date(2026, 11, 9)]
    series = meeting_create(
        owner=alice,
        data=MeetingInput(
            subject="Kick-off",
            all_day=True,
            start_date=mondays[0],
            end_date=mondays[0] + timedelta(days=1),
            time_zone="Europe/Berlin",
            recurrence=["RRULE:FREQ=WEEKLY;COUNT=3"],
        ),
    )
    series_delete_following(series=series, original_start=_midnight(mondays[2]))
    series.refresh_from_db()
    last = _midnight(mondays[1])
    assert lines_following(series, last) == ["RRULE:FREQ=WEEKLY;UNTIL=20261102"]
    new = series_split(
        series=series,
        original_start=last,
        data=replace(
            input_of(series),
            start_date=date(2026, 11, 3),
            end_date=date(2026, 11, 4),
            recurrence=lines_following(series, last),
        ),
    )
    assert new.recurrence == ["RRULE:FREQ=WEEKLY;UNTIL=20261103"]
    assert [moment.astimezone(BERLIN).date() for moment in starts(new)] == [date(2026, 11, 3)]
    series.refresh_from_db()
    assert series.recurrence == ["RRULE:FREQ=WEEKLY;UNTIL=20261026"]  # the first one only


def test_a_timed_series_moved_a_day_later_keeps_the_occurrences_left(alice: User) -> None:
    series = weekly(alice, rule="RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20270111T225959Z")
    assert starts(series) == MONDAYS
    new = series_split(
        series=series,
        original_start=MONDAYS[4],
        data=MeetingInput(
            subject="Client call",
            start=MONDAYS[4] + timedelta(days=1),
            end=MONDAYS[4] + timedelta(days=1, hours=1),
            time_zone="Europe/Berlin",
            recurrence=["RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20270111T225959Z"],
        ),
    )
    # A rule the person wrote is theirs: here Tuesdays until the old last day.
    assert new.recurrence == ["RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20270111T225959Z"]
    assert starts(new) == [MONDAYS[4] + timedelta(days=1)]


def test_the_proposed_rule_moves_with_a_timed_series(alice: User) -> None:
    series = weekly(alice, rule="RRULE:FREQ=DAILY;UNTIL=20261211T225959Z")
    day = MONDAYS[0] + timedelta(days=4)  # Friday 11 December, the last occurrence
    new = series_split(
        series=series,
        original_start=day,
        data=MeetingInput(
            subject="Client call",
            start=day + timedelta(days=1, hours=1),
            end=day + timedelta(days=1, hours=2),
            time_zone="Europe/Berlin",
            recurrence=lines_following(series, day),
        ),
    )
    assert new.recurrence == ["RRULE:FREQ=DAILY;UNTIL=20261212T225959Z"]
    assert starts(new) == [day + timedelta(days=1, hours=1)]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=BERLIN)
