"""The occurrence rows the database's outbound store hands the outbound pass
(``OutboundStore.unpushed_occurrences``): occurrences changed or cancelled alone in the CRM
(tandem.meetings.occurrence_edits) that Google has not had yet, with what
``plan_occurrence_out`` needs to know of them in the CRM. What becomes of them is told in
tandem/sync/core/outbound.py."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta

from tandem.compiled_queries import CompiledQuery
from tandem.meetings.models import Meeting
from tandem.meetings.occurrences import series_starts
from tandem.sync.adapters.crm import crm_meeting, meeting_fields
from tandem.sync.core.fields import MeetingFields, Moment, TimedMoment
from tandem.sync.core.occurrence_slots import slot_fields
from tandem.sync.core.state import OccurrenceRow
from tandem.sync.engine.context import RunContext
from tandem.sync.models import EventLink

# The user's occurrence rows of live series: an idle run's statement, built and compiled
# once per process (tandem/compiled_queries.py).
_OCCURRENCE_ROWS = CompiledQuery(
    Meeting,
    lambda *, owner_id: (
        Meeting.objects.filter(
            owner_id=owner_id, series__isnull=False, series__deleted_at__isnull=True
        )
        .select_related("series")
        # Unordered, so that SQLite takes the partial index of occurrence rows rather than
        # walking the (owner, start, end) index for an ORDER BY start; sorted by the caller.
        .order_by()
    ),
)


def unpushed_occurrences(ctx: RunContext, calendar_id: str) -> list[OccurrenceRow]:
    """The user's unpushed occurrence rows whose series is linked in this calendar (those of
    a series in another calendar go there), by start."""
    rows = _unpushed(ctx)
    if not rows:
        return []
    series_events = {
        meeting_id: (event_id, origin)
        for meeting_id, event_id, origin in EventLink.objects.filter(
            owner=ctx.user,
            google_sub=ctx.google_sub,
            calendar_id=calendar_id,
            meeting_id__in={row.series_id for row in rows},
        ).values_list("meeting_id", "event_id", "origin")
    }
    return [
        _occurrence(row, *series_events[row.series_id])
        for row in rows
        if row.series_id in series_events
    ]


def _unpushed(ctx: RunContext) -> list[Meeting]:
    """Occurrence rows made in the CRM (no link, no import record) in the window; never
    read-only ones (their calendar is read-only). Found through the partial index of
    occurrence rows first, so a run where there are none costs one tiny query, however
    many meetings the user has."""
    rows = [
        row
        for row in _OCCURRENCE_ROWS.all(owner_id=ctx.user.pk)
        # The window and read-only checked here, not in the query: given "end > …",
        # PostgreSQL without fresh statistics (after an import) walked the (owner, start,
        # end) index over every future meeting (8 ms at 50,000) instead of the partial one.
        if _in_window(row, ctx.window_start) and not row.read_only
    ]
    rows.sort(key=lambda row: (row.start, row.pk))
    if not rows:
        return []
    # adapters/crm.py ``unseen_by_google`` (this account), on these rows by their ids.
    ids = [row.pk for row in rows]
    synced = set(
        EventLink.objects.filter(
            owner=ctx.user, google_sub=ctx.google_sub, meeting_id__in=ids
        ).values_list("meeting_id", flat=True)
    )
    return [row for row in rows if row.pk not in synced and row.import_key is None]


def _in_window(row: Meeting, window_start: datetime) -> bool:
    """DESIGN.md §3 "Window everywhere" for a row changed alone in the CRM: it is left alone
    only when both the row and the occurrence it replaces end before the window, as a linked
    pair is left alone only when its sides and its base do (the planner's "changed outside
    the window"; the row's base is its slot). A row whose own values are old may stand for
    an occurrence in the window: changed to a past day, or kept on its occurrence while the
    series moved into the window (meetings.services' ``_exceptions_follow``, as Google keeps
    an exception on its instance). Left in the CRM, it hid that occurrence there while
    Google still showed it."""
    if row.end > window_start:
        return True
    assert row.series is not None and row.original_start is not None
    # The slot's end: the row's original start and the series' length (an all-day
    # series keeps midnights, so its whole days; an hour of daylight saving more or less
    # is nothing to a window 30 days wide).
    return row.original_start + (row.series.end - row.series.start) > window_start


def _occurrence(row: Meeting, series_event_id: str, series_origin: str) -> OccurrenceRow:
    assert row.series is not None and row.original_start is not None
    return OccurrenceRow(
        row=crm_meeting(row, import_key=None),
        hides=row.is_cancelled_occurrence,
        series_event_id=series_event_id,
        series_origin="google" if series_origin == EventLink.Origin.GOOGLE else "crm",
        in_series=_in_series(row),
        as_in_series=meeting_fields(row) == _slot_fields(row),
        original_start=_original_start(row),
    )


def _original_start(row: Meeting) -> str:
    """``originalStart`` as Google writes it: the day of an all-day series, else UTC. A
    row of an all-day series off its day's midnight was made for the series when it was
    timed and kept its time of day when the series became all-day (``rules.original_moved``,
    as Google keeps such an exception's ``originalStartTime`` a time): it names no day, so
    it is looked up by its time, which no instance of the all-day series has. Named by its
    day, the deletion of a changed row (its link gone with Google's exception) cancelled
    that day's occurrence in Google (tests/sync/test_rules_timed_series_made_all_day.py)."""
    assert row.series is not None and row.original_start is not None
    if row.series.all_day:
        zone = zoneinfo.ZoneInfo(row.series.time_zone)
        local = row.original_start.astimezone(zone)
        if local.time() == time.min:
            return local.date().isoformat()
    return row.original_start.astimezone(zoneinfo.ZoneInfo("UTC")).isoformat()


def _slot_fields(row: Meeting) -> MeetingFields | None:
    """What the row's series has at the row's slot."""
    assert row.series is not None and row.original_start is not None
    series = row.series
    original: Moment = (
        row.original_start.astimezone(zoneinfo.ZoneInfo(series.time_zone)).date()
        if series.all_day
        else TimedMoment(row.original_start, series.time_zone)
    )
    return slot_fields(meeting_fields(series), original)


def _in_series(row: Meeting) -> bool:
    """Whether the row's series (in the CRM) still has an occurrence at its slot."""
    assert row.series is not None and row.original_start is not None
    near = timedelta(seconds=1)
    at = row.original_start
    return at in series_starts(series=row.series, start=at - near, end=at + near)
