"""Operators' admin views of Google connections, sync state, runs and conflicts."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tandem.accounts.models import GoogleConnection
from tandem.sync.core.run_report import RunProblem
from tandem.sync.engine import sync_user_now
from tandem.sync.models import SyncRun, UserSyncState
from tests.sync.sched_support import connect_user, google_api, google_event_create

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def operator() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("op", "op@example.com", "pw"))
    return client


@pytest.fixture
def ann(google_in_process) -> User:  # type: ignore[no-untyped-def]
    user = connect_user(google_in_process, username="ann")
    with google_api(google_in_process) as api:
        google_event_create(api, summary="From Google")
    sync_user_now(user_id=user.pk)
    return user


@pytest.mark.parametrize(
    "path",
    [
        "/admin/accounts/googleconnection/",
        "/admin/sync/usersyncstate/",
        "/admin/sync/syncrun/",
        "/admin/sync/syncconflict/",
    ],
)
def test_operators_see_connections_states_runs_and_conflicts(operator, ann, path):
    response = operator.get(path)
    assert response.status_code == 200
    if "syncconflict" not in path:
        assert "ann" in response.content.decode()


def test_a_run_page_shows_what_it_did(operator, ann):
    run = SyncRun.objects.get(owner=ann)
    page = operator.get(f"/admin/sync/syncrun/{run.pk}/change/").content.decode()
    assert "crm_created" in page and "succeeded" in page.lower()


def test_a_run_page_words_its_problems_as_the_status_page_does(operator, ann):
    """Errors and warnings are typed (RunProblem): the admin shows their line, escaped,
    not the stored JSON."""
    run = SyncRun.objects.get(owner=ann)
    hostile = RunProblem("refused", subject="“<b>x</b>”", meeting_id=4, event_id="e9")
    SyncRun.objects.filter(pk=run.pk).update(
        errors=[hostile.as_json()], warnings=["an old run's plain string"]
    )
    page = operator.get(f"/admin/sync/syncrun/{run.pk}/change/").content.decode()
    assert "“&lt;b&gt;x&lt;/b&gt;”: refused [meeting 4, event e9]" in page
    assert "an old run&#x27;s plain string" in page
    assert '"meeting_id"' not in page and "<b>x</b>" not in page


def test_the_connection_page_never_shows_a_token(operator, ann, google_in_process):
    connection = GoogleConnection.objects.get(user=ann)
    pages = [
        operator.get("/admin/accounts/googleconnection/").content.decode(),
        operator.get(f"/admin/accounts/googleconnection/{connection.pk}/change/").content.decode(),
    ]
    secrets = [connection.access_token_encrypted, connection.refresh_token_encrypted]
    secrets += list(google_in_process.tokens_issued())
    for page in pages:
        assert "dana@example.com" in page
        assert not [secret for secret in secrets if secret and secret in page]
        assert "token_encrypted" not in page


def test_the_lock_token_is_not_shown(operator, ann):
    state = UserSyncState.objects.get(owner=ann)
    UserSyncState.objects.filter(pk=state.pk).update(lock_token="lock-secret-123")
    page = operator.get(f"/admin/sync/usersyncstate/{state.pk}/change/").content.decode()
    assert "lock-secret-123" not in page


def test_operators_cannot_edit_or_delete_sync_records(operator, ann):
    run = SyncRun.objects.get(owner=ann)
    assert operator.post(f"/admin/sync/syncrun/{run.pk}/delete/", {"post": "yes"}).status_code in (
        302,
        403,
    )
    assert SyncRun.objects.filter(pk=run.pk).exists()
    assert operator.get("/admin/sync/syncrun/add/").status_code == 403


def test_sync_now_action_queues_a_sync(operator, ann):
    UserSyncState.objects.filter(owner=ann).update(queued_for=None)
    state = UserSyncState.objects.get(owner=ann)
    response = operator.post(
        "/admin/sync/usersyncstate/",
        {"action": "queue_sync", "_selected_action": [state.pk]},
        follow=True,
    )
    assert "Queued a sync for 1 user(s)" in response.content.decode()
    assert UserSyncState.objects.get(owner=ann).queued_for is not None


def test_non_staff_users_are_kept_out(ann):
    client = Client()
    client.force_login(ann)
    response = client.get("/admin/sync/syncrun/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
