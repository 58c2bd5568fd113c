"""MeetingFields ⇄ JSON, for the base copy stored on each EventLink."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec

from tandem.sync.core.fields import MeetingFields, Moment, TimedMoment

_json_encode = msgspec.json.Encoder().encode


def _iso_text(value: date) -> str:
    """RFC 3339 text of a date or an aware datetime ("2026-12-07", "2026-12-07T09:00:00Z"),
    as ``datetime.fromisoformat`` reads it back (Python 3.11 reads "Z"). msgspec writes it
    in a tenth of ``isoformat``'s CPU, which ran twice for every event a first import links
    (docs/benchmarks.md, ninth session). Links written before keep "+00:00": both read the
    same."""
    return _json_encode(value)[1:-1].decode()


def _moment_to_json(value: Moment) -> dict[str, str]:
    if isinstance(value, TimedMoment):
        return {"at": _iso_text(value.at), "zone": value.zone}
    return {"date": _iso_text(value)}


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
