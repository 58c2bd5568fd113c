"""The database machine's oracle (tests/sync/db_machine.py, series_rules.py) on examples it
once judged wrongly, replayed as fixed steps of the machine (no search), so each stays right.

Each test drives ``SeriesMachine`` through its own rules and checks (every ``sync`` runs the
checks after a clean sync), with the values a failing example drew handed in by ``Drawn``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tandem.meetings.models import Meeting
from tandem.meetings.occurrences import series_starts
from tandem.sync.core.fields import MeetingFields, TimedMoment
from tandem.sync.models import EventLink, SyncRun, UserSyncState
from tests.sync.prop_support import ANCHOR, PRIMARY, settings_for_the_emulator
from tests.sync.series_rules import GoogleSplitMachine, SeriesMachine


class Drawn:
    """Stands for Hypothesis' ``data`` in a rule: hands out the value given for each label,
    one the rule's strategy offers."""

    def __init__(self, **values: Any) -> None:
        self.values = values

    def draw(self, strategy: Any, label: str | None = None) -> Any:
        assert label in self.values, f"no value given for {label!r}"
        value = self.values.pop(label)
        offered = getattr(strategy, "elements", None)
        assert offered is None or value in offered, f"{label}: {value!r} not in {offered}"
        return value


@pytest.fixture
def machine(transactional_db: None, settings: Any) -> Iterator[SeriesMachine]:
    settings_for_the_emulator(settings)
    machine = SeriesMachine()
    yield machine
    machine.teardown()


def _google_series(machine: SeriesMachine, freq: str) -> Meeting:
    """A series of three made in Google, synced: its meeting."""
    first = ANCHOR.replace(hour=16) + timedelta(days=20)
    machine.google_create_series(
        calendar_id=PRIMARY,
        fields=MeetingFields(
            subject="Kick-off",
            start=TimedMoment(first, "UTC"),
            end=TimedMoment(first + timedelta(minutes=30), "UTC"),
            recurrence=(f"RRULE:FREQ={freq};COUNT=3",),
        ),
    )
    machine.sync()
    return Meeting.objects.get(owner=machine.world.user, series__isnull=True)


def _starts(series: Meeting) -> list[Any]:
    near = timedelta(seconds=1)
    return series_starts(
        series=series, start=series.start - near, end=series.start + timedelta(days=30)
    )


@pytest.mark.parametrize("cut", ["all events, fewer occurrences", "this and following"])
def test_a_cancelled_occurrence_cut_off_in_the_crm_stays_the_persons_cancellation(
    machine: SeriesMachine, cut: str
) -> None:
    """An occurrence cancelled in the CRM (Google cancels its instance), then cut off by a
    change of its series in the CRM: the CRM resets the row that hid it, Google keeps the
    cancelled exception (as it keeps every exception its rule no longer has), and the next
    listing reads it again (no row hides a slot the series no longer has). The cancellation
    is still the person's: found at 300 examples, "event …_20261213T080000Z deleted by
    nobody", after a cut."""
    series = _google_series(machine, "DAILY")
    cancelled = _starts(series)[2]
    machine.crm_cancel_occurrence(data=Drawn(series=series.pk, occurrence=cancelled))
    machine.sync()
    if cut == "this and following":
        machine.crm_change_following(
            data=Drawn(series=series.pk, **{"cut at": 1}), subject="Lunch", move=0
        )
    else:
        machine.crm_edit_series(
            data=Drawn(series=series.pk), kind="shorten", subject="Lunch", move=30, fewer=0
        )
    machine.sync()
    (kept,) = [
        event
        for event in machine._events(PRIMARY).values()
        if event.get("recurringEventId") == EventLink.objects.get(meeting=series).event_id
        and event["originalStartTime"]["dateTime"].startswith(cancelled.date().isoformat())
    ]
    assert kept["status"] == "cancelled"  # Google keeps it; nobody cancelled it anew
    assert (PRIMARY, kept["id"]) in machine.cancellations_asked
    machine.sync()


def test_a_cancellation_is_the_persons_only_until_the_event_lives_again(
    machine: SeriesMachine,
) -> None:
    """The oracle's memory of asked cancellations has teeth: an occurrence cancelled in the
    CRM, then restored in Google, and cancelled again by nobody is caught."""
    series = _google_series(machine, "WEEKLY")
    machine.crm_cancel_occurrence(data=Drawn(series=series.pk, occurrence=_starts(series)[1]))
    machine.sync()
    (event,) = [e for e in machine._live_events(PRIMARY).values() if e.get("recurrence")]
    (instance,) = [
        i
        for i in machine.world.person.instances(PRIMARY, event["id"], show_deleted=True)
        if i["status"] == "cancelled"
    ]
    assert (PRIMARY, instance["id"]) in machine.cancellations_asked
    machine.google_restore_instance(
        data=Drawn(calendar=PRIMARY, **{"series event": event, "instance": instance}),
        subject=None,
    )
    machine.sync()
    assert (PRIMARY, instance["id"]) not in machine.cancellations_asked
    # A slip nobody asked for: the instance cancelled again behind the machine's back.
    machine.world.person.delete(PRIMARY, instance["id"])
    machine._listed.clear()
    with pytest.raises(AssertionError, match="deleted by nobody"):
        machine._check_no_unasked_deletion()


@pytest.mark.parametrize("side", ["crm", "google"])
def test_the_breakers_question_is_checked_against_the_rules(
    machine: SeriesMachine, side: str
) -> None:
    """Eleven synced meetings deleted at once on one side: the breaker asks, and the model
    checks that its question lists them as deleted on that side (must have 4 of issue 11)."""
    machine.mass_deletion(side=side, calendar_id=PRIMARY, count=11)
    state = UserSyncState.objects.get(owner=machine.world.user)
    asked = SyncRun.objects.filter(owner=machine.world.user, status=SyncRun.Status.NEEDS_ATTENTION)
    assert asked.exists()
    assert state.held_deletions == []  # the user confirmed: nothing is held any more


@pytest.mark.parametrize(
    ("made_in", "ending", "copy"),
    [
        ("google", "UNTIL", False),
        ("google", "COUNT", True),
        ("crm", "UNTIL", False),
        ("crm", "COUNT", True),
    ],
)
def test_this_and_following_changed_in_google_trims_the_series_and_imports_the_new_one(
    transactional_db: None, settings: Any, made_in: str, ending: str, copy: bool
) -> None:
    """The rule that draws "this and following events" changed in Google (the API guide's
    two requests: the series' rule trimmed, a new series inserted, maybe with a copy of the
    series' extended properties, our marker among them) leaves two series that each side
    shows alike: the checks of every clean sync pass, and the CRM has the trimmed meeting
    and a new one with the rest, moved and renamed."""
    settings_for_the_emulator(settings)
    machine = GoogleSplitMachine()
    try:
        _cut_in_google(machine, made_in, ending, copy)
    finally:
        machine.teardown()


def _cut_in_google(machine: GoogleSplitMachine, made_in: str, ending: str, copy: bool) -> None:
    if made_in == "google":
        series = _google_series(machine, "DAILY")
    else:
        first = ANCHOR.replace(hour=16) + timedelta(days=20)
        machine.crm_create_series(
            fields=MeetingFields(
                subject="Kick-off",
                start=TimedMoment(first, "Europe/Paris"),
                end=TimedMoment(first + timedelta(minutes=30), "Europe/Paris"),
                recurrence=("RRULE:FREQ=DAILY;COUNT=3",),
            )
        )
        machine.sync()
        series = Meeting.objects.get(owner=machine.world.user, series__isnull=True)
    (event,) = [e for e in machine._live_events(PRIMARY).values() if e.get("recurrence")]
    machine.google_change_following(
        data=Drawn(calendar=PRIMARY, **{"series event": event, "cut at": 1}),
        subject="Lunch",
        move=30,
        ending=ending,
        copy_properties=copy,
    )
    machine.sync()  # every check of a clean sync
    series.refresh_from_db()
    new = Meeting.objects.get(owner=machine.world.user, series__isnull=True, subject="Lunch")
    assert [start.date() for start in _starts(series)] == [series.start.date()]
    assert new.start == series.start + timedelta(days=1, minutes=30)
    assert new.recurrence == ["RRULE:FREQ=DAILY;COUNT=2"]


@pytest.mark.xfail(
    strict=True,
    reason="found with GoogleSplitMachine at 100 CI examples, fails on aa18384 too: Google's "
    "instance of the old series is cancelled, the checks find no one who asked (engine or "
    "oracle: not settled)",
)
def test_a_crm_cut_over_a_cancellation_not_yet_synced(machine: SeriesMachine) -> None:
    """Two occurrences cancelled in the CRM, a sync that fails at its first PATCH, then
    "this and following" from the second in the CRM: the next clean sync passes every
    check. series_rules._pick_cut does not draw this path."""
    first = ANCHOR + timedelta(days=1)
    machine.crm_create(
        fields=MeetingFields(
            subject="Kick-off",
            start=TimedMoment(first, "UTC"),
            end=TimedMoment(first + timedelta(minutes=30), "UTC"),
            recurrence=("RRULE:FREQ=WEEKLY;COUNT=3",),
        )
    )
    series = Meeting.objects.get(owner=machine.world.user)
    for week in (0, 1):
        occurrence = first + timedelta(weeks=week)
        machine.crm_cancel_occurrence(data=Drawn(series=series.pk, occurrence=occurrence))
    machine.flaky_sync(
        route="PATCH /calendar/v3/calendars/*/events/*",
        kind={"status": 500, "reason": "backendError"},
        after=0,
    )
    # Past _pick_cut's guard (the path it does not draw): the cut as a person makes it.
    for slot in machine.slots.by_series[series.pk].values():
        slot.sides.clear()
    machine.crm_change_following(
        data=Drawn(series=series.pk, **{"cut at": 1}), subject=None, move=0
    )
    machine.sync()
