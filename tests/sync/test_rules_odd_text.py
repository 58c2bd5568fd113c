"""Text from Google as people and other systems write it (issue 12, finding 3 and must-have
4), through the engine and the emulator, on whichever database the suite runs (CI runs it
on SQLite and on PostgreSQL: the NUL crashed PostgreSQL only, with ``psycopg.DataError:
PostgreSQL text fields cannot contain NUL``). The rule lives in
``tandem/sync/core/storable.py``, called by ``mapping.read_event``."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from tandem.meetings.models import Meeting
from tandem.meetings.occurrence_edits import occurrence_change
from tandem.meetings.services import MeetingInput
from tandem.sync.models import EventLink
from tests.sync.harness import (
    HOUR,
    SyncWorld,
    connect_user,
    crm_edit,
    event_body,
    google_requests,
    run_clean,
    run_sync,
    soon,
    writes,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(google_in_process, client: Client) -> SyncWorld:  # type: ignore[no-untyped-def]
    return connect_user(google_in_process, client)


def _insert_escaped(world: SyncWorld, body: dict[str, Any], replace: dict[str, str]) -> str:
    """Inserts an event whose JSON is written by hand, so that ``replace`` can put escapes
    json.dumps would never write (a lone surrogate ``\\ud800``) into it; its id."""
    text = json.dumps(body)
    for placeholder, escaped in replace.items():
        text = text.replace(placeholder, escaped)
    response = world.google._send(
        "POST",
        f"calendars/{quote(world.primary, safe='')}/events",
        content=text,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def _only_meeting(world: SyncWorld) -> Meeting:
    (meeting,) = Meeting.objects.filter(owner=world.user)
    return meeting


def test_a_nul_in_title_description_and_location_is_removed_and_the_run_succeeds(
    world: SyncWorld,
) -> None:
    """An invitation whose text holds NULs is imported without them; the run succeeds and
    the next run has nothing to do (the cleaned text is the agreed base, no echo)."""
    start = soon(days=2)
    world.google.create_event(
        world.primary,
        "Pitch\x00 review",
        start,
        start + HOUR,
        description="Agenda:\x00\n1. numbers",
        location="Room\x00 4",
    )
    with google_requests(world) as requests:
        run_clean(world)
        run_clean(world)
    meeting = _only_meeting(world)
    assert (meeting.subject, meeting.description, meeting.location) == (
        "Pitch review",
        "Agenda:\n1. numbers",
        "Room 4",
    )
    assert writes(requests) == []


def test_a_lone_surrogate_becomes_a_replacement_character(world: SyncWorld) -> None:
    """A title with a lone UTF-16 surrogate (sent escaped, served escaped) is stored with
    U+FFFD in its place: neither database can encode the surrogate."""
    start = soon(days=3)
    _insert_escaped(
        world,
        event_body("Call SURROGATE Bob", start, start + HOUR, description="a SURROGATE b"),
        {"SURROGATE": "\\ud83d"},
    )
    run_clean(world)
    meeting = _only_meeting(world)
    assert (meeting.subject, meeting.description) == ("Call \ufffd Bob", "a \ufffd b")


def test_control_characters_go_and_line_breaks_stay(world: SyncWorld) -> None:
    """Bell, vertical tab, DEL and C1 controls go; tab, line breaks, emoji and every script
    stay."""
    start = soon(days=4)
    world.google.create_event(
        world.primary,
        "Zoë\x07 и 東京 📅",
        start,
        start + HOUR,
        description="line 1\r\n\tline 2\x0b\x7f\x85end",
    )
    run_clean(world)
    meeting = _only_meeting(world)
    assert meeting.subject == "Zoë и 東京 📅"
    # (The CRM keeps line ends as "\n": tandem.meetings.rules.clean_description.)
    assert meeting.description == "line 1\n\tline 2end"


def test_a_cleaned_event_edited_in_the_crm_sends_only_the_edit(world: SyncWorld) -> None:
    """The CRM never writes the cleaned text back unasked: a location edited in the CRM is
    patched alone, and Google keeps its description with the NUL as it was."""
    start = soon(days=5)
    event = world.google.create_event(
        world.primary, "Kick-off", start, start + HOUR, description="x\x00y"
    )
    run_clean(world)
    crm_edit(_only_meeting(world), location="Room 7")
    run_clean(world)
    after = world.google.get_event(world.primary, event["id"])
    assert (after["location"], after["description"]) == ("Room 7", "x\x00y")


def test_one_malformed_event_is_a_problem_named_by_its_title_and_the_rest_sync(
    world: SyncWorld,
) -> None:
    """An event the CRM cannot hold (a date start with a date-time end) is a problem that
    names its title, cleaned of its NUL; the good event beside it is imported."""
    start = soon(days=6)
    world.google.create_event(world.primary, "Good one", start, start + HOUR)
    bad = world.google.create_event(world.primary, "Bad\x00 one", start, start + HOUR)
    # Google would refuse this event on insert; reading must survive it anyway.
    stored = world.emulator.state.calendars[world.primary].events[bad["id"]]
    stored.resource["start"] = {"date": start.date().isoformat()}
    outcome = run_sync(world)
    assert outcome.run is not None
    assert [m.subject for m in Meeting.objects.filter(owner=world.user)] == ["Good one"]
    problems = [w.message for w in outcome.run.report.warnings if "Bad one" in w.message]
    assert problems == ["“Bad one”: The start and the end mix a date and a date-time."], (
        outcome.run.warnings
    )
    assert EventLink.objects.filter(owner=world.user).count() == 1


def test_an_invitation_whose_ical_uid_holds_a_nul_is_imported(world: SyncWorld) -> None:
    """An event imported from another calendar system keeps the UID it came with, and the
    engine stores it on the link: a NUL there stopped the run on PostgreSQL. It is stored
    cleaned (the adapter, by storable.py's rule) and the run succeeds."""
    start = soon(days=7)
    body = event_body("Invitation", start, start + HOUR) | {"iCalUID": "uid\x00x@example.com"}
    world.google.import_event(world.primary, body)
    run_clean(world)
    assert _only_meeting(world).subject == "Invitation"
    assert EventLink.objects.get(owner=world.user).ical_uid == "uidx@example.com"


def test_an_occurrence_changed_in_the_crm_of_a_series_whose_ical_uid_holds_a_nul(
    world: SyncWorld,
) -> None:
    """The same UID reaches the engine a second way: the instance an occurrence changed in
    the CRM is pushed onto (the outbound pass looks it up with events.instances). Its link is
    stored with the cleaned UID too (found by review; a NUL stopped the run on PostgreSQL)."""
    start = soon(days=2, hour=9)
    body = event_body(
        "Weekly",
        start,
        start + HOUR,
        time_zone="Europe/Berlin",
        recurrence=["RRULE:FREQ=WEEKLY;COUNT=3"],
    ) | {"iCalUID": "series\x00x@example.com"}
    world.google.import_event(world.primary, body)
    run_clean(world)
    series = Meeting.objects.get(owner=world.user, series__isnull=True)
    second = series.start + timedelta(days=7)
    row = occurrence_change(
        series=series,
        original_start=second,
        data=MeetingInput(
            subject="Moved",
            start=second + HOUR,
            end=second + 2 * HOUR,
            time_zone="Europe/Berlin",
        ),
    )

    run_clean(world)

    assert EventLink.objects.get(meeting=row).ical_uid == "seriesx@example.com"
