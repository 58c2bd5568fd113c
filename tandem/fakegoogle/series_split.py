"""A recurring event split "this and following" as Google Calendar's own UI does it.

Through the API a client splits a series itself: it trims the series' rule with UNTIL and
inserts a new series (https://developers.google.com/workspace/calendar/api/guides/recurringevents).
Google's UI does the same, and the new series gets an id of its own making,
``<series id>_R<YYYYMMDDTHHMMSS>`` (the first start of the new series, on the wall clock
of the series' zone; ``_R<YYYYMMDD>`` for all-day series), seen in listings recorded from
real Google. No client can choose such an id (not base32hex), so only the control API makes
it: a client must list it as the new event it is, and never read it as an instance id.

Simplified: rules with COUNT are refused (Google recounts them; tests use UNTIL or endless
rules), and exceptions after the split stay with the first series.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from tandem.fakegoogle.event_model import stamp

if TYPE_CHECKING:
    from tandem.fakegoogle.emulator import FakeGoogle

_UNTIL_OR_COUNT = re.compile(r";?(UNTIL|COUNT)=[^;]*", re.IGNORECASE)


def split(
    emu: FakeGoogle, *, calendar_id: str, event_id: str, at: str, base_url: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Ends the series before the occurrence starting ``at`` (an RFC 3339 time, or a date
    for an all-day series) and starts ``<id>_R<start>`` there; (trimmed, new)."""
    from tandem.fakegoogle import events

    with emu.state.lock:
        calendar = emu.state.calendars[calendar_id]
        stored = calendar.events[event_id]
        series = stored.resource
        lines = list(series.get("recurrence") or [])
        if not lines or any("COUNT=" in line.upper() for line in lines):
            raise ValueError("split needs a recurring event whose rule has no COUNT")
        all_day = "date" in series["start"]
        if all_day:
            first = date.fromisoformat(at)
            length = date.fromisoformat(series["end"]["date"]) - date.fromisoformat(
                series["start"]["date"]
            )
            suffix, until = first.strftime("%Y%m%d"), (first - timedelta(days=1)).strftime("%Y%m%d")
            start: dict[str, Any] = {"date": first.isoformat()}
            end: dict[str, Any] = {"date": (first + length).isoformat()}
        else:
            zone = ZoneInfo(series["start"].get("timeZone") or calendar.time_zone)
            moment = datetime.fromisoformat(at).astimezone(zone)
            length = datetime.fromisoformat(series["end"]["dateTime"]) - datetime.fromisoformat(
                series["start"]["dateTime"]
            )
            suffix = moment.strftime("%Y%m%dT%H%M%S")
            until = (moment - timedelta(seconds=1)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
            start = {"dateTime": moment.isoformat(), "timeZone": zone.key}
            end = {"dateTime": (moment + length).isoformat(), "timeZone": zone.key}
        new_body = {
            key: value
            for key, value in series.items()
            if key not in ("id", "etag", "iCalUID", "created", "updated", "htmlLink", "sequence")
        } | {"start": start, "end": end}
        series["recurrence"] = [_until(line, until) for line in lines]
        stored.seq = stamp(emu.state, series, emu.now())
        new_id = f"{event_id}_R{suffix}"
        created = events._create(
            emu,
            base_url,
            calendar,
            new_body,
            actor=calendar.owner_email,
            event_id=new_id,
            keep_people=True,
            seeded=True,
        )
        emu.changed(calendar.id)
        return series, created


def _until(line: str, until: str) -> str:
    if not line.upper().startswith("RRULE"):
        return line
    return _UNTIL_OR_COUNT.sub("", line) + f";UNTIL={until}"
