"""A link's base copy as JSON (tandem.sync.adapters.serialize): what is written reads back
as the same fields, and what links written before this format hold reads the same."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given

from tandem.sync.adapters.serialize import fields_from_json, fields_to_json
from tandem.sync.core.fields import MeetingFields, TimedMoment
from tests.sync_core.strategies import meeting_fields


@given(fields=meeting_fields())
def test_the_base_reads_back_as_the_fields_written(fields: MeetingFields) -> None:
    assert fields_from_json(fields_to_json(fields)) == fields


def test_bounds_are_rfc3339_text_and_the_older_offset_form_reads_the_same() -> None:
    fields = MeetingFields(
        subject="Kick-off",
        start=TimedMoment(datetime(2026, 12, 7, 9, tzinfo=UTC), "Europe/Paris"),
        end=TimedMoment(datetime(2026, 12, 7, 10, tzinfo=UTC), "Europe/Paris"),
    )
    stored = fields_to_json(fields)
    assert stored["start"] == {"at": "2026-12-07T09:00:00Z", "zone": "Europe/Paris"}
    older = stored | {
        "start": {"at": "2026-12-07T09:00:00+00:00", "zone": "Europe/Paris"},
        "end": {"at": "2026-12-07T11:00:00+01:00", "zone": "Europe/Paris"},
    }
    assert fields_from_json(older) == fields
    day = MeetingFields(subject="Fair", start=date(2026, 12, 7), end=date(2026, 12, 9))
    assert fields_to_json(day)["end"] == {"date": "2026-12-09"}
    assert fields_from_json(fields_to_json(day)) == day
