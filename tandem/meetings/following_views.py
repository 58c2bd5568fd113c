"""Pages for "this and following events" of a recurring meeting: change them (a new series
from that occurrence on) or delete them (the series ends before it). Thin: the work is
``series_edits``; both pages list, before anything is saved, the occurrences changed or
cancelled alone that the cut resets."""

from __future__ import annotations

from dataclasses import replace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from tandem.meetings.forms import MeetingForm, initial_for, input_formats_of
from tandem.meetings.models import Meeting
from tandem.meetings.occurrence_edits import occurrence_bounds
from tandem.meetings.occurrences import occurrence_start
from tandem.meetings.repeat_form import RepeatForm, repeat_initial, show_service_errors
from tandem.meetings.selectors import meeting_of
from tandem.meetings.series_edits import (
    check_slot,
    lines_following,
    rows_from,
    series_delete_following,
    series_split,
)


def _series_and_occurrence(
    request: HttpRequest, pk: int, key: str
) -> tuple[Meeting, Meeting | None]:
    """The series and its occurrence at ``key`` (an unsaved copy at the slot's times), or
    None after saying why. Unlike "this event", an occurrence changed alone can be the
    start of "this and following" too."""
    series = meeting_of(owner=request.user, pk=pk)  # type: ignore[arg-type]
    start = occurrence_start(key)
    try:
        if start is None:
            raise ValidationError("That link does not name an occurrence of this meeting.")
        check_slot(series=series, original_start=start)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return series, None
    occurrence = Meeting(
        owner=series.owner,
        subject=series.subject,
        all_day=series.all_day,
        time_zone=series.time_zone,
        description=series.description,
        location=series.location,
        visibility=series.visibility,
        original_start=start,
        **occurrence_bounds(series=series, original_start=start),
    )
    return series, occurrence


def _reset_rows(series: Meeting, occurrence: Meeting) -> list[Meeting]:
    assert occurrence.original_start is not None
    return [
        row
        for row in rows_from(series, occurrence.original_start)
        if not (row.is_cancelled_occurrence or row.is_deleted)
    ]


@login_required
@require_http_methods(["GET", "POST"])
def following_edit(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    series, occurrence = _series_and_occurrence(request, pk, key)
    if occurrence is None:
        return redirect("meeting-detail", pk=series.pk)
    assert occurrence.original_start is not None
    proposed = lines_following(series, occurrence.original_start)
    if request.method == "POST":
        form = MeetingForm(request.POST, **input_formats_of(request))
        repeat = RepeatForm(request.POST, stored=proposed, **input_formats_of(request))
        if form.is_valid() and repeat.is_valid():
            data = form.meeting_input()
            data = replace(data, recurrence=repeat.recurrence_lines(data))
            try:
                new_series = series_split(
                    series=series, original_start=occurrence.original_start, data=data
                )
            except ValidationError as error:
                show_service_errors(form, repeat, error)
            else:
                messages.success(
                    request, f"Saved this and the following events of “{new_series.subject}”."
                )
                return redirect("meeting-detail", pk=new_series.pk)
    else:
        # Opened from an occurrence changed alone, the form starts from its own values.
        changed = next(
            (
                row
                for row in rows_from(series, occurrence.original_start)
                if row.original_start == occurrence.original_start
                and not row.is_cancelled_occurrence
            ),
            None,
        )
        initial = initial_for(changed or occurrence)
        form = MeetingForm(initial=initial, **input_formats_of(request))
        repeat = RepeatForm(
            **input_formats_of(request),
            stored=proposed,
            initial=repeat_initial(
                proposed,
                start=initial["start_date"],
                time_zone=series.time_zone,
                all_day=series.all_day,
            ),
        )
    context = {
        "form": form,
        "repeat_form": repeat,
        "meeting": series,
        "occurrence": occurrence,
        "key": key,
        "reset": _reset_rows(series, occurrence),
    }
    return render(request, "meetings/following_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def following_delete(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    """GET asks for confirmation; POST ends the series before this occurrence."""
    series, occurrence = _series_and_occurrence(request, pk, key)
    if occurrence is None:
        return redirect("meeting-detail", pk=series.pk)
    assert occurrence.original_start is not None
    if request.method == "POST":
        try:
            series_delete_following(series=series, original_start=occurrence.original_start)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("meeting-detail", pk=series.pk)
        messages.success(request, f"Deleted this and the following events of “{series.subject}”.")
        if series.is_deleted:  # from its first occurrence on: the whole series
            return redirect("calendar")
        return redirect("meeting-detail", pk=series.pk)
    context = {
        "meeting": series,
        "occurrence": occurrence,
        "key": key,
        "reset": _reset_rows(series, occurrence),
    }
    return render(request, "meetings/following_confirm_delete.html", context)
