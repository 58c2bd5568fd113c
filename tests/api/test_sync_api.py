"""The sync through the JSON API: status, Sync now, runs, conflicts, and the mass-delete
question with its two answers, each the signed-in user's own (issue 16)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from tandem.meetings.models import Meeting
from tandem.sync import user_actions
from tandem.sync.engine import sync_user_now
from tandem.sync.models import EventLink, SyncRun, UserSyncState
from tests.conftest import DEMO_GOOGLE_EMAIL, GoogleHarness
from tests.sync.harness import GooglePerson, soon

from .helpers import token_client
from .sync_support import (
    ATTENTION,
    CONFLICTS,
    RUNS,
    SYNC,
    SYNC_ENDPOINTS,
    SYNC_NOW,
    connected_api,
    settings_saved,
    trip_the_breaker,
    unauthenticated_status,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ann(google_in_process: GoogleHarness) -> tuple[User, APIClient]:
    """Ann, connected through Google's consent, her primary calendar chosen both ways."""
    user, api = connected_api(google_in_process, "ann")
    settings_saved(api)
    return user, api


@pytest.fixture
def bob_api() -> APIClient:
    return token_client(User.objects.create_user("bob", password="bob-secret-pw"))


def test_the_status_before_the_first_run(ann: tuple[User, APIClient]) -> None:
    _, api = ann
    body = api.get(SYNC).json()
    assert body["set_up"] is True and body["running"] is False
    assert body["last_success_at"] is None and body["attention"] is None
    assert body["recent_runs"] == [] and body["recent_conflicts"] == []


def test_sync_now_queues_once_then_says_it_is_queued(ann: tuple[User, APIClient]) -> None:
    """The first POST queues a sync (202); a second while it waits queues nothing more."""
    user, api = ann
    # The first sync, queued when the settings were saved, has run.
    UserSyncState.objects.filter(owner=user).update(queued_for=None)
    first = api.post(SYNC_NOW)
    assert first.status_code == 202
    assert first.json() == {"accepted": True, "message": user_actions.SYNC_STARTS}
    assert UserSyncState.objects.get(owner=user).queued_for is not None
    again = api.post(SYNC_NOW)
    assert again.status_code == 202 and again.json()["message"] == user_actions.ALREADY_QUEUED


def test_sync_now_names_the_missing_step(
    google_in_process: GoogleHarness, bob_api: APIClient
) -> None:
    """Not connected: 409 "connect"; connected without saved settings: 409 "settings"."""
    response = bob_api.post(SYNC_NOW)
    assert response.status_code == 409
    assert response.json() == {"detail": user_actions.CONNECT_FIRST, "missing": "connect"}
    _, carl = connected_api(google_in_process, "carl")
    response = carl.post(SYNC_NOW)
    assert response.status_code == 409
    assert response.json() == {"detail": user_actions.SETTINGS_FIRST, "missing": "settings"}


def test_runs_are_listed_with_counts_requests_and_errors(
    ann: tuple[User, APIClient], google_in_process: GoogleHarness
) -> None:
    user, api = ann
    GooglePerson(google_in_process).create_event(DEMO_GOOGLE_EMAIL, "From Google", soon(2))
    ok = sync_user_now(user_id=user.pk).run
    google_in_process.emulator.inject_fault(
        route="GET */events", status=503, reason="backendError", times=-1
    )
    failed = sync_user_now(user_id=user.pk).run
    assert ok is not None and failed is not None

    page = api.get(RUNS).json()
    assert page["count"] == 2
    newest, oldest = page["results"]
    assert (newest["id"], newest["status"]) == (failed.pk, "failed")
    [error] = newest["errors"]  # the whole run stopped on Google's 503: no item named
    assert error["message"] and error["text"] == error["message"] == failed.report.first_error
    assert (error["subject"], error["meeting_id"], error["event_id"]) == ("", None, "")
    assert (oldest["id"], oldest["status"]) == (ok.pk, "succeeded")
    assert oldest["counts"]["crm_created"] == 1 and oldest["requests"] == ok.requests
    assert oldest["errors"] == [] and oldest["finished_at"]
    assert api.get(f"{RUNS}{ok.pk}/").json() == oldest
    status = api.get(SYNC).json()
    assert [run["id"] for run in status["recent_runs"]] == [failed.pk, ok.pk]
    assert status["last_success_at"] and status["last_error"]


def test_conflicts_say_what_was_kept_and_why(
    ann: tuple[User, APIClient], google_in_process: GoogleHarness
) -> None:
    """The same meeting's subject changed in the CRM (through the API) and in Google: the
    conflict lists both values, the winner and the rule."""
    user, api = ann
    event = GooglePerson(google_in_process).create_event(DEMO_GOOGLE_EMAIL, "Budget", soon(3))
    sync_user_now(user_id=user.pk)
    meeting = Meeting.objects.get(owner=user, subject="Budget")
    assert (
        api.patch(f"/api/v1/meetings/{meeting.pk}/", {"subject": "Budget (CRM)"}).status_code == 200
    )
    GooglePerson(google_in_process).patch_event(
        DEMO_GOOGLE_EMAIL, event["id"], summary="Budget (Google)"
    )
    run = sync_user_now(user_id=user.pk).run
    assert run is not None and run.counts.get("conflicts") == 1, run.counts

    conflicts = api.get(CONFLICTS).json()["results"]
    assert len(conflicts) == 1
    conflict = conflicts[0]
    assert conflict["field"] == "subject"
    assert conflict["meeting"]["id"] == meeting.pk
    assert (conflict["base_value"], conflict["crm_value"], conflict["google_value"]) == (
        "Budget",
        "Budget (CRM)",
        "Budget (Google)",
    )
    assert conflict["winner"] in {"crm", "google"} and conflict["rule"]
    kept = conflict["crm_value"] if conflict["winner"] == "crm" else conflict["google_value"]
    assert conflict["meeting"]["subject"] == kept
    assert api.get(SYNC).json()["recent_conflicts"] == conflicts


def test_the_mass_delete_question_lists_its_meetings_and_keep_keeps_them(
    ann: tuple[User, APIClient], google_in_process: GoogleHarness, eager_tasks: None
) -> None:
    user, api = ann
    trip_the_breaker(user, google_in_process)
    question = api.get(ATTENTION).json()
    assert question["kind"] == "mass_delete" and question["answers"] == ["apply", "keep"]
    assert question["question"] == UserSyncState.objects.get(owner=user).needs_attention
    assert sorted(m["subject"] for m in question["meetings"]) == sorted(f"E{n}" for n in range(12))
    assert {m["deleted_in"] for m in question["meetings"]} == {"google"}
    assert all(m["meeting_id"] and m["start"] for m in question["meetings"])
    assert question["meetings_cut"] is False
    assert api.get(SYNC).json()["attention"] == question

    answer = api.post(ATTENTION, {"answer": "keep"}, format="json")
    assert answer.status_code == 202
    assert answer.json()["message"] == user_actions.ANSWERED["keep"]
    assert Meeting.objects.alive().filter(owner=user, subject__startswith="E").count() == 12
    assert api.get(ATTENTION).status_code == 404
    assert api.get(SYNC).json()["attention"] is None
    assert SyncRun.objects.filter(owner=user).first().trigger == "keep_meetings"  # type: ignore[union-attr]


def test_apply_the_deletions_deletes_them(
    ann: tuple[User, APIClient], google_in_process: GoogleHarness, eager_tasks: None
) -> None:
    user, api = ann
    trip_the_breaker(user, google_in_process)
    answer = api.post(ATTENTION, {"answer": "apply"}, format="json")
    assert answer.status_code == 202
    assert Meeting.objects.alive().filter(owner=user, subject__startswith="E").count() == 0
    assert UserSyncState.objects.get(owner=user).needs_attention == ""


def test_answers_that_do_not_fit_are_refused(
    ann: tuple[User, APIClient], google_in_process: GoogleHarness
) -> None:
    """Nothing waiting: 409; "resume" to a mass-delete question: 409; an unknown answer:
    400 naming the field; in each case nothing changes."""
    user, api = ann
    nothing = api.post(ATTENTION, {"answer": "keep"}, format="json")
    assert nothing.status_code == 409
    assert nothing.json() == {"detail": user_actions.NOTHING_WAITS}
    trip_the_breaker(user, google_in_process)
    wrong = api.post(ATTENTION, {"answer": "resume"}, format="json")
    assert wrong.status_code == 409
    assert wrong.json() == {"detail": user_actions.ANSWER_DOES_NOT_FIT}
    unknown = api.post(ATTENTION, {"answer": "maybe"}, format="json")
    assert unknown.status_code == 400 and set(unknown.json()) == {"answer"}
    assert api.post(ATTENTION, {}, format="json").status_code == 400
    assert UserSyncState.objects.get(owner=user).needs_attention
    assert Meeting.objects.alive().filter(owner=user, subject__startswith="E").count() == 12


def test_a_stopped_sync_is_resumed(ann: tuple[User, APIClient]) -> None:
    user, api = ann
    UserSyncState.objects.update_or_create(
        owner=user, defaults={"needs_attention": "Sync stopped: it failed to finish."}
    )
    assert api.get(ATTENTION).json()["answers"] == ["resume"]
    assert api.post(ATTENTION, {"answer": "resume"}, format="json").status_code == 202
    assert UserSyncState.objects.get(owner=user).needs_attention == ""


def test_another_user_sees_nothing_of_anns_sync_and_cannot_answer_for_her(
    ann: tuple[User, APIClient], google_in_process: GoogleHarness, bob_api: APIClient
) -> None:
    user, _ = ann
    trip_the_breaker(user, google_in_process)
    run = SyncRun.objects.filter(owner=user).first()
    assert run is not None
    assert bob_api.get(f"{RUNS}{run.pk}/").status_code == 404
    assert bob_api.get(RUNS).json()["count"] == 0
    assert bob_api.get(CONFLICTS).json()["count"] == 0
    status = bob_api.get(SYNC).json()
    assert status["attention"] is None and status["recent_runs"] == []
    assert bob_api.get(ATTENTION).status_code == 404
    assert bob_api.post(ATTENTION, {"answer": "apply"}, format="json").status_code == 409
    assert UserSyncState.objects.get(owner=user).needs_attention
    assert EventLink.objects.filter(owner=user).count() == 12


@pytest.mark.parametrize(("method", "url"), SYNC_ENDPOINTS)
def test_without_credentials_nothing_is_read_or_done(
    ann: tuple[User, APIClient], method: str, url: str
) -> None:
    user, _ = ann
    sync_user_now(user_id=user.pk)
    before = UserSyncState.objects.get(owner=user)
    response = getattr(APIClient(), method)(url, {"answer": "apply"}, format="json")
    assert response.status_code == unauthenticated_status()
    assert set(response.json()) == {"detail"}
    after = UserSyncState.objects.get(owner=user)
    assert (after.queued_for, after.last_attempt_at) == (before.queued_for, before.last_attempt_at)


def test_a_browser_session_cannot_sync_or_answer_without_the_csrf_token(
    ann: tuple[User, APIClient], google_in_process: GoogleHarness
) -> None:
    user, _ = ann
    trip_the_breaker(user, google_in_process)
    UserSyncState.objects.filter(owner=user).update(queued_for=None)
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(user)
    for response in (
        browser.post(SYNC_NOW),
        browser.post(ATTENTION, {"answer": "apply"}, format="json"),
    ):
        assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    state = UserSyncState.objects.get(owner=user)
    assert state.queued_for is None and state.needs_attention
    assert Meeting.objects.alive().filter(owner=user, subject__startswith="E").count() == 12


def test_a_question_takes_one_answer_whoever_gives_it(
    ann: tuple[User, APIClient], google_in_process: GoogleHarness
) -> None:
    """Found by review: the page remembered an answer in its session only, so the API, the
    CLI or a second tab could queue "apply" after "keep". The first answer is recorded with
    the question (under a lock); a second one is refused until a run settles it."""
    user, api = ann
    trip_the_breaker(user, google_in_process)

    first = api.post(ATTENTION, {"answer": "keep"}, format="json")
    second = api.post(ATTENTION, {"answer": "apply"}, format="json")

    assert first.status_code == 202
    assert second.status_code == 409
    assert second.json()["detail"].startswith(user_actions.ALREADY_ANSWERED)
    assert user_actions.ANSWERED["keep"] in second.json()["detail"]
    assert UserSyncState.objects.get(owner=user).attention_answer == "keep"
    refused = user_actions.answer_claim(user=user, answer="keep")  # the CLI's way in
    assert refused is not None and refused.refused
