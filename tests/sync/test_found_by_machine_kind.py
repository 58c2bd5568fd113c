"""A defect the convergence machine found in a series' change of kind, replayed with the
machine's own steps and oracle (tests/sync/series_rules.py), which is where it showed: a plain
replay through the harness's primary calendar did not show it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tandem.meetings.models import Meeting
from tandem.meetings.occurrence_edits import occurrence_cancel
from tandem.sync.core.fields import MeetingFields
from tests.sync.prop_support import TODAY, settings_for_the_emulator
from tests.sync.series_rules import SeriesMachine


def _series() -> Meeting:
    return Meeting.objects.get(series__isnull=True, deleted_at__isnull=True)


def test_a_series_changed_in_kind_twice_in_the_crm_keeps_no_occurrence_cancelled_in_google(
    transactional_db: None, settings: Any
) -> None:
    """DESIGN.md §3: both calendars show the same occurrences after a clean sync. An all-day
    daily series of two days made in the CRM, its first day cancelled there and synced; the
    person makes it timed (a day earlier, 09:00), then all-day again (a day earlier still),
    as the series form allows, and the sync runs once. Google moves its cancelled exception
    with the series, back onto the first day; the CRM's row, which names no day while the
    series is timed, follows too (series_edits.series_update keeps it), so both calendars
    hide that day. The form used to delete the row: the CRM showed both days, Google one."""
    settings_for_the_emulator(settings)
    machine = SeriesMachine()
    try:
        machine.seed_ids(0)
        first = TODAY - timedelta(days=2)
        machine.crm_create_series(
            fields=MeetingFields(
                subject="Kick-off",
                start=first,
                end=first + timedelta(days=1),
                recurrence=("RRULE:FREQ=DAILY;COUNT=2",),
            )
        )
        machine.sync()
        series = _series()
        row = occurrence_cancel(series=series, original_start=series.start)
        machine.occurrence_cancelled = True
        machine.occurrence_rows.add(row.pk)
        machine.crm_deleted_by_user.add(row.pk)
        machine.slots.act(series.pk, 0, "crm", "cancelled")
        machine.sync()
        machine._crm_edit_series(_series(), "kind", "Kick-off", -60, 0)  # timed, a day earlier
        machine.recent.clear()  # what the machine's rule leaves out: a second change now
        machine._crm_edit_series(_series(), "kind", "Kick-off", -60, 0)  # all-day again
        machine.sync()  # the oracle: both sides show the same days
    finally:
        machine.teardown()
