"""MeetingFields ⇄ JSON, for the base copy stored on each EventLink."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from tandem.sync.core.fields import MeetingFields, Moment, TimedMoment


def _moment_to_json(value: Moment) -> dict[str, str]:
    if isinstance(value, TimedMoment):
        return {"at": value.at.isoformat(), "zone": value.zone}
    return {"date": value.isoformat()}


def _moment_from_json(value: dict[str, str]) -> Moment:
    if "date" in value:
        return date.fromisoformat(value["date"])
    return TimedMoment(datetime.fromisoformat(value["at"]), value["zone"])


def fields_to_json(fields: MeetingFields) -> dict[str, Any]:
    return {
        "subject": fields.subject,
        "start": _moment_to_json(fields.start),
        "end": _moment_to_json(fields.end),
        "description": fields.description,
        "location": fields.location,
        "visibility": fields.visibility,
        "recurrence": list(fields.recurrence),
    }


def fields_from_json(value: dict[str, Any]) -> MeetingFields:
    return MeetingFields(
        subject=value["subject"],
        start=_moment_from_json(value["start"]),
        end=_moment_from_json(value["end"]),
        description=value.get("description", ""),
        location=value.get("location", ""),
        visibility=value.get("visibility", "default"),
        recurrence=tuple(value.get("recurrence", ())),
    )
