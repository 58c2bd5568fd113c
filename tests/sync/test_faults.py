"""Issue #5, the named faults (a)-(l), injected at the Google emulator. Each test ends, after
the next clean run, with nothing lost and nothing duplicated on either side."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from unittest import mock

import pytest
from django.test import Client

from tandem.accounts.models import GoogleConnection
from tandem.google import errors as google_errors
from tandem.meetings.models import Meeting
from tandem.sync.adapters.links import DjangoLinks
from tandem.sync.engine import sync_user_now
from tandem.sync.locks import lock_acquire, lock_release
from tandem.sync.models import CalendarSyncState, EventLink, SyncRun
from tandem.sync.scheduling import syncable_user_ids
from tests.sync.harness import (
    SyncWorld,
    assert_in_agreement,
    connect_user,
    crm_by_subject,
    crm_create,
    crm_edit,
    crm_meetings,
    google_acts_before,
    google_by_subject,
    google_requests,
    needs_attention,
    run_clean,
    run_sync,
    soon,
    writes,
)

pytestmark = pytest.mark.django_db(transaction=True)

EVENTS = "*/calendars/*/events"


@pytest.fixture
def world(google_in_process, client: Client) -> SyncWorld:  # type: ignore[no-untyped-def]
    """A user in sync: two meetings made in the CRM, two events made in Google."""
    world = connect_user(google_in_process, client)
    crm_create(world, "CRM one", soon(days=1))
    crm_create(world, "CRM two", soon(days=2))
    world.google.create_event(world.primary, "Google one", soon(days=3))
    world.google.create_event(world.primary, "Google two", soon(days=4))
    run_clean(world)
    run_clean(world)
    return world


def _changes_on_both_sides(world: SyncWorld) -> list[str]:
    """A new meeting and an edit in the CRM, a new event and an edit in Google; returns the
    subjects both sides must end with."""
    crm_create(world, "CRM three", soon(days=5))
    crm_edit(Meeting.objects.get(owner=world.user, subject="CRM one"), location="Room 7")
    world.google.create_event(world.primary, "Google three", soon(days=6))
    google_two = next(e for e in world.google.events(world.primary) if e["summary"] == "Google two")
    world.google.patch_event(world.primary, google_two["id"], location="Room 8")
    return ["CRM one", "CRM three", "CRM two", "Google one", "Google three", "Google two"]


def _assert_whole(world: SyncWorld, subjects: list[str]) -> None:
    """Both sides hold exactly these meetings, once each, field for field the same."""
    assert sorted(m.subject for m in crm_meetings(world)) == subjects
    assert sorted(e.get("summary") for e in world.google.events(world.primary)) == subjects
    assert_in_agreement(world)
    assert crm_by_subject(world)["CRM one"].location == "Room 7"
    assert google_by_subject(world)["Google two"].location == "Room 8"


def _failed(world: SyncWorld) -> SyncRun:
    outcome = run_sync(world)
    assert outcome.run is not None
    assert outcome.run.status == SyncRun.Status.FAILED, outcome.run.errors
    return outcome.run


def test_a_connection_dropped_on_page_3_of_4_loses_and_duplicates_nothing(
    world: SyncWorld,
) -> None:
    """(a) The line drops on page 3 of a 4-page full listing: the pages before it are
    committed without the sync token, the run fails, and the next run re-lists and ends
    with every event once."""
    world.google.fill(world.primary, 2600)
    CalendarSyncState.objects.filter(owner=world.user).update(sync_token="")
    world.emulator.set_paging(mode="short")  # pages of 1250, 0, 1250, 100 events
    expected = _changes_on_both_sides(world)
    world.emulator.inject_fault(route=f"GET {EVENTS}", status=0, drop=True, after=2)

    run = _failed(world)
    assert "unreachable" in run.report.first_error
    assert CalendarSyncState.objects.get(owner=world.user).sync_token == ""

    run_clean(world)
    expected += [f"Bulk {n}" for n in range(2600)]
    assert sorted(m.subject for m in crm_meetings(world)) == sorted(expected)
    assert len(world.google.events(world.primary)) == len(expected)


@pytest.mark.parametrize("status", [500, 503])
def test_a_server_error_on_insert_is_retried_by_the_next_run(world: SyncWorld, status: int) -> None:
    """(b) Google answers 500/503 to an insert: the run fails as retryable, and the next
    run inserts the meeting once."""
    expected = _changes_on_both_sides(world)
    world.emulator.inject_fault(route=f"POST {EVENTS}", status=status)

    outcome = run_sync(world)
    assert isinstance(outcome.retryable_error, google_errors.BackendError)

    run_clean(world)
    _assert_whole(world, expected)


@pytest.mark.parametrize(
    ("status", "reason"),
    [(429, "rateLimitExceeded"), (403, "rateLimitExceeded"), (403, "userRateLimitExceeded")],
)
@pytest.mark.parametrize("route", [f"GET {EVENTS}", f"POST {EVENTS}", "PATCH */events/*"])
def test_a_rate_limit_stops_the_run_for_a_retry_and_loses_nothing(
    world: SyncWorld, status: int, reason: str, route: str
) -> None:
    """(c) 429 and 403 rate limits on the listing, an insert or a patch: the run stops with
    a retryable error (the task backs off) and the next run converges."""
    expected = _changes_on_both_sides(world)
    world.emulator.inject_fault(route=route, status=status, reason=reason)

    outcome = run_sync(world)
    assert isinstance(outcome.retryable_error, google_errors.RateLimited)
    assert not [m for m in Meeting.objects.filter(owner=world.user) if m.deleted_at]

    run_clean(world)
    _assert_whole(world, expected)


@pytest.mark.parametrize("route", [f"POST {EVENTS}", "PATCH */events/*"])
def test_a_timeout_after_google_applied_the_write_makes_no_copy(
    world: SyncWorld, route: str
) -> None:
    """(d) Google applies the insert (or patch) but the answer never arrives: the next run's
    insert of the same client-chosen id gets 409 and pairs with the event, or the patch
    listed back matches; no duplicate, nothing lost."""
    expected = _changes_on_both_sides(world)
    world.emulator.inject_fault(route=route, status=0, drop=True, applied=True)

    outcome = run_sync(world)
    assert isinstance(outcome.retryable_error, google_errors.NetworkError)

    run_clean(world)
    _assert_whole(world, expected)
    with google_requests(world) as requests:
        run_clean(world)
    assert writes(requests) == []


def test_a_410_on_the_sync_token_re_lists_and_reconciles_by_event_id(world: SyncWorld) -> None:
    """(e) The stored sync token is refused with 410: the run re-lists everything, matches
    events to meetings by id, duplicates nothing and deletes nothing."""
    expected = _changes_on_both_sides(world)
    world.emulator.expire_sync_tokens()

    outcome = run_clean(world)
    assert outcome.counts["full_resyncs"] == 1
    assert not outcome.counts.get("crm_deleted")
    _assert_whole(world, expected)


def test_an_expired_access_token_is_refreshed_and_the_run_goes_on(world: SyncWorld) -> None:
    """(f) Google answers 401 to a call: the client refreshes the access token once and the
    run succeeds; the connection stays connected."""
    expected = _changes_on_both_sides(world)
    world.emulator.expire_access_tokens()

    with google_requests(world) as requests:
        run_clean(world)
    assert requests[0].status == 401
    assert GoogleConnection.objects.get(user=world.user).status == "connected"
    _assert_whole(world, expected)


def test_invalid_grant_in_the_middle_of_a_run_asks_to_reconnect_and_deletes_nothing(
    world: SyncWorld, client: Client
) -> None:
    """(g) The person removes Tandem's access in their Google Account between two inserts:
    the refresh answers invalid_grant, the connection becomes "needs reconnect", nothing is
    deleted on either side, and after reconnecting the next run converges."""
    expected = _changes_on_both_sides(world)
    world.google.create_event(world.primary, "Google four", soon(days=7))
    crm_create(world, "CRM four", soon(days=8))
    expected = sorted([*expected, "CRM four", "Google four"])

    def person_removes_access() -> None:
        world.emulator.revoke_tokens(email=world.primary)

    with google_acts_before(
        world, method="POST", path_contains="/events", action=person_removes_access, nth=2
    ):
        run = _failed(world)
    connection = GoogleConnection.objects.get(user=world.user)
    assert connection.status == GoogleConnection.Status.NEEDS_RECONNECT
    assert "Reconnect" in run.report.first_error
    assert not Meeting.objects.filter(owner=world.user, deleted_at__isnull=False).exists()
    assert not [
        e
        for e in world.google.events(world.primary, show_deleted=True)
        if e["status"] == "cancelled"
    ]

    world.harness.connect(client)
    run_clean(world)
    _assert_whole(world, expected)


def test_calendar_access_withdrawn_during_a_run_is_asked_for_again_and_deletes_nothing(
    world: SyncWorld, client: Client
) -> None:
    """Google answers insufficientPermissions to an insert (calendar access narrowed in the
    Google Account): the run fails, the connection says calendar access is not granted, so
    no sync is scheduled until the person grants it again, and nothing is deleted; granted
    again, the next run converges."""
    expected = _changes_on_both_sides(world)
    world.emulator.inject_fault(
        route=f"POST {EVENTS}", status=403, reason="insufficientPermissions"
    )
    _failed(world)
    connection = GoogleConnection.objects.get(user=world.user)
    assert connection.status == GoogleConnection.Status.SCOPE_MISSING
    assert world.user.pk not in syncable_user_ids()
    assert not Meeting.objects.filter(owner=world.user, deleted_at__isnull=False).exists()

    world.harness.connect(client)
    run_clean(world)
    _assert_whole(world, expected)


@pytest.mark.parametrize("injected", [True, False])
def test_a_412_on_a_patch_rereads_and_retries(world: SyncWorld, injected: bool) -> None:
    """(h) Google refuses our PATCH with 412 (the etag is stale, by an injected fault or by
    the person editing between our read and our write): the engine re-reads the event,
    merges, and patches again; both sides agree after the run."""
    expected = _changes_on_both_sides(world)
    crm_two = Meeting.objects.get(owner=world.user, subject="CRM two")
    crm_edit(crm_two, description="From the CRM")
    event_id = EventLink.objects.get(meeting=crm_two).event_id

    def person_edits() -> None:
        world.google.patch_event(world.primary, event_id, location="Room 9")

    if injected:
        world.emulator.inject_fault(route="PATCH */events/*", status=412, reason="conditionNotMet")
        acting: AbstractContextManager[None] = nullcontext()
    else:
        acting = google_acts_before(
            world, method="PATCH", path_contains=event_id, action=person_edits
        )
    with acting, google_requests(world) as requests:
        run_clean(world)
    assert 412 in [entry.status for entry in requests if entry.method == "PATCH"]

    run_clean(world)
    _assert_whole(world, expected)
    assert crm_by_subject(world)["CRM two"].description == "From the CRM"
    if not injected:
        assert crm_by_subject(world)["CRM two"].location == "Room 9"


def test_a_process_killed_between_a_google_write_and_the_commit_converges(
    world: SyncWorld,
) -> None:
    """(i) The worker dies right after Google created the event, before the link is saved
    (modelled by the link save raising SystemExit once): the run is not recorded as a
    success, and the next run pairs the event with its meeting: no second event."""
    expected = _changes_on_both_sides(world)
    real_save = DjangoLinks.save_link
    calls = {"n": 0}

    def dies_once(self: DjangoLinks, link: object, **known: object) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise SystemExit("killed")
        real_save(self, link, **known)  # type: ignore[arg-type]

    with mock.patch.object(DjangoLinks, "save_link", dies_once), pytest.raises(SystemExit):
        run_sync(world)
    assert SyncRun.objects.filter(owner=world.user).first().status != SyncRun.Status.SUCCEEDED

    run_clean(world)
    _assert_whole(world, expected)


def test_the_same_run_executed_twice_changes_nothing_the_second_time(world: SyncWorld) -> None:
    """(j) A redelivered task runs the same sync again: while the first holds the user's
    lock the second is turned away, and run again afterwards it makes no write."""
    expected = _changes_on_both_sides(world)
    token = lock_acquire(user_id=world.user.pk)
    assert token is not None
    try:
        assert sync_user_now(user_id=world.user.pk).busy
    finally:
        lock_release(user_id=world.user.pk, token=token)

    run_clean(world)
    with google_requests(world) as requests:
        again = run_clean(world)
    assert writes(requests) == []
    assert not any(again.counts.values())
    _assert_whole(world, expected)


def test_google_emptied_of_many_events_trips_the_breaker_and_deletes_nothing(
    world: SyncWorld,
) -> None:
    """(k) Every event the CRM knows disappears from Google at once (12 of 14 meetings):
    the mass-delete breaker stops the run, flags "needs attention" and deletes nothing;
    once the user confirms, the deletions are applied as restorable tombstones."""
    world.google.fill(world.primary, 10, prefix="Extra")
    run_clean(world)
    run_clean(world)
    for event in world.google.events(world.primary):
        if not event["summary"].startswith("CRM"):
            world.google.delete_event(world.primary, event["id"])

    outcome = run_sync(world)
    assert outcome.run is not None and outcome.run.status == SyncRun.Status.NEEDS_ATTENTION
    assert "would delete 12 of 14" in needs_attention(world)
    assert len(crm_meetings(world)) == 14

    confirmed = run_clean(world, allow_mass_delete=True)
    assert confirmed.counts["crm_deleted"] == 12
    assert sorted(m.subject for m in crm_meetings(world)) == ["CRM one", "CRM two"]
    assert len(crm_meetings(world, deleted=True)) == 12
    assert all(m.can_be_restored() for m in crm_meetings(world, deleted=True))


def test_a_few_deletions_in_google_pass_the_breaker_as_restorable_tombstones(
    world: SyncWorld,
) -> None:
    """(k) Both Google-made events deleted (under the breaker's floor): applied, as
    tombstones the user can restore."""
    for event in world.google.events(world.primary):
        if event["summary"].startswith("Google"):
            world.google.delete_event(world.primary, event["id"])
    run_clean(world)
    assert sorted(m.subject for m in crm_meetings(world)) == ["CRM one", "CRM two"]
    assert sorted(m.subject for m in crm_meetings(world, deleted=True)) == [
        "Google one",
        "Google two",
    ]
    assert all(m.can_be_restored() for m in crm_meetings(world, deleted=True))
    assert not needs_attention(world)


def test_a_malformed_json_answer_stops_the_run_and_loses_nothing(world: SyncWorld) -> None:
    """(l) Google answers 200 with JSON cut off mid-way: the run fails with a message,
    applies nothing from it, and the next run converges."""
    expected = _changes_on_both_sides(world)
    world.emulator.inject_fault(route=f"GET {EVENTS}", status=200, malformed=True)

    run = _failed(world)
    assert run.errors

    run_clean(world)
    _assert_whole(world, expected)


def test_an_event_without_a_start_is_reported_and_the_rest_syncs(world: SyncWorld) -> None:
    """(l) Google lists an event without a start: it is reported as a problem of that event
    (a warning of the run), its meeting is left as it was (not deleted), every other change
    syncs, and once the event is fixed it syncs too."""
    expected = _changes_on_both_sides(world)
    broken = next(e for e in world.google.events(world.primary) if e["summary"] == "Google one")
    calendar = world.emulator.state.calendars[world.primary]
    with world.emulator.state.lock:
        stored = calendar.events[broken["id"]]
        start = stored.resource.pop("start")
        stored.resource["summary"] = "Google one, broken"
        stored.seq = world.emulator.state.next_seq()

    outcome = run_sync(world)
    assert outcome.run is not None
    assert any("no start" in warning.text for warning in outcome.run.report.warnings)
    assert Meeting.objects.get(owner=world.user, subject="Google one").deleted_at is None
    assert crm_by_subject(world)["CRM three"]

    world.google.patch_event(world.primary, broken["id"], start=start, summary="Google one")
    run_clean(world)
    _assert_whole(world, expected)


@pytest.mark.parametrize(("status", "reason"), [(400, "invalid"), (403, "forbidden")])
def test_a_write_google_refuses_for_one_meeting_stops_that_meeting_only(
    world: SyncWorld, status: int, reason: str
) -> None:
    """One bad item never stops the others: a PATCH Google refuses for one event (400, or
    a 403 that is no rate limit, e.g. a property Google does not let us change) is
    recorded as that meeting's error; the other meeting's edit reaches Google in the same
    run. (It used to end the whole run, every time: BadRequest is no transient error.)"""
    first, second = sorted(crm_meetings(world), key=lambda meeting: meeting.pk)[:2]
    crm_edit(first, subject="Refused by Google")
    crm_edit(second, subject="Accepted by Google")
    event_id = EventLink.objects.get(owner=world.user, meeting=first).event_id
    world.emulator.inject_fault(
        route=f"PATCH */events/{event_id}", status=status, reason=reason, times=-1
    )

    outcome = run_sync(world)

    assert outcome.run is not None and outcome.run.status == SyncRun.Status.FAILED
    [problem] = outcome.run.report.errors
    assert (problem.meeting_id, problem.event_id, problem.rule) == (first.pk, event_id, "merged")
    error = problem.text
    assert error.startswith(
        "“Refused by Google”: Google refused the change, so it stays in the CRM only ("
    )
    assert f"HTTP {status}" in error
    assert error.endswith(f"[merged; meeting {first.pk}, event {event_id}]")
    assert outcome.retryable_error is None  # trying the same write again changes nothing
    google = google_by_subject(world)
    assert "Accepted by Google" in google and "Refused by Google" not in google
    assert "Refused by Google" in crm_by_subject(world)  # kept in the CRM
