"""The calendar component's three endpoints (tandem/static/js/calendar.js):

- ``calendar_feed`` (GET): the boxes of a range of days as EventCalendar's event objects,
  from the same ``occurrences_between`` as the server-rendered views (so a colleague's
  private meeting is "Busy" here too). Times are wall-clock times in the viewer's zone
  without an offset: the component shows them as they are ("floating"), whatever the
  browser's own zone, and sends them back the same way.
- ``meeting_move`` (POST): a drag or a resize. The new wall-clock times are read in the
  viewer's zone (ZoneInfo, so across a daylight-saving change too) and saved through
  ``meetings.services.meeting_update``, which queues the sync as every other edit does.
- ``meetings_fingerprint``: the newest change among the owner's meetings, which the live
  endpoint (tandem.sync.live, beside the sync's own state) hands the page to poll.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from tandem.meetings import rules
from tandem.meetings.colours import Colours, colours_of_entries
from tandem.meetings.occurrences import Occurrence, occurrences_between
from tandem.meetings.owner_bounds import newest_change
from tandem.meetings.selectors import meeting_of
from tandem.meetings.services import MeetingInput, input_of, meeting_update

# The widest range one request may ask for: a six-week month grid plus a margin. A bigger
# range is refused, so no request's cost grows past what a page shows.
MAX_FEED_DAYS = 62
WALL_CLOCK = "%Y-%m-%dT%H:%M:%S"
INSTANT_BOX = timedelta(minutes=30)


def _zone() -> zoneinfo.ZoneInfo:
    zone = timezone.get_current_timezone()  # the viewer's preference (accounts middleware)
    assert isinstance(zone, zoneinfo.ZoneInfo)
    return zone


def _owner(request: HttpRequest) -> User:
    username = request.GET.get("user")
    if not username or username == request.user.get_username():
        return request.user  # type: ignore[return-value]
    try:
        return User.objects.get(username=username, is_active=True)
    except User.DoesNotExist:
        raise Http404("No colleague with that user name.") from None


def _day(text: str | None) -> date | None:
    """EventCalendar sends ``2026-12-01T00:00:00``; a plain date is fine too."""
    try:
        return date.fromisoformat((text or "")[:10])
    except ValueError:
        return None


def _problem(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def event_of(
    occurrence: Occurrence, zone: zoneinfo.ZoneInfo, *, is_own: bool, colours: Colours
) -> dict[str, Any]:
    """One box as EventCalendar's plain event object, coloured by a palette class (the
    CSP allows no inline style; tandem.css sets the component's colours per class)."""
    entry = occurrence.entry
    private = entry.visibility in ("private", "confidential")
    if entry.all_day:
        start, end = occurrence.first_day.isoformat(), occurrence.end_day.isoformat()
    else:
        start = entry.start.astimezone(zone).strftime(WALL_CLOCK)
        # A zero-length meeting (a reminder, a deadline) is drawn half an hour tall, room
        # for its time and title on one line (calendar.js says its own time only); zero
        # tall, the grid showed its time alone.
        shown_end = entry.end + (INSTANT_BOX if entry.end == entry.start else timedelta(0))
        end = shown_end.astimezone(zone).strftime(WALL_CLOCK)
    instant = not entry.all_day and entry.end == entry.start
    url = ""
    if is_own:
        url = f"/meetings/{entry.pk}/" + (
            f"?occurrence={occurrence.key}" if occurrence.is_recurring else ""
        )
    classes = ["tandem-event", colours.of(entry.pk, entry.series_pk)]
    classes += ["is-private"] if private and not entry.is_busy_block else []
    classes += ["is-busy"] if entry.is_busy_block else []
    classes += ["is-read-only"] if entry.read_only else []
    classes += ["is-instant"] if instant else []
    # A series' occurrence is moved from its page, with its scopes (this one, following,
    # all), not by a drag that could not ask which.
    movable = is_own and entry.editable and not occurrence.is_recurring
    return {
        "id": f"{entry.pk}:{occurrence.key}" if occurrence.is_recurring else str(entry.pk),
        "title": entry.subject,
        "start": start,
        "end": end,
        "allDay": entry.all_day,
        "editable": movable,
        "durationEditable": movable and not instant,  # a resize would make it last
        "classNames": classes,
        "extendedProps": {
            "meeting": entry.pk,
            "url": url,
            "location": entry.location,
            "private": private,
            "recurring": occurrence.is_recurring,
            "readOnly": entry.read_only,
            "note": occurrence.note,
            "instant": instant,
        },
    }


@login_required
@require_GET
def calendar_feed(request: HttpRequest) -> JsonResponse:
    first_day, end_day = _day(request.GET.get("start")), _day(request.GET.get("end"))
    if first_day is None or end_day is None or end_day <= first_day:
        return _problem("Give start and end as dates like 2026-12-01, the end after the start.")
    if (end_day - first_day).days > MAX_FEED_DAYS:
        return _problem(f"Ask for at most {MAX_FEED_DAYS} days at a time.")
    if not (rules.in_range(first_day) and rules.in_range(end_day - timedelta(days=1))):
        # Meetings take place in these years only; at the calendar's edge (year 1 or 9999)
        # the zone margin's arithmetic overflowed into a 500 (issue 15).
        return _problem(f"Ask for days between {rules.FIRST_YEAR} and {rules.LAST_YEAR}.")
    owner = _owner(request)
    zone = _zone()
    occurrences = occurrences_between(
        viewer=request.user,  # type: ignore[arg-type]
        owner=owner,
        first_day=first_day,
        end_day=end_day,
        zone=zone,
    )
    is_own = owner.pk == request.user.pk
    colours = colours_of_entries(
        viewer=request.user,  # type: ignore[arg-type]
        owner=owner,
        entries=(o.entry for o in occurrences),
    )
    return JsonResponse(
        [event_of(o, zone, is_own=is_own, colours=colours) for o in occurrences], safe=False
    )


def _wall_clock(text: str, zone: zoneinfo.ZoneInfo) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return None if moment.tzinfo is not None else moment.replace(tzinfo=zone)


@login_required
@require_POST
def meeting_move(request: HttpRequest, pk: int) -> JsonResponse:
    """A drag or a resize: the new start and end, wall-clock times in the viewer's zone
    (dates, end exclusive, for an all-day meeting)."""
    user: User = request.user  # type: ignore[assignment]
    meeting = meeting_of(owner=user, pk=pk)  # 404 for anybody else's
    if meeting.is_recurring:
        return _problem("Move a repeating meeting from its page: choose which occurrences.")
    start_text, end_text = request.POST.get("start", ""), request.POST.get("end", "")
    values = dict(vars(input_of(meeting)))  # the meeting's own values; the move changes the times
    if meeting.all_day:
        first, end = _day(start_text), _day(end_text)
        if first is None or end is None or len(start_text) != 10:
            return _problem("An all-day meeting moves by whole days: give two dates.")
        values |= {"start_date": first, "end_date": end}
    else:
        zone = _zone()
        start, end_at = _wall_clock(start_text, zone), _wall_clock(end_text, zone)
        if start is None or end_at is None:
            return _problem("Give the new start and end as times like 2026-12-01T09:30.")
        # The meeting keeps its own zone; only its instants move.
        values |= {"start": start, "end": end_at}
    try:
        meeting = meeting_update(meeting=meeting, data=MeetingInput(**values))
    except ValidationError as error:
        messages = (
            error.messages
            if not hasattr(error, "message_dict")
            else [
                message
                for field_messages in error.message_dict.values()
                for message in field_messages
            ]
        )
        return _problem(" ".join(messages))
    return JsonResponse({"saved": True, "id": meeting.pk})


def meetings_fingerprint(*, owner: User) -> str:
    """The newest write among the owner's meetings (owner_bounds.newest_change)."""
    return str(newest_change(owner=owner))


def calendar_owner(request: HttpRequest) -> User:
    return _owner(request)
