"""The sync status says one thing at a time (issue 14, must have 5): a broken connection
shows no "next sync" and one place to act; a pending question is not "synced just now"; an
answered question is not asked again while the answer waits for its run."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tandem.accounts.models import GoogleConnection
from tandem.sync.engine import sync_user_now
from tandem.sync.models import UserSyncState
from tests.sync.sched_support import connect_user, google_api, google_event_create
from tests.sync.test_status import _trip_the_breaker

pytestmark = pytest.mark.django_db(transaction=True)

SERVICES = "/preferences/external-services/"


@pytest.fixture
def ann(google_in_process) -> User:  # type: ignore[no-untyped-def]
    return connect_user(google_in_process, username="ann")


def _page(user: User, url: str, client: Client | None = None) -> str:
    if client is None:
        client = Client()
        client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_lost_connection_says_so_once_with_one_place_to_act(ann, google_in_process):
    with google_api(google_in_process) as api:
        google_event_create(api, summary="From Google")
    sync_user_now(user_id=ann.pk)
    GoogleConnection.objects.filter(user=ann).update(status=GoogleConnection.Status.NEEDS_RECONNECT)
    UserSyncState.objects.filter(owner=ann).update(last_error="Google refused the token.")
    services = _page(ann, SERVICES)
    assert services.count("Nothing syncs until you reconnect") == 1
    assert "Next sync" not in services  # nothing is coming
    assert "Google refused the token." not in services  # said once, by the row
    assert "reconnect-banner" not in services  # the row's Reconnect is the place to act
    calendar = _page(ann, "/")
    assert "next around" not in calendar
    assert 'action="/sync/sync-now/"' not in calendar  # Sync now cannot work
    assert calendar.count("reconnect-banner") == 1  # the one message, with Reconnect


def test_a_pending_question_is_not_synced_just_now(ann, google_in_process):
    _trip_the_breaker(ann, google_in_process)
    calendar = _page(ann, "/")
    assert "waiting for your answer" in calendar
    assert "just now" not in calendar
    assert "next around" not in calendar
    assert "Keep my meetings" in calendar
    assert "Next sync" not in _page(ann, SERVICES)


def test_an_answered_question_is_not_asked_again_before_its_run(ann, google_in_process):
    """No worker here: the answer's run is queued, not run, as in the seconds before a
    worker takes it."""
    _trip_the_breaker(ann, google_in_process)
    client = Client()
    client.force_login(ann)
    response = client.post("/sync/attention/", {"answer": "keep", "next": "/"})
    assert response["Location"] == "/"
    assert UserSyncState.objects.get(owner=ann).needs_attention  # the run has not run yet
    for url in ("/", SERVICES):
        page = _page(ann, url, client)
        assert "Keep my meetings" not in page
        assert "Apply the deletions" not in page
    assert "applying your answer" in _page(ann, "/", client)
    assert "Your answer is being applied" in _page(ann, SERVICES, client)
    # The run comes, and the same thing happens again: a new question, asked again.
    rerun = sync_user_now(user_id=ann.pk)  # not the answer's run: it asks again
    assert rerun.run is not None
    assert "Keep my meetings" in _page(ann, "/", client)


def test_the_runs_table_speaks_no_developer_words(ann):
    sync_user_now(user_id=ann.pk)
    assert "Google requests" not in _page(ann, SERVICES)
