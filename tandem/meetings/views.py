"""Calendar pages and the meeting forms. Thin: reads go through selectors, writes through
services; every query is scoped to the signed-in user (or masked for a colleague)."""

from __future__ import annotations

import zoneinfo
from dataclasses import replace
from datetime import date, time
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from tandem.accounts.selectors import preferences_for
from tandem.meetings import rules
from tandem.meetings.calendar_feed import meetings_fingerprint
from tandem.meetings.calendar_grid import VIEWS, days_of, period_for, weeks_of
from tandem.meetings.colours import colours_of_entries
from tandem.meetings.forms import MeetingForm, initial_for, initial_for_new, input_formats_of
from tandem.meetings.models import Meeting
from tandem.meetings.occurrence_views import occurrence_for_page
from tandem.meetings.occurrences import occurrence_key, occurrences_between
from tandem.meetings.repeat_form import RepeatForm, repeat_initial, show_service_errors
from tandem.meetings.rule_cost import dense_rule_summary
from tandem.meetings.selectors import deleted_meetings_of, meeting_of
from tandem.meetings.series_edits import series_update
from tandem.meetings.series_preview import SeriesPreview, series_preview
from tandem.meetings.services import (
    MeetingInput,
    meeting_create,
    meeting_delete,
    meeting_restore,
)

# The calendar shows the years a meeting may take place in.
FIRST_YEAR, LAST_YEAR = rules.FIRST_YEAR, rules.LAST_YEAR


def calendar_url(*, view: str, day: date, user: str | None = None) -> str:
    query = {"view": view, "date": day.isoformat()}
    if user:
        query["user"] = user
    return f"{reverse('calendar')}?{urlencode(query)}"


def _parse_day(request: HttpRequest, name: str, today: date) -> date:
    text = request.GET.get(name)
    if not text:
        return today
    try:
        day = date.fromisoformat(text)
    except ValueError:
        messages.warning(request, f"“{text}” is not a date like 2026-11-24; showing today.")
        return today
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        # Far-off years would overflow the date arithmetic of the arrows.
        messages.warning(
            request, f"Choose a date between {FIRST_YEAR} and {LAST_YEAR}; showing today."
        )
        return today
    return day


def _parse_view(request: HttpRequest) -> str:
    view = request.GET.get("view") or "month"
    if view not in VIEWS:
        messages.warning(request, f"There is no “{view}” view; showing the month.")
        return "month"
    return view


def _calendar_owner(request: HttpRequest) -> User:
    username = request.GET.get("user")
    if not username or username == request.user.get_username():
        return request.user  # type: ignore[return-value]
    try:
        return User.objects.get(username=username, is_active=True)
    except User.DoesNotExist:
        raise Http404("No colleague with that user name.") from None


@login_required
def calendar(request: HttpRequest) -> HttpResponse:
    """Month, week or list view of the signed-in user's calendar, or of a colleague's."""
    zone = timezone.get_current_timezone()
    assert isinstance(zone, zoneinfo.ZoneInfo)
    today = timezone.localdate()
    view = _parse_view(request)
    anchor = _parse_day(request, "date", today)
    owner = _calendar_owner(request)
    is_own = owner.pk == request.user.pk
    period = period_for(view=view, anchor=anchor)
    # Read before the meetings: a change made while the page is drawn then differs from it,
    # and the page's live poll (calendar.js) redraws.
    fingerprint = meetings_fingerprint(owner=owner)
    occurrences = occurrences_between(
        viewer=request.user,  # type: ignore[arg-type]
        owner=owner,
        first_day=period.first_day,
        end_day=period.end_day,
        zone=zone,
    )
    days = days_of(period=period, occurrences=occurrences, today=today)
    user_param = None if is_own else owner.get_username()
    colours = colours_of_entries(
        viewer=request.user,  # type: ignore[arg-type]
        owner=owner,
        entries=(occurrence.entry for occurrence in occurrences),
    )
    context = {
        "view": view,
        "period": period,
        "days": days,
        "weeks": weeks_of(days),
        "list_days": [day for day in days if day.occurrences],
        "owner": owner,
        "is_own": is_own,
        "colours": colours,
        "meetings_fingerprint": fingerprint,
        "zone_name": zone.key,
        "today_url": calendar_url(view=view, day=today, user=user_param),
        "previous_url": calendar_url(view=view, day=period.previous, user=user_param),
        "next_url": calendar_url(view=view, day=period.next, user=user_param),
        "view_urls": {name: calendar_url(view=name, day=anchor, user=user_param) for name in VIEWS},
    }
    return render(request, "meetings/calendar.html", context)


def _prefill(request: HttpRequest, time_zone: str) -> dict[str, object]:
    today = timezone.localdate()
    day = _parse_day(request, "date", today)
    start: time | None = None
    if text := request.GET.get("time"):
        try:
            start = time.fromisoformat(text)
        except ValueError:
            messages.warning(request, f"“{text}” is not a time like 14:30; starting at 09:00.")
    initial = initial_for_new(day=day, start=start, time_zone=time_zone)
    until = _time_or_none(request.GET.get("until"))
    if start is not None and until is not None and until > start:
        initial["end_time"] = until  # a stretch dragged on the calendar's time grid
    if request.GET.get("all_day") == "1":
        initial |= {"all_day": True, "end_date": day}
    return initial


def _time_or_none(text: str | None) -> time | None:
    try:
        return time.fromisoformat(text) if text else None
    except ValueError:
        return None


@login_required
@require_http_methods(["GET", "POST"])
def meeting_create_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    formats = input_formats_of(request)
    if request.method == "POST":
        form, repeat = MeetingForm(request.POST, **formats), RepeatForm(request.POST, **formats)
        if form.is_valid() and repeat.is_valid():
            try:
                meeting = meeting_create(owner=user, data=_with_repeat(form, repeat))
            except ValidationError as error:
                show_service_errors(form, repeat, error)
            else:
                messages.success(request, f"Created “{meeting.subject}”.")
                return redirect(_calendar_of(meeting))
    else:
        form = MeetingForm(
            initial=_prefill(request, preferences_for(user=user).time_zone), **formats
        )
        repeat = RepeatForm(**formats)
    context = {"form": form, "repeat_form": repeat, "meeting": None}
    return render(request, "meetings/meeting_form.html", context)


def _with_repeat(form: MeetingForm, repeat: RepeatForm) -> MeetingInput:
    data = form.meeting_input()
    return replace(data, recurrence=repeat.recurrence_lines(data))


def _calendar_of(meeting: Meeting) -> str:
    """The month that shows the meeting, in the meeting's own dates."""
    first_day = meeting.start_date or timezone.localtime(meeting.start).date()
    return calendar_url(view="month", day=first_day)


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A meeting; for a series opened from one of its occurrences (``?occurrence=KEY``),
    that occurrence's times and what can be done to it alone."""
    meeting = meeting_of(owner=request.user, pk=pk)  # type: ignore[arg-type]
    context: dict[str, object] = {
        "meeting": meeting,
        "dense_rule": dense_rule_summary(meeting.recurrence),
    }
    if meeting.original_start is not None:  # an occurrence changed alone: its slot's name
        context["own_key"] = occurrence_key(meeting.original_start)
    key = request.GET.get("occurrence")
    if key and meeting.is_recurring and not meeting.read_only:
        occurrence, problem = occurrence_for_page(meeting, key)
        if occurrence is None:
            messages.warning(request, problem)
        else:
            context |= {"occurrence": occurrence, "key": key}
    return render(request, "meetings/meeting_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = meeting_of(owner=request.user, pk=pk)  # type: ignore[arg-type]
    if meeting.read_only:
        messages.error(request, "This meeting comes from a Google calendar you cannot edit.")
        return redirect("meeting-detail", pk=meeting.pk)
    preview: SeriesPreview | None = None
    formats = input_formats_of(request)
    if request.method == "POST":
        form, repeat = (
            MeetingForm(request.POST, **formats),
            RepeatForm(request.POST, stored=meeting.recurrence, **formats),
        )
        if form.is_valid() and repeat.is_valid():
            try:
                data = _with_repeat(form, repeat)
                preview = series_preview(meeting, data)
                if preview is None or request.POST.get("confirm") == preview.token:
                    series_update(meeting=meeting, data=data)
                    preview = None
            except ValidationError as error:
                show_service_errors(form, repeat, error)
                preview = None
            else:
                if preview is None:
                    messages.success(request, f"Saved “{meeting.subject}”.")
                    return redirect("meeting-detail", pk=meeting.pk)
    else:
        initial = initial_for(meeting)
        form = MeetingForm(initial=initial, **formats)
        repeat = RepeatForm(
            **formats,
            stored=meeting.recurrence,
            initial=repeat_initial(
                meeting.recurrence,
                start=initial["start_date"],
                time_zone=meeting.time_zone,
                all_day=meeting.all_day,
            ),
        )
    context = {"form": form, "repeat_form": repeat, "meeting": meeting, "preview": preview}
    return render(request, "meetings/meeting_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def meeting_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes (a tombstone, restorable for 30 days)."""
    meeting = meeting_of(owner=request.user, pk=pk)  # type: ignore[arg-type]
    if meeting.read_only:
        messages.error(request, "This meeting comes from a Google calendar you cannot delete.")
        return redirect("meeting-detail", pk=meeting.pk)
    if request.method == "POST":
        meeting_delete(meeting=meeting)
        messages.success(
            request, f"Deleted “{meeting.subject}”. You can restore it from Deleted meetings."
        )
        return redirect(_calendar_of(meeting))
    return render(request, "meetings/meeting_confirm_delete.html", {"meeting": meeting})


@login_required
@require_POST
def meeting_restore_view(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = meeting_of(owner=request.user, pk=pk, include_deleted=True)  # type: ignore[arg-type]
    try:
        meeting_restore(meeting=meeting)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("meetings-deleted")
    messages.success(request, f"Restored “{meeting.subject}”.")
    return redirect("meeting-detail", pk=meeting.pk)


@login_required
def deleted_meetings(request: HttpRequest) -> HttpResponse:
    tombstones = [
        meeting
        for meeting in deleted_meetings_of(owner=request.user)  # type: ignore[arg-type]
        if meeting.can_be_restored()
    ]
    return render(request, "meetings/deleted_meetings.html", {"meetings": tombstones})
