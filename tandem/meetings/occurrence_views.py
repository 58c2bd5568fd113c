"""Pages for one occurrence of a recurring meeting: see it, change it alone, cancel it alone.

An occurrence is named in URLs by its series and its start in UTC (``20261201T080000Z``),
the slot the series gives it; tandem.meetings.occurrence_edits checks that the series has
it and that nothing replaced it yet.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from tandem.meetings.forms import MeetingForm, initial_for, input_formats_of
from tandem.meetings.models import Meeting
from tandem.meetings.occurrence_edits import (
    check_occurrence,
    occurrence_bounds,
    occurrence_cancel,
    occurrence_change,
)
from tandem.meetings.occurrences import occurrence_start
from tandem.meetings.selectors import meeting_of


def occurrence_for_page(series: Meeting, key: str) -> tuple[Meeting | None, str]:
    """The occurrence named by ``key`` as an unsaved copy of the series at its own times
    (``original_start`` set), or None and why not."""
    start = occurrence_start(key)
    if start is None:
        return None, "That link does not name an occurrence of this meeting."
    try:
        check_occurrence(series=series, original_start=start)
    except ValidationError as error:
        return None, " ".join(error.messages)
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
    return occurrence, ""


def _series_and_occurrence(
    request: HttpRequest, pk: int, key: str
) -> tuple[Meeting, Meeting | None]:
    series = meeting_of(owner=request.user, pk=pk)  # type: ignore[arg-type]
    occurrence, problem = occurrence_for_page(series, key)
    if occurrence is None:
        messages.error(request, problem)
    return series, occurrence


@login_required
@require_http_methods(["GET", "POST"])
def occurrence_edit(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    series, occurrence = _series_and_occurrence(request, pk, key)
    if occurrence is None:
        return redirect("meeting-detail", pk=series.pk)
    assert occurrence.original_start is not None
    if request.method == "POST":
        form = MeetingForm(request.POST, **input_formats_of(request))
        if form.is_valid():
            try:
                row = occurrence_change(
                    series=series,
                    original_start=occurrence.original_start,
                    data=form.meeting_input(),
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, f"Saved this occurrence of “{series.subject}”.")
                return redirect("meeting-detail", pk=row.pk)
    else:
        form = MeetingForm(initial=initial_for(occurrence), **input_formats_of(request))
    context = {"form": form, "meeting": series, "occurrence": occurrence, "key": key}
    return render(request, "meetings/occurrence_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def occurrence_cancel_view(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    """GET asks for confirmation; POST cancels that occurrence alone."""
    series, occurrence = _series_and_occurrence(request, pk, key)
    if occurrence is None:
        return redirect("meeting-detail", pk=series.pk)
    if request.method == "POST":
        assert occurrence.original_start is not None
        try:
            occurrence_cancel(series=series, original_start=occurrence.original_start)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("meeting-detail", pk=series.pk)
        messages.success(request, f"Cancelled one occurrence of “{series.subject}”.")
        return redirect("meeting-detail", pk=series.pk)
    context = {"meeting": series, "occurrence": occurrence, "key": key}
    return render(request, "meetings/occurrence_confirm_cancel.html", context)
