"""Sync status where users see it (External services, the calendar page), its actions (Sync
now, the answers when a sync needs attention) and `tandem status` for operators."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tandem.cli import main as tandem_main
from tandem.meetings.models import Meeting
from tandem.sync.engine import sync_user_now
from tandem.sync.models import CalendarSyncState, SyncRun, UserSyncState
from tests.sync.sched_support import (
    connect_user,
    google_api,
    google_event_create,
    google_summaries,
    syncable_rows,
)

pytestmark = pytest.mark.django_db(transaction=True)

SERVICES = "/preferences/external-services/"


@pytest.fixture
def ann(google_in_process) -> User:  # type: ignore[no-untyped-def]
    return connect_user(google_in_process, username="ann")


def _signed_in(user: User, **kwargs: object) -> Client:
    client = Client(**kwargs)  # type: ignore[arg-type]
    client.force_login(user)
    return client


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_external_services_shows_last_and_next_sync_and_what_runs_did(ann, google_in_process):
    with google_api(google_in_process) as api:
        google_event_create(api, summary="From Google")
    assert sync_user_now(user_id=ann.pk).run.status == "succeeded"  # type: ignore[union-attr]
    page = _page(_signed_in(ann), SERVICES)
    assert "Last successful sync: <time" in page
    assert "Next sync: around" in page
    assert "Recent runs" in page
    assert '<span class="change-count">1 new</span>' in page  # the event came into the CRM
    # On a phone the run's cells stack: each is labelled, as the header was (tandem.css).
    for label in ("Started", "Result", "Into the CRM", "Into Google", "Conflicts"):
        assert f'<td data-label="{label}"' in page or f'data-label="{label}">' in page


def test_errors_are_shown_in_plain_words(ann, google_in_process):
    google_in_process.emulator.inject_fault(route="GET */events", status=503, times=1)
    sync_user_now(user_id=ann.pk)
    page = _page(_signed_in(ann), SERVICES)
    assert "Google was busy or unreachable; Tandem retries automatically." in page
    assert "Traceback" not in page and "BackendError" not in page


def test_the_calendar_page_shows_the_users_own_sync_status_with_sync_now(ann):
    sync_user_now(user_id=ann.pk)
    client = _signed_in(ann)
    page = _page(client, "/")
    assert 'class="sync-status-line"' in page
    assert "Google sync: synced <time" in page  # it ran a moment ago
    assert 'action="/sync/sync-now/"' in page
    assert "csrfmiddlewaretoken" in page
    User.objects.create_user("bob")
    colleague = _page(client, "/?user=bob")
    assert "sync-status-line" not in colleague  # never someone else's sync


def test_no_status_line_before_sync_is_set_up():
    bob = User.objects.create_user("bob")
    assert "sync-status-line" not in _page(_signed_in(bob), "/")


def test_sync_now_queues_a_sync_and_returns_to_the_page(ann):
    UserSyncState.objects.filter(owner=ann).update(queued_for=None)
    client = _signed_in(ann)
    response = client.post("/sync/sync-now/", {"next": "/?view=week"})
    assert response.status_code == 302 and response["Location"] == "/?view=week"
    assert UserSyncState.objects.get(owner=ann).queued_for is not None
    follow = client.post("/sync/sync-now/", {"next": "/"}, follow=True)
    assert "already queued" in follow.content.decode()


def test_sync_now_refuses_get_foreign_redirects_and_missing_csrf(ann):
    client = _signed_in(ann)
    assert client.get("/sync/sync-now/").status_code == 405
    away = client.post("/sync/sync-now/", {"next": "https://evil.example/"})
    assert away["Location"] == SERVICES
    strict = _signed_in(ann, enforce_csrf_checks=True)
    assert strict.post("/sync/sync-now/").status_code == 403
    assert Client().post("/sync/sync-now/")["Location"].startswith("/login")


def _trip_the_breaker(user: User, harness) -> None:  # type: ignore[no-untyped-def]
    """Twelve events synced, then all deleted in Google: the next run holds them back."""
    with google_api(harness) as api:
        ids = [google_event_create(api, summary=f"E{n}", days=n + 1)["id"] for n in range(12)]
        assert sync_user_now(user_id=user.pk).run.status == "succeeded"  # type: ignore[union-attr]
        for event_id in ids:
            assert api.delete(f"calendars/dana@example.com/events/{event_id}").status_code == 204
    outcome = sync_user_now(user_id=user.pk)
    assert outcome.run is not None and outcome.run.status == SyncRun.Status.NEEDS_ATTENTION
    assert Meeting.objects.alive().filter(owner=user, subject__startswith="E").count() == 12


def test_a_tripped_breaker_asks_the_user_and_keep_my_meetings_keeps_them(
    ann, google_in_process, eager_tasks
):
    """ "Keep my meetings": every meeting stays, the sync resumes without asking again, and
    the events come back in Google (an edit beats a deletion; nothing is lost)."""
    _trip_the_breaker(ann, google_in_process)
    client = _signed_in(ann)
    for url in (SERVICES, "/"):
        page = _page(client, url)
        assert "Needs attention:" in page
        assert 'value="apply"' in page and "Apply the deletions" in page
        assert 'value="keep"' in page and "Keep my meetings" in page

    response = client.post("/sync/attention/", {"answer": "keep", "next": "/"})
    assert response["Location"] == "/"
    assert UserSyncState.objects.get(owner=ann).needs_attention == ""
    run = SyncRun.objects.filter(owner=ann).first()
    assert run is not None and run.trigger == "keep_meetings"
    assert run.status == SyncRun.Status.SUCCEEDED, run.errors
    assert Meeting.objects.alive().filter(owner=ann, subject__startswith="E").count() == 12
    with google_api(google_in_process) as api:
        assert google_summaries(api) == sorted(f"E{n}" for n in range(12))
    again = sync_user_now(user_id=ann.pk)  # and the schedule goes on quietly
    assert again.run is not None and again.run.status == SyncRun.Status.SUCCEEDED
    assert not again.counts.get("crm_deleted")


def test_apply_the_deletions_deletes_and_clears_the_flag(ann, google_in_process, eager_tasks):
    _trip_the_breaker(ann, google_in_process)
    client = _signed_in(ann)
    client.post("/sync/attention/", {"answer": "apply"})
    assert Meeting.objects.alive().filter(owner=ann, subject__startswith="E").count() == 0
    assert UserSyncState.objects.get(owner=ann).needs_attention == ""
    assert SyncRun.objects.filter(owner=ann, trigger="apply_deletions").get().status == (
        "succeeded"
    )


def test_an_answer_only_ever_acts_on_the_users_own_sync(ann, google_in_process):
    _trip_the_breaker(ann, google_in_process)
    bob = connect_user(google_in_process, username="bob", email="bob@example.com")
    follow = _signed_in(bob).post("/sync/attention/", {"answer": "keep"}, follow=True)
    assert "Nothing waits for your answer." in follow.content.decode()
    assert UserSyncState.objects.get(owner=ann).needs_attention != ""
    assert CalendarSyncState.objects.filter(owner=ann).exclude(sync_token="").exists()


def test_an_answer_that_does_not_fit_is_refused(ann, google_in_process):
    _trip_the_breaker(ann, google_in_process)
    follow = _signed_in(ann).post("/sync/attention/", {"answer": "resume"}, follow=True)
    assert "does not fit" in follow.content.decode()
    assert UserSyncState.objects.get(owner=ann).needs_attention != ""


def test_a_stopped_sync_offers_resume(ann):
    UserSyncState.objects.filter(owner=ann).update(
        needs_attention="Sync stopped: it failed to finish several times in a row.",
        unfinished_starts=3,
        queued_for=None,
    )
    client = _signed_in(ann)
    page = _page(client, SERVICES)
    assert 'value="resume"' in page and "Apply the deletions" not in page
    client.post("/sync/attention/", {"answer": "resume"})
    state = UserSyncState.objects.get(owner=ann)
    assert state.needs_attention == "" and state.unfinished_starts == 0
    assert state.queued_for is not None


def test_hostile_text_in_the_status_is_escaped(ann):
    UserSyncState.objects.filter(owner=ann).update(
        last_error="<script>alert('x')</script>", needs_attention="<img src=x onerror=alert(1)>"
    )
    page = _page(_signed_in(ann), SERVICES)
    assert "<img src=x" not in page and "&lt;img src=x" in page
    # The question is the one message while it waits; the error shows once it is answered.
    UserSyncState.objects.filter(owner=ann).update(needs_attention="")
    page = _page(_signed_in(ann), SERVICES)
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_tandem_status_prints_connected_due_and_failing_users(ann, capsys):
    syncable_rows(username="carol")
    stuck = syncable_rows(
        username="dave",
        needs_attention="This sync would delete 40 of 50 synced meetings.",
        next_due_at=datetime.now(UTC) - timedelta(minutes=1),
    )
    later = syncable_rows(
        username="erin",
        next_due_at=datetime.now(UTC) + timedelta(minutes=3),
        last_error="Google was busy or unreachable; Tandem retries automatically.",
    )
    assert tandem_main(["status"]) == 0
    out = capsys.readouterr().out
    sections = dict(
        (block.split(":", 1)[0], block)
        for block in out.replace("\nDue now", "\n\nDue now")
        .replace("\nFailing", "\n\nFailing")
        .split("\n\n")
    )
    assert sections["Connected"].startswith("Connected: 4")
    assert sections["Due now"].startswith("Due now: 2")  # ann (never ran) and carol
    assert "ann" in sections["Due now"] and "carol" in sections["Due now"]
    assert stuck.username not in sections["Due now"] and later.username not in sections["Due now"]
    assert sections["Failing"].startswith("Failing: 2")
    assert "dave" in sections["Failing"] and "would delete 40 of 50" in sections["Failing"]
    assert "erin" in sections["Failing"] and "retries automatically" in sections["Failing"]
