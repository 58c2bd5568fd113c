"""Google push notifications: watch channels, the webhook, renewal and stopping.

Real parts throughout: the database, the Celery task code, Django's views, and the Google
emulator as Google (in-process; its push deliveries go into the Django app through a WSGI
transport). The last test serves both on loopback sockets and lets the emulator notify the
live server, the way Google would.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from celery.signals import before_task_publish
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from config.celery import app as celery_app
from tandem.accounts.google_services import (
    SettingsChoice,
    calendars_refresh,
    connection_for,
    sync_settings_save,
)
from tandem.fakegoogle import CALENDAR_SCOPE, FakeGoogle
from tandem.meetings.models import Meeting
from tandem.sync.models import CalendarSyncState, StaleChannel, SyncRun, UserSyncState
from tandem.sync.push import (
    RENEW_WITHIN,
    channel_token_hash,
    push_channels_ensure,
    push_channels_renew,
    push_enabled,
)
from tandem.sync.tasks import sync_user
from tests.conftest import DEMO_GOOGLE_EMAIL, GoogleHarness

pytestmark = pytest.mark.django_db(transaction=True)

WEBHOOK = "/google/push/"
PUBLIC = "http://127.0.0.1:8000"
REVOKE = "/preferences/external-services/google/revoke/"


@dataclass
class World:
    user: User
    client: Client
    harness: GoogleHarness
    team_calendar: str

    @property
    def emulator(self) -> FakeGoogle:
        return self.harness.emulator

    def states(self) -> dict[str, CalendarSyncState]:
        return {s.calendar_id: s for s in CalendarSyncState.objects.filter(owner=self.user)}

    def live_channels(self) -> dict[str, str]:
        """Google's side: calendar id → channel id of every channel not stopped."""
        with self.emulator.state.lock:
            return {
                c.id: c.calendar_id for c in self.emulator.state.channels.values() if not c.stopped
            }

    def google_calls(self) -> list[str]:
        return [f"{e.method} {e.path}" for e in self.emulator.request_log]


@pytest.fixture
def published() -> Iterator[list[dict[str, Any]]]:
    """Every Celery task sent while the test runs (name and kwargs), read from Celery's own
    publish signal."""
    sent: list[dict[str, Any]] = []

    def record(sender: str, body: Any, **kwargs: Any) -> None:
        sent.append({"task": sender, "kwargs": body[1] if isinstance(body, tuple) else body})

    before_task_publish.connect(record, weak=False)
    yield sent
    before_task_publish.disconnect(record)


def _connect(harness: GoogleHarness, client: Client, username: str) -> tuple[User, str]:
    user = User.objects.create_user(username, password="pw")
    client.force_login(user)
    harness.connect(client)
    team = harness.emulator.create_calendar(email=DEMO_GOOGLE_EMAIL, summary="Team")["id"]
    connection = connection_for(user=user)
    calendars_refresh(connection=connection)
    sync_settings_save(
        connection=connection,
        choice=SettingsChoice(
            inbound_calendar_ids=[DEMO_GOOGLE_EMAIL, team],
            target_calendar_id=DEMO_GOOGLE_EMAIL,
            sync_private=False,
        ),
    )
    return user, team


def _run_sync(user: User, trigger: str = "schedule") -> dict[str, Any]:
    """The sync_user task's own code, run here (no worker needed for these tests)."""
    result: dict[str, Any] = sync_user.apply(kwargs={"user_id": user.pk, "trigger": trigger}).get()
    return result


@pytest.fixture
def world(google_in_process: GoogleHarness, client: Client, settings: Any) -> World:
    """Ann, connected, syncing her primary calendar and "Team" into the CRM, push on, after
    one successful run; Google's notifications are delivered into this Django app."""
    settings.PUBLIC_BASE_URL = PUBLIC
    google_in_process.emulator.push.client = httpx.Client(
        transport=httpx.WSGITransport(app=get_wsgi_application()), base_url=PUBLIC
    )
    user, team = _connect(google_in_process, client, "ann")
    summary = _run_sync(user)
    assert summary["status"] == "succeeded", summary
    google_in_process.emulator.flush_push()
    return World(user=user, client=client, harness=google_in_process, team_calendar=team)


def _token(world: World, state: CalendarSyncState) -> str:
    """The channel's token as Google holds it (and sends it back): the CRM keeps its hash."""
    return str(world.emulator.state.channels[state.channel_id].token)


def _notify(
    client: Client, *, channel_id: str | None, token: str | None, state: str = "exists"
) -> Any:
    headers = {"HTTP_X_GOOG_RESOURCE_STATE": state, "HTTP_X_GOOG_MESSAGE_NUMBER": "7"}
    if channel_id is not None:
        headers["HTTP_X_GOOG_CHANNEL_ID"] = channel_id
    if token is not None:
        headers["HTTP_X_GOOG_CHANNEL_TOKEN"] = token
    return client.post(WEBHOOK, data=b"ignored body", content_type="text/plain", **headers)


# -- when push is on ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "endpoints", "expected"),
    [
        ("https://crm.example.com", "google", True),
        ("https://crm.example.com/", "emulator", True),
        ("http://127.0.0.1:8000", "emulator", True),
        ("http://localhost:8000", "emulator", True),
        ("http://127.0.0.1:8000", "google", False),  # Google requires HTTPS
        ("http://crm.example.com", "emulator", False),  # plain HTTP only on loopback
        ("", "emulator", False),
        ("not a url", "google", False),
    ],
)
def test_push_is_on_only_where_google_can_reach_the_webhook(
    settings: Any, base: str, endpoints: str, expected: bool
) -> None:
    """Push needs an https:// public address, or a loopback one while talking to the
    emulator; anything else polls only."""
    settings.PUBLIC_BASE_URL = base
    settings.GOOGLE_ENDPOINTS = endpoints
    assert push_enabled() is expected


# -- opening channels --------------------------------------------------------------------------


def test_a_successful_run_opens_one_channel_per_inbound_calendar(world: World) -> None:
    """Each inbound calendar gets a channel at Google pointing at our webhook, with a random
    id and token stored in its sync state."""
    states = world.states()
    assert set(states) == {DEMO_GOOGLE_EMAIL, world.team_calendar}
    live = world.live_channels()
    assert sorted(live.values()) == sorted(states)
    tokens = set()
    for calendar_id, state in states.items():
        assert live[state.channel_id] == calendar_id
        channel = world.emulator.state.channels[state.channel_id]
        assert channel.address == f"{PUBLIC}{WEBHOOK}"
        # Only the token's hash is stored (issue 15, finding 9): Google holds the token.
        assert state.channel_token_hash == channel_token_hash(channel.token)
        assert len(channel.token) >= 40 and channel.token not in state.channel_token_hash
        assert channel.resource_id == state.channel_resource_id
        assert state.channel_expires_at is not None
        assert state.channel_expires_at > datetime.now(UTC) + timedelta(days=6)
        tokens.add(channel.token)
    assert len(tokens) == 2


def test_no_channel_token_is_in_a_dump_of_the_database(world: World) -> None:
    """A copy of the database (``dumpdata``, a backup) holds no token that would forge a
    notification: only hashes (issue 15, finding 9)."""
    out = io.StringIO()
    call_command("dumpdata", "sync", stdout=out)
    dump = out.getvalue()
    for state in world.states().values():
        token = _token(world, state)
        assert token not in dump
        answer = _notify(world.client, channel_id=state.channel_id, token=state.channel_token_hash)
        assert answer.status_code == 403


def test_a_run_with_every_channel_live_makes_no_extra_google_call(world: World) -> None:
    """Ensuring channels that are live costs nothing at Google."""
    before = len(world.google_calls())
    report = push_channels_ensure(user_id=world.user.pk)
    assert (report.opened, report.stopped, report.failed) == (0, 0, 0)
    assert len(world.google_calls()) == before


def test_a_run_with_every_channel_live_reads_nothing_more_about_channels(world: World) -> None:
    """The run's own read of its calendars shows every channel live, far from expiry and at
    today's address: the task asks the database nothing more about channels (an idle run's
    cost, docs/benchmarks.md, issue 11, sixth session)."""
    with CaptureQueriesContext(connection) as queries:
        assert _run_sync(world.user)["status"] == "succeeded"
    statements = [q["sql"] for q in queries.captured_queries]
    reads = [q for q in statements if q.startswith("SELECT") and "sync_calendarsyncstate" in q]
    assert len(reads) == 1  # the run's own
    assert not [q for q in statements if "sync_stalechannel" in q]


def test_a_run_renews_a_channel_close_to_its_expiry_and_keeps_the_other(world: World) -> None:
    old = world.states()
    soon = datetime.now(UTC) + RENEW_WITHIN - timedelta(hours=1)
    CalendarSyncState.objects.filter(pk=old[world.team_calendar].pk).update(channel_expires_at=soon)
    assert _run_sync(world.user)["status"] == "succeeded"
    new = world.states()
    assert new[DEMO_GOOGLE_EMAIL].channel_id == old[DEMO_GOOGLE_EMAIL].channel_id
    assert new[world.team_calendar].channel_id != old[world.team_calendar].channel_id
    assert world.live_channels()[new[world.team_calendar].channel_id] == world.team_calendar


def test_a_run_after_the_public_address_changed_replaces_the_channels(
    world: World, settings: Any
) -> None:
    old_ids = {s.channel_id for s in world.states().values()}
    settings.PUBLIC_BASE_URL = "http://localhost:9000"
    assert _run_sync(world.user)["status"] == "succeeded"
    live = world.live_channels()
    assert len(live) == 2 and not old_ids & set(live)


def test_without_a_public_address_no_channel_is_opened(
    google_in_process: GoogleHarness, client: Client, settings: Any
) -> None:
    """With push off the run still succeeds and only polling remains."""
    settings.PUBLIC_BASE_URL = ""
    user, _ = _connect(google_in_process, client, "ben")
    assert _run_sync(user)["status"] == "succeeded"
    assert not any(s.channel_id for s in CalendarSyncState.objects.filter(owner=user))
    assert not google_in_process.emulator.state.channels
    assert not any("watch" in e.path for e in google_in_process.emulator.request_log)


def test_turning_push_off_stops_the_channels(world: World, settings: Any) -> None:
    """When the public address goes away, the next run stops the channels it had opened."""
    settings.PUBLIC_BASE_URL = ""
    assert _run_sync(world.user)["status"] == "succeeded"
    assert world.live_channels() == {}
    assert not any(s.channel_id for s in world.states().values())


def test_a_new_public_address_replaces_the_channels(world: World, settings: Any) -> None:
    """Channels made for an old address (e.g. another port) are replaced by channels to the
    new one, and the old ones are stopped."""
    old_ids = {s.channel_id for s in world.states().values()}
    settings.PUBLIC_BASE_URL = "http://localhost:9000"
    report = push_channels_ensure(user_id=world.user.pk)
    assert (report.opened, report.failed) == (2, 0)
    live = world.live_channels()
    assert not old_ids & set(live)
    assert {world.emulator.state.channels[c].address for c in live} == {
        f"http://localhost:9000{WEBHOOK}"
    }


def test_google_refusing_a_watch_does_not_fail_the_sync(
    google_in_process: GoogleHarness, client: Client, settings: Any
) -> None:
    """Push is an optimisation: a failed events.watch leaves the run succeeded, and the next
    run opens the missing channel."""
    settings.PUBLIC_BASE_URL = PUBLIC
    google_in_process.emulator.push.client = httpx.Client(
        transport=httpx.WSGITransport(app=get_wsgi_application()), base_url=PUBLIC
    )
    user, _ = _connect(google_in_process, client, "cy")
    google_in_process.emulator.inject_fault(route="POST */events/watch", status=503, times=5)
    summary = _run_sync(user)
    assert summary["status"] == "succeeded"
    states = CalendarSyncState.objects.filter(owner=user)
    assert not any(s.channel_id for s in states)

    google_in_process.emulator.clear_faults()
    assert _run_sync(user)["status"] == "succeeded"
    assert all(s.channel_id for s in CalendarSyncState.objects.filter(owner=user))


# -- the webhook -------------------------------------------------------------------------------


def test_a_change_notification_queues_that_users_sync(
    world: World, published: list[dict[str, Any]]
) -> None:
    """ "exists" with the right channel and token queues one sync of the channel's owner."""
    state = world.states()[world.team_calendar]
    before = len(world.google_calls())
    answer = _notify(world.client, channel_id=state.channel_id, token=_token(world, state))
    assert answer.status_code == 200
    assert [p["task"] for p in published] == ["tandem.sync.tasks.sync_user"]
    assert published[0]["kwargs"] == {"user_id": world.user.pk, "trigger": "push"}
    assert UserSyncState.objects.get(owner=world.user).queued_for is not None
    assert len(world.google_calls()) == before  # the webhook itself never calls Google


def test_duplicate_notifications_queue_one_sync(
    world: World, published: list[dict[str, Any]]
) -> None:
    """Google may deliver a message twice, and a burst of edits sends many: while a sync is
    queued, further notifications are answered 200 and queue nothing more."""
    state = world.states()[DEMO_GOOGLE_EMAIL]
    for _ in range(3):
        answer = _notify(world.client, channel_id=state.channel_id, token=_token(world, state))
        assert answer.status_code == 200
    assert len(published) == 1


def test_the_sync_message_is_acknowledged_without_a_sync(
    world: World, published: list[dict[str, Any]]
) -> None:
    """The "sync" message only confirms a new channel: 200, nothing queued."""
    state = world.states()[DEMO_GOOGLE_EMAIL]
    answer = _notify(
        world.client, channel_id=state.channel_id, token=_token(world, state), state="sync"
    )
    assert answer.status_code == 200
    assert published == []


def test_an_unknown_resource_state_is_refused(
    world: World, published: list[dict[str, Any]]
) -> None:
    """A state Google does not send is a bad request and queues nothing."""
    state = world.states()[DEMO_GOOGLE_EMAIL]
    answer = _notify(
        world.client, channel_id=state.channel_id, token=_token(world, state), state="<b>x</b>"
    )
    assert answer.status_code == 400
    assert b"<b>" not in answer.content
    assert published == []


@pytest.mark.parametrize(
    ("case", "expected_status"),
    [
        ("wrong token", 403),
        ("token of another channel", 403),
        ("no token", 403),
        ("unknown channel", 404),
        ("no headers", 404),
        ("empty channel id", 404),
        ("overlong channel id", 404),
    ],
)
def test_a_forged_notification_causes_no_google_call_and_no_task(
    world: World, published: list[dict[str, Any]], case: str, expected_status: int
) -> None:
    """Only the stored channel id with its own token is accepted; anything else is refused
    before any work: zero calls to Google, nothing queued."""
    primary = world.states()[DEMO_GOOGLE_EMAIL]
    team = world.states()[world.team_calendar]
    headers: dict[str, str | None] = {
        "wrong token": {"channel_id": primary.channel_id, "token": _token(world, primary)[:-1]},
        "token of another channel": {
            "channel_id": primary.channel_id,
            "token": _token(world, team),
        },
        "no token": {"channel_id": primary.channel_id, "token": None},
        "unknown channel": {"channel_id": "tandem-forged", "token": _token(world, primary)},
        "no headers": {"channel_id": None, "token": None},
        "empty channel id": {"channel_id": "", "token": ""},
        "overlong channel id": {"channel_id": "x" * 5000, "token": _token(world, primary)},
    }[case]
    before = len(world.google_calls())
    answer = _notify(world.client, **headers)  # type: ignore[arg-type]
    assert answer.status_code == expected_status
    assert published == []
    assert UserSyncState.objects.get(owner=world.user).queued_for is None
    assert len(world.google_calls()) == before


def test_the_webhook_answers_only_post(world: World, published: list[dict[str, Any]]) -> None:
    """GET (a browser, a scanner) is 405 even with valid headers, and queues nothing."""
    state = world.states()[DEMO_GOOGLE_EMAIL]
    before = len(world.google_calls())
    answer = world.client.get(
        WEBHOOK,
        HTTP_X_GOOG_CHANNEL_ID=state.channel_id,
        HTTP_X_GOOG_CHANNEL_TOKEN=_token(world, state),
        HTTP_X_GOOG_RESOURCE_STATE="exists",
    )
    assert answer.status_code == 405
    assert published == []
    assert len(world.google_calls()) == before


def test_the_webhook_needs_no_csrf_token(world: World, published: list[dict[str, Any]]) -> None:
    """Google cannot send a CSRF token: the channel token is the proof, so a client that
    enforces CSRF checks still gets through."""
    state = world.states()[DEMO_GOOGLE_EMAIL]
    strict = Client(enforce_csrf_checks=True)
    answer = _notify(strict, channel_id=state.channel_id, token=_token(world, state))
    assert answer.status_code == 200
    assert len(published) == 1


def test_a_notification_from_google_reaches_the_webhook(
    world: World, published: list[dict[str, Any]]
) -> None:
    """An edit in Google makes the emulator notify our webhook, which queues Ann's sync."""
    with _google_api(world.harness) as api:
        created = api.post(
            f"calendars/{world.team_calendar}/events",
            json={
                "summary": "Standup",
                "start": {"dateTime": "2030-01-07T09:00:00Z"},
                "end": {"dateTime": "2030-01-07T09:15:00Z"},
            },
        )
        assert created.status_code == 200, created.text
    assert world.emulator.flush_push()
    team_channel = world.states()[world.team_calendar].channel_id
    deliveries = [d for d in world.emulator.push_log if d.channel_id == team_channel]
    assert deliveries[-1].state == "exists" and deliveries[-1].status == 200
    assert [(p["task"], p["kwargs"]["trigger"]) for p in published] == [
        ("tandem.sync.tasks.sync_user", "push")
    ]


# -- renewal and stopping ---------------------------------------------------------------------


def test_renewal_opens_the_new_channel_before_stopping_the_old(world: World) -> None:
    """A channel expiring within a day is replaced: the new one is opened first (they
    overlap, so no change is missed), then the old one is stopped at Google."""
    old = world.states()
    expiry = min(s.channel_expires_at for s in old.values() if s.channel_expires_at)
    log_start = len(world.google_calls())

    report = push_channels_renew(now=expiry - RENEW_WITHIN + timedelta(minutes=1))

    assert (report.opened, report.failed) == (2, 0)
    new = world.states()
    live = world.live_channels()
    for calendar_id, state in new.items():
        assert state.channel_id != old[calendar_id].channel_id
        assert state.channel_token_hash != old[calendar_id].channel_token_hash
        assert live[state.channel_id] == calendar_id
        assert old[calendar_id].channel_id not in live
    calls = [c for c in world.google_calls()[log_start:]]
    watches = [i for i, c in enumerate(calls) if c.endswith("/events/watch")]
    stops = [i for i, c in enumerate(calls) if c.endswith("/channels/stop")]
    assert len(watches) == 2 and len(stops) == 2
    assert watches[0] < stops[0] and watches[1] < stops[1]


def test_renewal_leaves_channels_that_are_far_from_expiry(world: World) -> None:
    """The hourly task calls Google only for channels about to expire."""
    before = len(world.google_calls())
    report = push_channels_renew()
    assert (report.opened, report.stopped, report.failed) == (0, 0, 0)
    assert len(world.google_calls()) == before


def test_an_old_channel_still_works_until_it_is_replaced(
    world: World, published: list[dict[str, Any]]
) -> None:
    """After renewal the old channel's id is refused, the new one accepted."""
    old = world.states()[DEMO_GOOGLE_EMAIL]
    old_token = _token(world, old)
    push_channels_renew(now=datetime.now(UTC) + timedelta(days=7))
    new = world.states()[DEMO_GOOGLE_EMAIL]
    stale = _notify(world.client, channel_id=old.channel_id, token=old_token)
    assert stale.status_code == 404
    fresh = _notify(world.client, channel_id=new.channel_id, token=_token(world, new))
    assert fresh.status_code == 200
    assert len(published) == 1


def test_revoke_stops_the_channels_before_the_token_is_revoked(world: World) -> None:
    """Revoke Token stops every channel at Google while the token still works, then revokes;
    the stored channel ids and tokens are gone."""
    log_start = len(world.google_calls())
    answer = world.client.post(REVOKE)
    assert answer.status_code == 302
    assert world.live_channels() == {}
    calls = world.google_calls()[log_start:]
    stops = [i for i, c in enumerate(calls) if c.endswith("/channels/stop")]
    revokes = [i for i, c in enumerate(calls) if c.endswith("/revoke")]
    assert len(stops) == 2 and revokes, calls
    assert max(stops) < min(revokes)
    assert not any(s.channel_id or s.channel_token_hash for s in world.states().values())


def test_unpicking_a_calendar_stops_its_channel(world: World) -> None:
    """Saving settings without "Team" stops Team's channel at once; the primary keeps its."""
    states = world.states()
    sync_settings_save(
        connection=connection_for(user=world.user),
        choice=SettingsChoice(
            inbound_calendar_ids=[DEMO_GOOGLE_EMAIL],
            target_calendar_id=DEMO_GOOGLE_EMAIL,
            sync_private=False,
        ),
    )
    live = world.live_channels()
    assert states[world.team_calendar].channel_id not in live
    assert live.get(states[DEMO_GOOGLE_EMAIL].channel_id) == DEMO_GOOGLE_EMAIL
    assert world.states()[world.team_calendar].channel_id == ""
    # The run after the change opens nothing new for Team and keeps the primary's channel.
    assert _run_sync(world.user)["status"] == "succeeded"
    assert list(world.live_channels().values()) == [DEMO_GOOGLE_EMAIL]


# -- end to end on loopback -------------------------------------------------------------------


def _google_api(harness: GoogleHarness) -> httpx.Client:
    """Acting as Dana in Google, with her own token."""
    token = harness.emulator.mint_access_token(email=DEMO_GOOGLE_EMAIL, scopes=[CALENDAR_SCOPE])
    kwargs: dict[str, Any] = {"headers": {"Authorization": f"Bearer {token}"}, "timeout": 10}
    if harness.base_url.startswith("http://fakegoogle"):
        kwargs["transport"] = harness.emulator.transport()
    return httpx.Client(base_url=f"{harness.base_url}/calendar/v3/", **kwargs)


@pytest.fixture
def eager_sync(settings: Any) -> Iterator[None]:
    """Sync tasks run at once in the thread that queues them (a real worker is tested in
    tests/sync/test_worker.py), with no debounce delay."""
    settings.SYNC_DEBOUNCE_SECONDS = 0
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = previous


def test_an_edit_in_google_reaches_the_crm_without_waiting_for_the_poll(
    google_live: GoogleHarness, live_server: Any, client: Client, settings: Any, eager_sync: None
) -> None:
    """The person renames an event in Google; Google notifies the live server's webhook,
    which syncs Ann at once: the CRM shows the new subject within seconds, by a run
    triggered by push (no scheduled run happens in this test)."""
    settings.PUBLIC_BASE_URL = live_server.url
    with _google_api(google_live) as api:
        created = api.post(
            f"calendars/{DEMO_GOOGLE_EMAIL}/events",
            json={
                "summary": "Quarterly review",
                "start": {"dateTime": "2030-03-04T10:00:00Z"},
                "end": {"dateTime": "2030-03-04T11:00:00Z"},
            },
        ).json()
    # Saving the settings syncs at once (eager) and opens the channels.
    user, _ = _connect(google_live, client, "ann")
    assert Meeting.objects.filter(owner=user, subject="Quarterly review").exists()
    assert all(s.channel_id for s in CalendarSyncState.objects.filter(owner=user))

    with _google_api(google_live) as api:
        patched = api.patch(
            f"calendars/{DEMO_GOOGLE_EMAIL}/events/{created['id']}",
            json={"summary": "Quarterly review (moved)"},
        )
        assert patched.status_code == 200, patched.text

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if Meeting.objects.filter(owner=user, subject="Quarterly review (moved)").exists():
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"the edit did not arrive; deliveries: {google_live.emulator.push_log}")
    triggers = list(SyncRun.objects.filter(owner=user).values_list("trigger", flat=True))
    assert "push" in triggers
    assert "schedule" not in triggers


# -- channels Google did not confirm stopping -------------------------------------------------


def _unpick_team(world: World) -> None:
    sync_settings_save(
        connection=connection_for(user=world.user),
        choice=SettingsChoice(
            inbound_calendar_ids=[DEMO_GOOGLE_EMAIL],
            target_calendar_id=DEMO_GOOGLE_EMAIL,
            sync_private=False,
        ),
    )


def test_a_channel_google_failed_to_stop_is_stopped_by_the_hourly_renewal(world: World) -> None:
    """channels.stop answered 503: the channel is remembered, and the next renewal stops it
    (until then Google still notifies us, and the webhook refuses its unknown id)."""
    team = world.states()[world.team_calendar]
    world.emulator.inject_fault(route="POST */channels/stop", status=503, times=10)
    _unpick_team(world)
    assert world.live_channels().get(team.channel_id) == world.team_calendar
    (stale,) = StaleChannel.objects.all()
    assert (stale.owner_id, stale.channel_id) == (world.user.pk, team.channel_id)
    assert push_channels_renew().failed == 1, "still failing: kept for the next hour"
    assert StaleChannel.objects.count() == 1

    world.emulator.clear_faults()
    report = push_channels_renew()

    assert (report.stopped, report.failed) == (1, 0)
    assert team.channel_id not in world.live_channels()
    assert not StaleChannel.objects.exists()
    calls = len(world.google_calls())
    assert push_channels_renew().stopped == 0 and len(world.google_calls()) == calls


def test_a_stale_channel_past_its_expiry_is_forgotten_without_a_google_call(
    world: World,
) -> None:
    team = world.states()[world.team_calendar]
    world.emulator.inject_fault(route="POST */channels/stop", status=503, times=10)
    _unpick_team(world)
    world.emulator.clear_faults()
    assert StaleChannel.objects.count() == 1

    push_channels_renew(now=team.channel_expires_at + timedelta(minutes=1))

    assert not StaleChannel.objects.exists()
    # Not stopped by us (Google drops it at its expiry): no channels.stop was spent on it.
    assert team.channel_id in world.live_channels()
