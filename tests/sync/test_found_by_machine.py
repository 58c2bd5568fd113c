"""Engine defects the database convergence machine found (tests/sync/test_convergence_db.py),
each shrunk to a plain scenario against the emulator.

Each test states the behaviour DESIGN.md asks for. A defect found and not fixed yet is
marked ``xfail(strict=True)``: the suite stays green, and the day the engine is fixed the
test passes, strict xfail fails the run, and the marker must go; the machine steers clear
of its path meanwhile (a comment there names the test here). The thirteen found before
2026-12-05 are fixed, each test failed on the engine before its fix, and so are those found
since (the last, a series deleted in Google as its occurrence is edited in the CRM, once the
lead settled which side wins: the occurrence stays, a single meeting).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from tandem.meetings.models import Meeting
from tandem.meetings.occurrence_edits import occurrence_cancel, occurrence_change
from tandem.meetings.occurrences import occurrences_between, series_starts
from tandem.meetings.series_edits import (
    lines_following,
    series_delete_following,
    series_split,
    series_update,
)
from tandem.meetings.services import MeetingInput, input_of, meeting_restore
from tandem.sync.models import EventLink, SyncRun
from tests.sync.harness import (
    HOUR,
    GooglePerson,
    SyncWorld,
    connect_user,
    crm_create,
    crm_delete,
    crm_edit,
    google_requests,
    run_clean,
    run_sync,
    save_settings,
    soon,
    writes,
)

pytestmark = pytest.mark.django_db(transaction=True)

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


@pytest.fixture
def world(google_in_process, client: Client) -> SyncWorld:  # type: ignore[no-untyped-def]
    return connect_user(google_in_process, client)


def _weekly_in_google(
    world: SyncWorld, *, days: int = 2, count: int = 3, **extra: Any
) -> tuple[dict[str, Any], Meeting]:
    """A weekly series of ``count`` made in Google, its first ``days`` from today, and
    synced: the event and its meeting."""
    first = soon(days=days, hour=9).astimezone(BERLIN)
    event = world.google.create_event(
        world.primary,
        "Weekly",
        first,
        first + HOUR,
        time_zone="Europe/Berlin",
        recurrence=[f"RRULE:FREQ=WEEKLY;COUNT={count}"],
        **extra,
    )
    run_clean(world)
    return event, Meeting.objects.get(owner=world.user, series__isnull=True)


def _starts(series: Meeting) -> list[datetime]:
    return series_starts(series=series, start=series.start, end=series.start + timedelta(days=30))


def _crm_view(world: SyncWorld, series: Meeting) -> list[tuple[str, datetime]]:
    """The occurrences the CRM calendar shows over the series' weeks."""
    day = series.start.astimezone(BERLIN).date()
    shown = occurrences_between(
        viewer=world.user,
        owner=world.user,
        first_day=day - timedelta(days=1),
        end_day=day + timedelta(days=30),
        zone=BERLIN,
    )
    return [(o.entry.subject, o.entry.start.astimezone(BERLIN)) for o in shown]


def _google_view(world: SyncWorld, event_id: str) -> list[tuple[str, datetime]]:
    """Google's live instances of the series."""
    return [
        (i.get("summary", ""), datetime.fromisoformat(i["start"]["dateTime"]).astimezone(BERLIN))
        for i in world.google.instances(world.primary, event_id)
    ]


def _google_shows(world: SyncWorld, event_id: str) -> list[tuple[str, datetime]]:
    """What Google's calendar shows of the series: its live events with singleEvents."""
    answer = world.google.http.get(
        f"calendars/{world.primary}/events", params={"singleEvents": "true", "maxResults": 2500}
    )
    assert answer.status_code == 200, answer.text
    return sorted(
        (i.get("summary", ""), datetime.fromisoformat(i["start"]["dateTime"]).astimezone(BERLIN))
        for i in answer.json()["items"]
        if i.get("recurringEventId") == event_id
    )


def _team_daily(world: SyncWorld) -> Meeting:
    """A daily series of three made in the team calendar (picked, not the target) and
    synced: its meeting."""
    team = "team@group.calendar.test"
    world.emulator.create_calendar(
        email=world.primary, summary="Team", time_zone="America/New_York", calendar_id=team
    )
    save_settings(world, inbound=[world.primary, team])
    first = soon(days=2, hour=13)
    world.google.create_event(
        team,
        "Team daily",
        first,
        first + HOUR,
        time_zone="America/New_York",
        recurrence=["RRULE:FREQ=DAILY;COUNT=3"],
    )
    run_clean(world)
    return Meeting.objects.get(owner=world.user, series__isnull=True)


def _team_daily_cut(world: SyncWorld) -> tuple[Meeting, Meeting, datetime]:
    """``_team_daily``, then "this and following events" changed in the CRM from its second
    occurrence (nothing else changed): the first part, the new series, and where it starts."""
    series = _team_daily(world)
    second = _starts(series)[1]
    following = replace(
        input_of(series),
        start=second,
        end=second + (series.end - series.start),
        recurrence=lines_following(series, second),
    )
    return series, series_split(series=series, original_start=second, data=following), second


def _next_run_writes_nothing(world: SyncWorld) -> None:
    """One more clean run writes nothing to Google and changes no meeting."""
    versions = dict(Meeting.objects.filter(owner=world.user).values_list("pk", "version"))
    with google_requests(world) as requests:
        run_clean(world)
    assert writes(requests) == []
    assert dict(Meeting.objects.filter(owner=world.user).values_list("pk", "version")) == versions


def _moved(start: datetime, subject: str) -> MeetingInput:
    return MeetingInput(
        subject=subject, start=start + HOUR, end=start + 2 * HOUR, time_zone="Europe/Berlin"
    )


def test_an_ongoing_series_that_began_before_the_window_is_imported(world: SyncWorld) -> None:
    """DESIGN.md §3: the window holds meetings that end after now - 30 days. A weekly
    meeting that began six weeks ago and goes on has occurrences next week: Google lists
    it (timeMin), and the CRM must show it."""
    first = soon(days=-40, hour=9)
    world.google.create_event(
        world.primary,
        "Team weekly",
        first,
        first + HOUR,
        time_zone="Europe/Berlin",
        recurrence=["RRULE:FREQ=WEEKLY"],
    )

    run_clean(world)

    assert Meeting.objects.filter(owner=world.user, subject="Team weekly").exists()


def test_a_series_moved_in_the_crm_while_google_changed_one_occurrence_shows_it_once(
    world: SyncWorld,
) -> None:
    """Issue 11, defect 1's concurrent twin: the person renames the third occurrence in
    Google while the CRM user moves the whole series by half an hour, before a sync. Google
    keeps the renamed occurrence on its slot when the series moves; the CRM must too."""
    event, series = _weekly_in_google(world)
    third = world.google.instances(world.primary, event["id"])[2]
    world.google.patch_event(world.primary, third["id"], summary="Third, renamed")
    half_hour = timedelta(minutes=30)
    crm_edit(series, start=series.start + half_hour, end=series.end + half_hour)

    run_clean(world)

    crm = _crm_view(world, series)
    assert len(crm) == 3, crm
    assert crm == _google_view(world, event["id"])


def test_an_occurrence_cancelled_then_cut_off_by_a_shorter_series_fails_no_run(
    world: SyncWorld,
) -> None:
    """The CRM user cancels the last occurrence, then ends the series one occurrence
    earlier (COUNT 3 → 2), before a sync. Nothing is left to cancel in Google: the run
    succeeds, and so does the next one (today each run fails with "the series in Google has
    no occurrence at …", for ever)."""
    event, series = _weekly_in_google(world)
    occurrence_cancel(series=series, original_start=_starts(series)[2])
    crm_edit(series, recurrence=["RRULE:FREQ=WEEKLY;COUNT=2"])

    first, second = run_sync(world), run_sync(world)

    assert first.run is not None and second.run is not None
    assert first.run.status == SyncRun.Status.SUCCEEDED, first.run.errors
    assert second.run.status == SyncRun.Status.SUCCEEDED, second.run.errors
    assert len(_google_view(world, event["id"])) == 2


def test_an_occurrence_changed_then_cut_off_by_a_shorter_series_ends_alike_on_both_sides(
    world: SyncWorld,
) -> None:
    """The CRM user moves the last occurrence alone, then ends the series one occurrence
    earlier, before a sync. Whatever becomes of that occurrence, both calendars must show
    the same, and the runs succeed (today: the CRM shows it, Google does not, and every
    run fails)."""
    event, series = _weekly_in_google(world)
    last = _starts(series)[2]
    occurrence_change(series=series, original_start=last, data=_moved(last, "Moved"))
    crm_edit(series, recurrence=["RRULE:FREQ=WEEKLY;COUNT=2"])

    outcome = run_sync(world)

    assert outcome.run is not None
    assert outcome.run.status == SyncRun.Status.SUCCEEDED, outcome.run.errors
    assert _crm_view(world, series) == _google_shows(world, event["id"])


def test_a_series_deleted_in_the_crm_while_google_changed_one_occurrence_settles_in_one_run(
    world: SyncWorld,
) -> None:
    """The CRM user deletes a series while the person renames one of its occurrences in
    Google. One run settles it: no link is left to a cancelled event, and a second run
    changes and writes nothing."""
    event, series = _weekly_in_google(world)
    third = world.google.instances(world.primary, event["id"])[2]
    world.google.patch_event(world.primary, third["id"], summary="Third, renamed")
    crm_delete(series)

    run_clean(world)

    for link in EventLink.objects.filter(owner=world.user):
        assert world.google.get_event(world.primary, link.event_id)["status"] != "cancelled"
    _next_run_writes_nothing(world)


def test_an_occurrence_of_a_private_series_from_google_changed_in_the_crm_stays_in_google(
    world: SyncWorld,
) -> None:
    """A private weekly series made in Google (private sync off). The CRM user moves one
    occurrence, syncs, then edits it again. It is an edit of a meeting imported from Google:
    written back to its own instance (DESIGN.md §3), never removed from Google as if it were
    a private meeting made in the CRM."""
    event, series = _weekly_in_google(world, visibility="private")
    second = _starts(series)[1]
    row = occurrence_change(
        series=series,
        original_start=second,
        data=MeetingInput(
            subject="Moved",
            start=second + HOUR,
            end=second + 2 * HOUR,
            time_zone="Europe/Berlin",
            visibility="private",
        ),
    )
    run_clean(world)
    crm_edit(row, location="Room 9")

    run_clean(world)

    assert _crm_view(world, series) == _google_view(world, event["id"])


def _weekly_in_crm(world: SyncWorld) -> tuple[Meeting, str]:
    """A weekly series of three made in the CRM and synced: the meeting and its event id."""
    first = soon(days=2, hour=9).astimezone(BERLIN)
    series = crm_create(
        world,
        "Weekly",
        first,
        first + HOUR,
        time_zone="Europe/Berlin",
        recurrence=["RRULE:FREQ=WEEKLY;COUNT=3"],
    )
    run_clean(world)
    return series, EventLink.objects.get(meeting=series).event_id


def test_an_occurrence_made_private_in_the_crm_stays_out_of_google(world: SyncWorld) -> None:
    """DESIGN.md §3: CRM meetings go to Google, "private ones only if the checkbox is
    ticked". The CRM user changes one occurrence of a public series and makes it private
    (private sync off): its private title must not show in Google."""
    series, event_id = _weekly_in_crm(world)
    second = _starts(series)[1]
    occurrence_change(
        series=series,
        original_start=second,
        data=MeetingInput(
            subject="Secret",
            start=second + HOUR,
            end=second + 2 * HOUR,
            time_zone="Europe/Berlin",
            visibility="private",
        ),
    )

    run_clean(world)

    assert "Secret" not in [subject for subject, _ in _google_view(world, event_id)]


def test_an_occurrence_made_private_in_google_is_never_deleted_from_the_crm(
    world: SyncWorld,
) -> None:
    """The CRM user moves one occurrence of a CRM series; the person then makes that
    occurrence confidential in Google (private sync off: the engine takes it out of Google
    and keeps it in the CRM). Later the user ticks "also synchronize private meetings" and
    Google asks for a full re-sync (410). Nobody deleted the occurrence: it must still be
    in the CRM (today it is deleted)."""
    series, _event_id = _weekly_in_crm(world)
    second = _starts(series)[1]
    row = occurrence_change(series=series, original_start=second, data=_moved(second, "Moved"))
    run_clean(world)
    instance_id = EventLink.objects.get(meeting=row).event_id
    world.google.patch_event(world.primary, instance_id, visibility="confidential")
    run_clean(world)

    save_settings(world, sync_private=True)
    world.emulator.expire_sync_tokens()
    run_clean(world)

    row.refresh_from_db()
    assert row.deleted_at is None


def test_an_occurrence_of_a_series_in_a_second_calendar_changed_in_the_crm_settles(
    world: SyncWorld,
) -> None:
    """A daily series in the team calendar (picked, not the target). The CRM user moves one
    occurrence. The run patches that instance and nothing else; the next run writes and
    changes nothing (today it tries to move the instance to the target calendar, then
    replaces the CRM's row by a new one)."""
    series = _team_daily(world)
    first_start = _starts(series)[0]
    occurrence_change(
        series=series, original_start=first_start, data=_moved(first_start, "Kick-off")
    )

    with google_requests(world) as requests:
        run_clean(world)
    assert [entry.method for entry in writes(requests)] == ["PATCH"]
    _next_run_writes_nothing(world)


def test_an_occurrence_saved_unchanged_in_the_crm_follows_a_later_series_edit_alike(
    world: SyncWorld,
) -> None:
    """The CRM user opens "Edit this occurrence" and saves it as it was; later the person
    renames the series in Google. Both calendars show the same titles (today the CRM keeps
    the old title for that occurrence, Google shows the new one)."""
    series, event_id = _weekly_in_crm(world)
    second = _starts(series)[1]
    occurrence_change(
        series=series,
        original_start=second,
        data=MeetingInput(
            subject="Weekly", start=second, end=second + HOUR, time_zone="Europe/Berlin"
        ),
    )
    run_clean(world)

    world.google.patch_event(world.primary, event_id, summary="Renamed in Google")
    run_clean(world)

    assert _crm_view(world, series) == _google_view(world, event_id)


def test_an_occurrence_cancelled_in_the_crm_while_renamed_in_google_ends_alike(
    world: SyncWorld,
) -> None:
    """The CRM user cancels the third occurrence while the person renames it in Google,
    before a sync. An edit beats a deletion (DESIGN.md §3): the renamed occurrence is on
    both calendars, and no row is linked to a cancelled instance."""
    event, series = _weekly_in_google(world)
    occurrence_cancel(series=series, original_start=_starts(series)[2])
    third = world.google.instances(world.primary, event["id"])[2]
    world.google.patch_event(world.primary, third["id"], summary="Third, renamed")

    run_clean(world)

    assert _crm_view(world, series) == _google_view(world, event["id"])
    assert "Third, renamed" in [subject for subject, _ in _google_view(world, event["id"])]


def test_an_occurrence_changed_on_both_sides_is_settled_by_one_run(world: SyncWorld) -> None:
    """The person renames the second occurrence in Google while the CRM user renames it in
    the CRM, before a sync. One run settles it: both calendars show the same title (the
    existing test_rules_occurrences_out test of this case runs the sync twice)."""
    series, event_id = _weekly_in_crm(world)
    second = _starts(series)[1]
    instance = world.google.instances(world.primary, event_id)[1]
    world.google.patch_event(world.primary, instance["id"], summary="Google's title")
    occurrence_change(
        series=series,
        original_start=second,
        data=MeetingInput(
            subject="CRM's title", start=second, end=second + HOUR, time_zone="Europe/Berlin"
        ),
    )

    run_clean(world)

    assert _crm_view(world, series) == _google_view(world, event_id)


def test_a_series_made_private_keeps_its_occurrence_changed_in_google(
    world: SyncWorld,
) -> None:
    """A CRM series pushed to Google; the person renames one occurrence there (the CRM
    gets it as a changed occurrence). The CRM user then makes the series private (private
    sync off): it leaves Google and stays in the CRM (DESIGN.md §3), with that occurrence:
    nobody deleted it."""
    series, event_id = _weekly_in_crm(world)
    instance = world.google.instances(world.primary, event_id)[1]
    world.google.patch_event(world.primary, instance["id"], summary="Google's title")
    run_clean(world)
    row = Meeting.objects.get(owner=world.user, subject="Google's title")

    crm_edit(series, visibility="private")
    run_clean(world)
    run_clean(world)  # the next run reads the instance Google cancelled with the series

    row.refresh_from_db()
    assert row.deleted_at is None


def test_a_series_deleted_in_the_crm_takes_its_changed_occurrences_in_one_run(
    world: SyncWorld,
) -> None:
    """A CRM series whose second occurrence was moved alone and pushed. The CRM user
    deletes the series: one run settles it (no link left to a cancelled instance), and a
    second run changes and writes nothing."""
    series, _event_id = _weekly_in_crm(world)
    second = _starts(series)[1]
    occurrence_change(series=series, original_start=second, data=_moved(second, "Moved"))
    run_clean(world)
    crm_delete(series)

    run_clean(world)

    for link in EventLink.objects.filter(owner=world.user):
        assert world.google.get_event(world.primary, link.event_id)["status"] != "cancelled"
    _next_run_writes_nothing(world)


def test_an_ongoing_series_made_in_the_crm_that_began_before_the_window_is_pushed(
    world: SyncWorld,
) -> None:
    """The CRM twin of test_an_ongoing_series_that_began_before_the_window_is_imported: a
    weekly meeting entered in the CRM as beginning six weeks ago, going on, goes to Google."""
    first = soon(days=-40, hour=9)
    series = crm_create(
        world,
        "Team weekly",
        first,
        first + HOUR,
        time_zone="Europe/Berlin",
        recurrence=["RRULE:FREQ=WEEKLY"],
    )

    run_clean(world)

    assert EventLink.objects.filter(meeting=series).exists()


def test_a_series_deleted_in_the_crm_and_edited_in_google_comes_back_with_its_occurrence(
    world: SyncWorld,
) -> None:
    """The twin of the test above where Google also edits the series itself: an edit beats
    a deletion (DESIGN.md §3), so the series comes back, and the occurrence changed in
    Google with it (the occurrence waits for the end of the listing to see that)."""
    event, series = _weekly_in_google(world)
    third = world.google.instances(world.primary, event["id"])[2]
    world.google.patch_event(world.primary, third["id"], summary="Third, renamed")
    world.google.patch_event(world.primary, event["id"], summary="Weekly, renamed")
    crm_delete(series)

    run_clean(world)

    series.refresh_from_db()
    assert series.deleted_at is None and series.subject == "Weekly, renamed"
    assert _crm_view(world, series) == _google_view(world, event["id"])
    assert "Third, renamed" in [subject for subject, _ in _crm_view(world, series)]


def test_a_meeting_deleted_in_google_then_restored_after_its_calendar_left_is_pushed(
    world: SyncWorld,
) -> None:
    """An event of a second calendar deleted in Google deletes its meeting; the calendar is
    un-picked; the user restores the meeting in the CRM: like a meeting removed with its
    calendar and restored, it goes to the target as a CRM meeting (docs/sync-rules.md,
    "Restore after un-pick"). It stayed out of Google for good: its import record kept it
    from the target's new meetings, and no pass reads an un-picked calendar."""
    team = str(world.emulator.create_calendar(email=world.primary, summary="Team")["id"])
    save_settings(world, inbound=[world.primary, team])
    start = soon(days=3)
    event = world.google.create_event(team, "Planning", start, start + HOUR)
    run_clean(world)
    world.google.delete_event(team, event["id"])
    run_clean(world)
    meeting = Meeting.objects.get(owner=world.user, subject="Planning")
    assert meeting.deleted_at is not None
    save_settings(world, inbound=[world.primary])
    run_clean(world)
    meeting_restore(meeting=meeting)
    run_clean(world)
    link = EventLink.objects.get(meeting=meeting)
    assert (link.calendar_id, link.origin) == (world.primary, EventLink.Origin.CRM)
    assert [e["summary"] for e in world.google.events(world.primary)] == ["Planning"]
    with google_requests(world) as calls:
        run_clean(world)
    assert writes(calls) == []


def test_an_occurrence_changed_in_the_crm_and_synced_then_cut_off_leaves_a_quiet_sync(
    world: SyncWorld,
) -> None:
    """The CRM user changes the last occurrence alone, syncs, then ends the series one
    occurrence earlier ("all events": the change is reset). The run deletes the exception
    in Google; the next run must change nothing (it read its own deletion back as a
    cancelled occurrence and made a row that hid a slot the series no longer has; found by
    the machine at 300 examples: "a second sync writes nothing" failed)."""
    _event, series = _weekly_in_google(world)
    last = _starts(series)[2]
    occurrence_change(series=series, original_start=last, data=_moved(last, "Moved"))
    run_clean(world)
    series.refresh_from_db()
    series_update(
        meeting=series, data=replace(input_of(series), recurrence=["RRULE:FREQ=WEEKLY;COUNT=2"])
    )
    run_clean(world)
    rows = sorted(Meeting.objects.filter(owner=world.user).values_list("pk", "version"))

    run_clean(world)

    assert sorted(Meeting.objects.filter(owner=world.user).values_list("pk", "version")) == rows


def test_an_occurrence_reset_by_two_cuts_before_a_sync_leaves_google_too(
    world: SyncWorld,
) -> None:
    """The CRM user changes the last occurrence alone and syncs, then deletes "this and
    following" from it (the change is reset: deleted) and, before a sync, from the one
    before. The deletion reaches Google: the second cut removed the deleted row with its
    link, so the exception stayed in Google, shown, and the CRM did not show it (found by
    the machine at 300 examples: "event …_20261220 is not in the CRM")."""
    event, series = _weekly_in_google(world)
    starts = _starts(series)
    occurrence_change(series=series, original_start=starts[2], data=_moved(starts[2], "Moved"))
    run_clean(world)
    series.refresh_from_db()
    series_delete_following(series=series, original_start=starts[2])
    series.refresh_from_db()
    series_delete_following(series=series, original_start=starts[1])

    run_clean(world)

    assert _crm_view(world, series) == _google_shows(world, event["id"])


def test_an_occurrence_of_a_series_cut_in_a_second_calendar_changed_in_the_crm_settles(
    world: SyncWorld,
) -> None:
    """A daily series in the team calendar (picked, not the target). The CRM user changes
    "this and following events" from the second occurrence (nothing else changed: a new
    series from there, which goes to the team calendar, docs/sync-rules.md "Which calendar
    a CRM meeting belongs in"), then changes that new series' first occurrence alone. The
    next run must change nothing. It used to ask Google to move that instance to the target
    calendar, which Google refuses with 400: the occurrence row's home was worked out from
    the row, never cut from anything, not from its series (found by the machine at 200
    examples, all-day: "a second sync writes nothing" failed)."""
    _series, cut, second = _team_daily_cut(world)
    occurrence_change(series=cut, original_start=second, data=_moved(second, "Moved"))
    run_clean(world)
    _next_run_writes_nothing(world)


def test_a_series_cut_in_a_second_calendar_stays_there_when_its_first_part_is_deleted(
    world: SyncWorld,
) -> None:
    """A daily series in the team calendar (picked, not the target); the CRM user changes
    "this and following events" from the second occurrence (the new series goes to the team
    calendar, beside its first part), syncs, then deletes the first part. The new series
    stays in the team calendar, where Google Calendar keeps it: the run after the deletion
    used to move it to the target, since its home was the first part's link, gone with the
    deletion (found by the machine at 200 examples: "a second sync writes nothing" failed
    with {'google_moved': 1})."""
    team = "team@group.calendar.test"
    series, cut, _second = _team_daily_cut(world)
    run_clean(world)
    assert EventLink.objects.get(meeting=cut).calendar_id == team
    crm_delete(series)
    run_clean(world)

    with google_requests(world) as requests:
        run_clean(world)

    assert writes(requests) == []
    assert EventLink.objects.get(meeting=cut).calendar_id == team


def test_a_series_cut_in_a_second_calendar_whose_first_part_is_deleted_before_a_sync_is_pushed(
    world: SyncWorld,
) -> None:
    """A daily series in the team calendar (picked, not the target); the CRM user changes
    "this and following events" from the second occurrence, then deletes the first part,
    both before a sync. The run must push the new series, never placed anywhere, to the
    target (docs/sync-rules.md "Which calendar a CRM meeting belongs in"), and the run after
    write nothing. It pushed it nowhere: the target's outbound pass read its home from the
    first part's link (the team calendar), the team calendar's pass, after it had pushed
    the first part's deletion and dropped that link, read the target (found by the machine
    with occurrence changes of cut series drawn: "meeting … is not in Google")."""
    series, cut, _second = _team_daily_cut(world)
    crm_delete(series)
    run_clean(world)

    assert EventLink.objects.get(meeting=cut).calendar_id == world.primary
    _next_run_writes_nothing(world)


def _google_singles(world: SyncWorld, calendar_id: str = "") -> list[dict[str, Any]]:
    """Google's live events of a calendar as its screens show them (singleEvents)."""
    answer = world.google.http.get(
        f"calendars/{calendar_id or world.primary}/events",
        params={"singleEvents": "true", "maxResults": 2500},
    )
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


def _stands_alone(world: SyncWorld, row: Meeting, location: str) -> None:
    """The occurrence the CRM changed is a single meeting of its own, with the CRM's values,
    and Google has it once, as one single event linked to it (origin crm); its series is
    gone on both sides, and one more run writes nothing."""
    row.refresh_from_db()
    assert (row.deleted_at, row.series_id, row.original_start) == (None, None, None)
    assert (row.subject, row.location, row.recurrence) == ("Moved", location, [])
    assert not Meeting.objects.filter(owner=world.user, deleted_at__isnull=True).exclude(pk=row.pk)
    link = EventLink.objects.get(meeting=row)
    assert link.origin == "crm"
    assert not EventLink.objects.filter(owner=world.user).exclude(pk=link.pk).exists()
    events = _google_singles(world)
    assert [(e["id"], e.get("recurringEventId"), e.get("recurrence")) for e in events] == [
        (link.event_id, None, None)
    ]
    shown = events[0]
    assert (shown["summary"], shown.get("location")) == ("Moved", location)
    assert datetime.fromisoformat(shown["start"]["dateTime"]) == row.start
    _next_run_writes_nothing(world)


def test_a_series_deleted_in_google_as_its_occurrence_is_edited_keeps_no_link(
    world: SyncWorld,
) -> None:
    """A weekly series from Google, synced; the CRM user changes its second occurrence
    alone, synced (the row is linked to its instance); then, before the next sync, the CRM
    user edits that occurrence again and the person deletes the whole series in Google.
    An edit beats a deletion (DESIGN.md §3), and nobody edited the series in the CRM: the
    series goes on both sides, the occurrence stays, a single meeting of its own in the CRM
    and a single event in Google (an instance of a deleted series cannot stand alone
    there). The run used to delete the series and the row in the CRM but keep the row's
    link to a deleted meeting. Found by the machine once occurrence changes of cut series
    were drawn ("the meeting is deleted"); the same with a series in the target calendar,
    never cut."""
    event, series = _weekly_in_google(world)
    second = _starts(series)[1]
    row = occurrence_change(series=series, original_start=second, data=_moved(second, "Moved"))
    run_clean(world)
    crm_edit(row, location="Room 4")
    world.google.delete_event(world.primary, event["id"])

    run_clean(world)

    series.refresh_from_db()
    assert series.deleted_at is not None
    _stands_alone(world, row, "Room 4")


def test_an_occurrence_edited_in_the_crm_after_google_deleted_its_series_is_kept(
    world: SyncWorld,
) -> None:
    """The twin the other way round: the person deletes the whole series in Google first,
    then the CRM user edits the occurrence pushed before, both before a sync. The same rule:
    the occurrence stays, alone, on both sides."""
    event, series = _weekly_in_google(world)
    second = _starts(series)[1]
    row = occurrence_change(series=series, original_start=second, data=_moved(second, "Moved"))
    run_clean(world)
    world.google.delete_event(world.primary, event["id"])
    crm_edit(row, location="Room 5")

    run_clean(world)

    _stands_alone(world, row, "Room 5")


def test_an_occurrence_changed_in_the_crm_and_never_pushed_outlives_its_series_deleted_in_google(
    world: SyncWorld,
) -> None:
    """The CRM user changes the second occurrence alone and the person deletes the whole
    series in Google, both before a sync: Google never had the change. The CRM's edit
    survives as a single meeting too; a cancelled occurrence goes with the series (nothing
    of it to keep)."""
    event, series = _weekly_in_google(world)
    starts = _starts(series)
    row = occurrence_change(
        series=series, original_start=starts[1], data=_moved(starts[1], "Moved")
    )
    occurrence_cancel(series=series, original_start=starts[2])
    world.google.delete_event(world.primary, event["id"])

    run_clean(world)

    _stands_alone(world, row, "")


def test_an_occurrence_never_pushed_outlives_its_series_deleted_in_google_after_a_410(
    world: SyncWorld,
) -> None:
    """The twin after a 410, long after: Google refuses the sync token and has forgotten
    the deleted series, so the full listing does not return it and the series is found
    missing (a link the listing did not return, events.get 404). The CRM's change of an
    occurrence still stays as a single meeting (the missing series carried no changed
    occurrences, and took it along)."""
    event, series = _weekly_in_google(world)
    starts = _starts(series)
    row = occurrence_change(
        series=series, original_start=starts[1], data=_moved(starts[1], "Moved")
    )
    world.google.delete_event(world.primary, event["id"])
    world.emulator.expire_sync_tokens()
    assert world.emulator.purge_deleted(calendar_id=world.primary) == 1

    # A full listing's missing events go behind the breaker (all of the user's meetings).
    run_clean(world, allow_mass_delete=True)

    _stands_alone(world, row, "")


def test_an_occurrence_not_edited_since_it_was_pushed_goes_with_its_series_deleted_in_google(
    world: SyncWorld,
) -> None:
    """The occurrence changed alone in the CRM and synced, then left alone: the whole
    series deleted in Google takes it along, its link too."""
    event, series = _weekly_in_google(world)
    second = _starts(series)[1]
    row = occurrence_change(series=series, original_start=second, data=_moved(second, "Moved"))
    run_clean(world)
    world.google.delete_event(world.primary, event["id"])

    run_clean(world)

    assert not Meeting.objects.filter(owner=world.user, deleted_at__isnull=True).exists()
    assert not EventLink.objects.filter(owner=world.user).exists()
    assert _google_singles(world) == []
    row.refresh_from_db()
    assert row.deleted_at is not None and row.series_id == series.pk
    _next_run_writes_nothing(world)


def test_an_occurrence_edited_in_the_crm_goes_with_its_series_deleted_in_a_calendar_now_read_only(
    google_in_process, client: Client
) -> None:
    """A series in a colleague's calendar the user could write: one occurrence changed in
    the CRM and synced, edited again; meanwhile the colleague makes the user a reader and
    deletes the series. Google rules a calendar the user cannot write: the occurrence goes
    with its series, and no link is left."""
    emulator = google_in_process.emulator
    boss = "boss@example.com"
    emulator.create_account(email=boss, name="Boss")
    emulator.share_calendar(calendar_id=boss, email="dana@example.com", access_role="writer")
    colleague = GooglePerson(google_in_process, boss)
    first = soon(days=2, hour=9).astimezone(BERLIN)
    event = colleague.create_event(
        boss,
        "Weekly",
        first,
        first + HOUR,
        time_zone="Europe/Berlin",
        recurrence=["RRULE:FREQ=WEEKLY;COUNT=3"],
    )
    world = connect_user(google_in_process, client, inbound=["dana@example.com", boss])
    run_clean(world)
    series = Meeting.objects.get(owner=world.user, series__isnull=True)
    second = _starts(series)[1]
    row = occurrence_change(series=series, original_start=second, data=_moved(second, "Moved"))
    run_clean(world)
    assert EventLink.objects.filter(meeting=row, calendar_id=boss).exists()
    crm_edit(row, location="Room 4")
    emulator.share_calendar(calendar_id=boss, email="dana@example.com", access_role="reader")
    save_settings(world, inbound=["dana@example.com", boss])
    colleague.delete_event(boss, event["id"])

    run_clean(world)

    row.refresh_from_db()
    assert row.deleted_at is not None and row.series_id == series.pk
    assert not Meeting.objects.filter(owner=world.user, deleted_at__isnull=True).exists()
    assert not EventLink.objects.filter(owner=world.user).exists()
    assert _google_singles(world) == [] and _google_singles(world, boss) == []
    _next_run_writes_nothing(world)


def test_an_occurrence_changed_in_the_crm_before_the_window_goes_with_its_series_deleted_in_google(
    world: SyncWorld,
) -> None:
    """DESIGN.md §3 "Window everywhere": a weekly series from Google that began ten weeks
    ago; the CRM user changed its second occurrence (nine weeks ago, before the window, so
    never pushed) and its last one (next week), then the person deletes the whole series in
    Google. The change in the window stays as a single meeting; the old one was never an
    agreed change and goes with its series, as before the rule (the run used to detach it
    into a meeting of its own that no run would ever push: every old exception of a long
    series kept)."""
    event, series = _weekly_in_google(world, days=-70, count=12)
    starts = series_starts(series=series, start=series.start, end=series.start + timedelta(days=80))
    assert len(starts) == 12
    old = occurrence_change(
        series=series, original_start=starts[1], data=_moved(starts[1], "Old change")
    )
    row = occurrence_change(
        series=series, original_start=starts[11], data=_moved(starts[11], "Moved")
    )
    world.google.delete_event(world.primary, event["id"])

    run_clean(world)

    old.refresh_from_db()
    assert old.deleted_at is not None and old.series_id == series.pk
    _stands_alone(world, row, "")
