"""What saving a change to a whole series does to its occurrences changed or cancelled alone,
said before saving: which it keeps and which it resets (``series_exceptions``).

The page shows the lists and asks to save again; ``token`` names the change that was
previewed, so a confirmation saves only that change (not one edited after the preview)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from tandem.meetings.models import Meeting
from tandem.meetings.series_exceptions import (
    exception_rows,
    exceptions_kept_and_reset,
    left_as_it_is,
)
from tandem.meetings.services import (
    MeetingInput,
    fields_changed,
    normalised,
    rule_problems_of_a_person,
)


@dataclass(frozen=True)
class SeriesPreview:
    kept: list[Meeting]
    reset: list[Meeting]
    token: str


def series_preview(series: Meeting, data: MeetingInput) -> SeriesPreview | None:
    """None when there is nothing to say: the meeting has no such occurrences, or the change
    moves none of them (neither its rule nor its start changes). Raises ValidationError
    for values the services would refuse."""
    rows = exception_rows(series)
    values = normalised(data)
    changed = Meeting(owner=series.owner, **values)
    # The checks of a rule a person writes, as the save will make them (meeting_update).
    problems = rule_problems_of_a_person(changed, changed=fields_changed(series, values))
    if problems:
        raise ValidationError({"recurrence": problems})
    if not rows or all(
        values[name] == getattr(series, name) for name in ("recurrence", "start", "all_day")
    ):
        return None
    moved_from = series.start if values["start"] != series.start else None
    split = exceptions_kept_and_reset(
        changed, rows=rows, moved_from=moved_from, was_all_day=series.all_day
    )
    # A cancelled or deleted row that names no occurrence already (an earlier change left
    # it apart; series_update keeps it as it is) loses nothing now: not listed as reset
    # again. A changed one apart is deleted by the save, so it is listed.
    naming = {row.pk for row in exceptions_kept_and_reset(series, rows=rows).kept}
    reset = [row for row in split.reset if row.pk in naming or not left_as_it_is(row)]
    if not (split.kept or reset):
        return None
    fingerprint = repr((values["recurrence"], values["start"].isoformat(), values["all_day"]))
    token = hashlib.sha256(fingerprint.encode()).hexdigest()[:16]
    return SeriesPreview(kept=split.kept, reset=reset, token=token)
