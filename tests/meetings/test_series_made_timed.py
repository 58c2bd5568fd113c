"""An all-day series made timed by a person: its occurrences changed alone stay on their
days (meetings/rules.py ``original_moved``, as Google keeps an exception of an all-day
series on its date), which the timed series has no occurrence at, so the change resets
them, and the form's preview says so before saving. The sync's side of it:
tests/sync/test_rules_all_day_series_made_timed.py. The reverse (a timed series made
all-day, its rows keeping their time of day) is at the end; its sync side:
tests/sync/test_rules_timed_series_made_all_day.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import User

from tandem.meetings.models import Meeting
from tandem.meetings.occurrence_edits import occurrence_cancel, occurrence_change
from tandem.meetings.occurrences import series_starts
from tandem.meetings.series_edits import series_update
from tandem.meetings.series_preview import series_preview
from tandem.meetings.services import MeetingInput, input_of, meeting_create

from .helpers import BERLIN

FIRST = date(2026, 5, 4)  # a Monday
WEEK = timedelta(weeks=1)


def _series_with_renamed_second(owner: User) -> tuple[Meeting, Meeting]:
    series = meeting_create(
        owner=owner,
        data=MeetingInput(
            subject="Site visit",
            all_day=True,
            start_date=FIRST,
            end_date=FIRST + timedelta(days=1),
            time_zone="Europe/Berlin",
            recurrence=["RRULE:FREQ=WEEKLY;COUNT=3"],
        ),
    )
    second = series_starts(series=series, start=series.start, end=series.start + 2 * WEEK)[1]
    row = occurrence_change(
        series=series,
        original_start=second,
        data=replace(input_of(series), subject="Site visit, renamed", recurrence=[]),
    )
    return series, row


def _at_nine(day: date) -> datetime:
    return datetime.combine(day, time(9), tzinfo=BERLIN)


def made_timed(series: Meeting, start: datetime) -> MeetingInput:
    """The series' values, made timed: an hour from ``start``."""
    return replace(
        input_of(series),
        all_day=False,
        start=start,
        end=start + timedelta(hours=1),
        start_date=None,
        end_date=None,
    )


def test_the_preview_of_an_all_day_series_made_timed_resets_its_changed_occurrence(
    alice: User,
) -> None:
    """It said the renamed occurrence was kept, moved onto 09:00 of its day."""
    series, row = _series_with_renamed_second(alice)
    preview = series_preview(series, made_timed(series, _at_nine(FIRST)))
    assert preview is not None
    assert (preview.kept, preview.reset) == ([], [row])


def test_an_all_day_series_made_timed_resets_its_changed_occurrence(alice: User) -> None:
    """The row is deleted (the sync cancels Google's exception with it) and the series
    shows its three timed occurrences; it used to keep the row on the 09:00 slot, where
    Google's exception, its original start a date, did not follow it."""
    series, row = _series_with_renamed_second(alice)
    series_update(meeting=series, data=made_timed(series, _at_nine(FIRST)))
    row.refresh_from_db()
    assert row.is_deleted
    assert row.original_start == datetime.combine(FIRST + WEEK, time.min, tzinfo=BERLIN)
    starts = series_starts(series=series, start=series.start, end=series.start + 3 * WEEK)
    assert starts == [_at_nine(FIRST) + n * WEEK for n in range(3)]


def _timed_series_with_renamed_second(owner: User) -> tuple[Meeting, Meeting]:
    series = meeting_create(
        owner=owner,
        data=MeetingInput(
            subject="Site visit",
            start=_at_nine(FIRST),
            end=_at_nine(FIRST) + timedelta(hours=1),
            time_zone="Europe/Berlin",
            recurrence=["RRULE:FREQ=WEEKLY;COUNT=3"],
        ),
    )
    row = occurrence_change(
        series=series,
        original_start=_at_nine(FIRST + WEEK),
        data=replace(input_of(series), subject="Site visit, renamed", recurrence=[]),
    )
    return series, row


def made_all_day(series: Meeting, day: date) -> MeetingInput:
    """The series' values, made all-day on ``day``."""
    return replace(
        input_of(series),
        all_day=True,
        start_date=day,
        end_date=day + timedelta(days=1),
        start=None,
        end=None,
    )


def test_a_timed_series_made_all_day_resets_its_changed_occurrence(alice: User) -> None:
    """The reverse: the row keeps its time of day (rules.original_moved, as Google keeps
    such an exception's original start a time), which names no day of the all-day series,
    so the preview says it is reset and the change deletes it. It used to move to midnight,
    kept, hiding the second day (tests/sync/test_rules_timed_series_made_all_day.py)."""
    series, row = _timed_series_with_renamed_second(alice)
    preview = series_preview(series, made_all_day(series, FIRST))
    assert preview is not None
    assert (preview.kept, preview.reset) == ([], [row])
    series_update(meeting=series, data=made_all_day(series, FIRST))
    row.refresh_from_db()
    assert row.is_deleted
    assert row.original_start == _at_nine(FIRST + WEEK)


def test_a_cancelled_occurrence_left_apart_stays_and_comes_back_with_its_day(
    alice: User,
) -> None:
    """Made timed, the series resets its cancelled second Monday, but the row that hides it
    stays (series_update), naming no occurrence, as Google keeps its cancelled exception.
    A later change lists it neither as reset again nor at all while it stays apart; made
    all-day on its Mondays again, the preview lists it as kept (cancelled), and the day is
    hidden again, as Google hides it. The form used to delete the row, and the CRM showed
    the day Google hid (tests/sync/test_found_by_machine_kind.py)."""
    series, _ = _series_with_renamed_second(alice)
    Meeting.objects.filter(series=series).delete()
    second = series_starts(series=series, start=series.start, end=series.start + 2 * WEEK)[1]
    row = occurrence_cancel(series=series, original_start=second)
    series_update(meeting=series, data=made_timed(series, _at_nine(FIRST)))
    row.refresh_from_db()
    assert row.is_cancelled_occurrence and not row.is_deleted
    assert series_preview(series, made_timed(series, _at_nine(FIRST + timedelta(days=1)))) is None
    preview = series_preview(series, made_all_day(series, FIRST))
    assert preview is not None
    assert (preview.kept, preview.reset) == ([row], [])
    series_update(meeting=series, data=made_all_day(series, FIRST))
    series.refresh_from_db()
    starts = series_starts(series=series, start=series.start, end=series.start + 3 * WEEK)
    hidden = {r.original_start for r in Meeting.objects.filter(series=series)}
    assert [start for start in starts if start not in hidden] == [
        series.start,
        series.start + 2 * WEEK,
    ]
