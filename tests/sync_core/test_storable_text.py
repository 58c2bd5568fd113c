"""Text from Google made storable at the boundary (``core/storable.py``, called by
``mapping.read_event``): what is removed, what is replaced, what the reading warns, and that
every quoted value is storable too (issue 12, must-have 4)."""

from __future__ import annotations

import pytest

from tandem.sync.core.mapping import MalformedEvent, read_event
from tandem.sync.core.storable import is_storable, quoted, storable_text
from tests.sync_core.test_event_reading_exact import event


@pytest.mark.parametrize(
    ("raw", "clean", "counts"),
    [
        ("plain text, Zoë, 東京, 📅, \u2028", "plain text, Zoë, 東京, 📅, \u2028", (0, 0, 0)),
        ("tab\tline\nreturn\r", "tab\tline\nreturn\r", (0, 0, 0)),
        ("a\x00b\x00", "ab", (2, 0, 0)),
        ("bell\x07 vt\x0b ff\x0c esc\x1b del\x7f c1\x85\x9f", "bell vt ff esc del c1", (0, 7, 0)),
        ("lone \ud800 and \udfff", "lone \ufffd and \ufffd", (0, 0, 2)),
        ("all\x00\x01\ud83d", "all\ufffd", (1, 1, 1)),
    ],
)
def test_storable_text_removes_nul_and_controls_and_replaces_lone_surrogates(
    raw: str, clean: str, counts: tuple[int, int, int]
) -> None:
    """NUL and controls (but tab, LF, CR) go, a lone surrogate becomes U+FFFD, the rest of
    Unicode stays; the counts say what was done."""
    cleaned = storable_text(raw)
    assert cleaned.text == clean
    assert (cleaned.removed_nul, cleaned.removed_controls, cleaned.replaced_surrogates) == counts
    assert cleaned.changed == (counts != (0, 0, 0))
    assert is_storable(raw) == (counts == (0, 0, 0))
    cleaned.text.encode("utf-8")  # every result has a UTF-8 form


def test_the_description_of_a_change_is_plain() -> None:
    assert storable_text("a\x00b").describe("the summary") == (
        "In the summary: 1 NUL character removed."
    )
    assert storable_text("\x00\x00\x01\x02\ud800\ud801").describe("the description") == (
        "In the description: 2 NUL characters removed, 2 control characters removed, "
        "2 lone UTF-16 surrogates replaced by “\ufffd”."
    )


def test_a_reading_cleans_each_text_field_and_warns_once_per_field() -> None:
    reading = read_event(event(summary="Pitch\x00", description="x\ud800", location="Room\x07 4"))
    assert reading.fields is not None
    assert (reading.fields.subject, reading.fields.description, reading.fields.location) == (
        "Pitch",
        "x\ufffd",
        "Room 4",
    )
    assert reading.warnings == (
        "In the summary: 1 NUL character removed.",
        "In the description: 1 lone UTF-16 surrogate replaced by “\ufffd”.",
        "In the location: 1 control character removed.",
    )


def test_text_is_cleaned_before_it_is_cut_to_the_limit() -> None:
    """The limit counts the stored text: 1024 characters after the NULs are gone."""
    reading = read_event(event(summary="\x00" * 10 + "s" * 1024))
    assert reading.fields is not None and reading.fields.subject == "s" * 1024
    assert reading.warnings == ("In the summary: 10 NUL characters removed.",)
    long = read_event(event(location="\x00" + "l" * 1100))
    assert long.warnings == (
        "In the location: 1 NUL character removed.",
        "The location was cut from 1100 to 1024 characters.",
    )


def test_recurrence_lines_are_stored_clean() -> None:
    reading = read_event(event(recurrence=["RRULE:FREQ=WEEKLY;COUNT=3\x00"]))
    assert reading.fields is not None
    assert reading.fields.recurrence == ("RRULE:FREQ=WEEKLY;COUNT=3",)
    assert reading.warnings == ("In the recurrence: 1 NUL character removed.",)


def test_a_problem_names_the_title_and_quotes_only_storable_text() -> None:
    """The run record stores the problem: the title and the bad value quoted in it are
    cleaned too; a blank title leaves the plain reason."""
    with pytest.raises(MalformedEvent) as caught:
        read_event(
            event(summary="Bad\x00 one", start={"dateTime": "soon\x00\ud800", "timeZone": "UTC"})
        )
    assert caught.value.reason == "“Bad one”: Invalid start time “soon\ufffd”."
    with pytest.raises(MalformedEvent) as caught:
        read_event(event(summary="  ", end={}))
    assert caught.value.reason == "The event has no end."
    with pytest.raises(MalformedEvent) as caught:
        read_event(event(summary="t" * 200, end={}))
    assert caught.value.reason == f"“{'t' * 80}”: The event has no end."


@pytest.mark.parametrize("visibility", ["private", "confidential"])
def test_a_private_events_problem_never_names_its_title(visibility: str) -> None:
    """Found by review: the run's record (the SyncRun admin, ``tandem sync``) showed a
    private event's title, which DESIGN.md hides from everyone but its owner."""
    with pytest.raises(MalformedEvent) as caught:
        read_event(event(summary="Salary talk", visibility=visibility, end={}))
    assert caught.value.reason == "A private event: The event has no end."


def test_unknown_visibility_and_recurrence_quotes_are_storable() -> None:
    assert read_event(event(visibility="se\x00cret")).warnings == (
        "Unknown visibility “secret” read as default.",
    )
    with pytest.raises(MalformedEvent) as caught:
        read_event(event(recurrence=["X-\x00NUL"]))
    assert caught.value.reason == "“Kick-off”: Unknown recurrence line “X-NUL”."


def test_an_id_that_cannot_be_stored_is_no_id() -> None:
    with pytest.raises(MalformedEvent) as caught:
        read_event(event(id="ev\x001"))
    assert caught.value.event_id is None


def test_quoted_shortens_then_cleans() -> None:
    assert quoted("ab\x00cdef", 4) == "abc"
    assert quoted(12345, 3) == "123"


def test_the_minimal_cancelled_occurrence_is_read_without_etag_or_fields() -> None:
    """Google guarantees only id, recurringEventId and originalStartTime of a cancelled
    occurrence (Events reference, status): that is enough to hide it."""
    reading = read_event(
        {
            "id": "s1_20260301T090000Z",
            "status": "cancelled",
            "recurringEventId": "s1",
            "originalStartTime": {"dateTime": "2026-03-01T10:00:00+01:00"},
        },
        default_zone="Europe/Paris",
    )
    assert (reading.cancelled, reading.fields, reading.etag) == (True, None, "")
    assert reading.occurrence is not None and reading.occurrence.series_event_id == "s1"
