"""`tandem sync --json`, its answers to the mass-delete question and its exit status, and
`tandem status --json`: what scripts read (issue 16)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from tandem.cli import main
from tandem.meetings.models import Meeting
from tandem.sync.locks import user_lock
from tandem.sync.models import SyncRun, UserSyncState
from tandem.sync.run_command import held_as_operator_sees_them
from tandem.sync.user_actions import NOTHING_WAITS
from tests.api.sync_support import trip_the_breaker
from tests.conftest import DEMO_GOOGLE_EMAIL
from tests.sync.harness import GooglePerson, connect_user, crm_edit, soon
from tests.sync.sched_support import connect_user as connect_person

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ann(google_in_process, client):  # type: ignore[no-untyped-def]
    return connect_user(google_in_process, client).user


def _json_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    out = capsys.readouterr().out
    return [json.loads(line) for line in out.splitlines()]


def test_one_json_object_per_user_with_status_counts_and_requests(
    ann: User, google_in_process, capsys
):
    GooglePerson(google_in_process).create_event(DEMO_GOOGLE_EMAIL, "From Google", soon(2))
    assert main(["sync", "--user", "ann", "--json"]) == 0
    (line,) = _json_lines(capsys)
    run = SyncRun.objects.get(owner=ann)
    assert line["user"] == "ann" and line["status"] == "succeeded" and line["exit_code"] == 0
    assert line["run_id"] == run.pk and line["trigger"] == "command"
    assert line["requests"] == run.requests > 0
    assert line["counts"]["crm_created"] == 1
    assert line["errors"] == [] and line["conflicts"] == []
    assert line["started_at"] and line["finished_at"] and line["seconds"] >= 0


def test_a_failed_run_exits_1_with_its_errors(ann: User, google_in_process, capsys):
    google_in_process.emulator.inject_fault(
        route="GET */events", status=503, reason="backendError", times=-1
    )
    assert main(["sync", "--user", "ann", "--json"]) == 1
    (line,) = _json_lines(capsys)
    assert line["status"] == "failed" and line["exit_code"] == 1
    run = SyncRun.objects.get(owner=ann)
    assert [error["text"] for error in line["errors"]] == [run.report.first_error]
    assert set(line["errors"][0]) == {
        "text",
        "message",
        "subject",
        "meeting_id",
        "event_id",
        "rule",
    }
    text = json.dumps(line)
    for token in google_in_process.tokens_issued():
        assert token not in text


def test_the_conflicts_of_the_run_are_in_its_object(ann: User, google_in_process, capsys):
    person = GooglePerson(google_in_process)
    event = person.create_event(DEMO_GOOGLE_EMAIL, "Budget", soon(3))
    assert main(["sync", "--user", "ann"]) == 0
    crm_edit(Meeting.objects.get(owner=ann, subject="Budget"), subject="Budget (CRM)")
    person.patch_event(DEMO_GOOGLE_EMAIL, event["id"], summary="Budget (Google)")
    capsys.readouterr()
    assert main(["sync", "--user", "ann", "--json"]) == 0
    (line,) = _json_lines(capsys)
    (conflict,) = line["conflicts"]
    assert conflict["field"] == "subject"
    assert (conflict["crm_value"], conflict["google_value"]) == ("Budget (CRM)", "Budget (Google)")
    assert conflict["winner"] in {"crm", "google"} and conflict["rule"]


def test_a_tripped_breaker_exits_2_and_keep_meetings_answers_it(
    ann: User, google_in_process, capsys
):
    """The run that would delete too much exits 2 with the question; --keep-meetings keeps
    every meeting and exits 0; asked again, nothing waits: exit 4."""
    trip_the_breaker(ann, google_in_process)
    assert main(["sync", "--user", "ann", "--json"]) == 2
    (line,) = _json_lines(capsys)
    assert line["status"] == "needs_attention" and line["exit_code"] == 2
    assert line["message"] == UserSyncState.objects.get(owner=ann).needs_attention != ""
    held = line["held_meetings"]
    assert sorted(entry["subject"] for entry in held) == sorted(f"E{n}" for n in range(12))
    assert {entry["deleted_in"] for entry in held} == {"google"}
    assert all(entry["meeting_id"] and entry["start"] for entry in held)

    assert main(["sync", "--user", "ann", "--keep-meetings", "--json"]) == 0
    (kept,) = _json_lines(capsys)
    assert kept["status"] == "succeeded" and kept["trigger"] == "keep_meetings"
    assert Meeting.objects.alive().filter(owner=ann, subject__startswith="E").count() == 12
    assert UserSyncState.objects.get(owner=ann).needs_attention == ""

    assert main(["sync", "--user", "ann", "--keep-meetings", "--json"]) == 4
    (again,) = _json_lines(capsys)
    assert again["status"] == "not_synced" and again["message"] == NOTHING_WAITS


def test_apply_deletions_lets_the_held_deletions_through(ann: User, google_in_process, capsys):
    trip_the_breaker(ann, google_in_process)
    assert main(["sync", "--user", "ann", "--apply-deletions"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ann: succeeded in ")
    assert "deleted in the CRM 12" in out
    assert Meeting.objects.alive().filter(owner=ann, subject__startswith="E").count() == 0
    assert UserSyncState.objects.get(owner=ann).needs_attention == ""


def test_a_user_being_synced_elsewhere_exits_3(ann: User, capsys):
    with user_lock(user_id=ann.pk):
        assert main(["sync", "--user", "ann", "--json"]) == 3
    (line,) = _json_lines(capsys)
    assert line["status"] == "busy" and line["run_id"] is None
    assert not SyncRun.objects.filter(owner=ann).exists()


def test_an_unknown_user_is_one_json_object_with_exit_4(db, capsys):
    assert main(["sync", "--user", "ghost", "--json"]) == 4
    (line,) = _json_lines(capsys)
    assert line["status"] == "not_synced" and line["message"] == "No user is named 'ghost'."


@pytest.mark.parametrize(
    "argv",
    [
        ["sync", "--apply-deletions"],
        ["sync", "--user", "ann", "--apply-deletions", "--keep-meetings"],
        ["sync", "--frobnicate"],
    ],
)
def test_wrong_options_exit_64_not_2(db, capsys, argv: list[str]):
    """argparse's own usage status (2) would read as "needs attention"."""
    with pytest.raises(SystemExit) as stopped:
        code = main(argv)
        raise SystemExit(code)
    assert stopped.value.code == 64
    assert "tandem" in capsys.readouterr().err


def test_nobody_due_prints_no_object_and_exits_0(db, capsys):
    assert main(["sync", "--json"]) == 0
    assert capsys.readouterr().out == ""


def test_tandem_status_json_lists_connected_due_and_failing_users(ann: User, capsys):
    UserSyncState.objects.filter(owner=ann).update(needs_attention="Would delete 40 of 50.")
    assert main(["status", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert [u["username"] for u in body["connected"]] == ["ann"]
    assert body["connected"][0]["google_email"] == DEMO_GOOGLE_EMAIL
    assert [(u["username"], u["problem"]) for u in body["failing"]] == [
        ("ann", "Would delete 40 of 50.")
    ]
    assert body["due"] == []  # the schedule skips a user whose sync waits for an answer


def test_every_due_user_gets_one_object_and_the_worst_exit_status(google_in_process, capsys):
    """Without --user every due user is synced: one line each, in username order; one
    user's failed run makes the exit status 1 even when the other succeeded."""
    connect_person(google_in_process, username="ann")
    connect_person(google_in_process, username="ben", email="ben@example.com")
    google_in_process.emulator.inject_fault(
        route="GET /calendar/v3/calendars/ben@example.com/events",
        status=503,
        reason="backendError",
        times=-1,
    )
    assert main(["sync", "--json"]) == 1
    lines = _json_lines(capsys)
    assert [(line["user"], line["status"]) for line in lines] == [
        ("ann", "succeeded"),
        ("ben", "failed"),
    ]


def test_a_private_meetings_conflict_is_busy_to_the_operator(ann: User, google_in_process, capsys):
    """`tandem sync` is run by an operator: a conflict on a private meeting names it Busy
    and hides the values of its subject, as the admin does."""
    person = GooglePerson(google_in_process)
    event = person.create_event(DEMO_GOOGLE_EMAIL, "Doctor", soon(3), visibility="private")
    assert main(["sync", "--user", "ann"]) == 0
    crm_edit(Meeting.objects.get(owner=ann, subject="Doctor"), subject="Doctor (moved)")
    person.patch_event(DEMO_GOOGLE_EMAIL, event["id"], summary="Dentist")
    capsys.readouterr()
    assert main(["sync", "--user", "ann", "--json"]) == 0
    out = capsys.readouterr().out
    (conflict,) = json.loads(out)["conflicts"]
    assert conflict["meeting"]["subject"] == "Busy"
    assert conflict["crm_value"] == conflict["google_value"] == conflict["base_value"]
    assert "Doctor" not in out and "Dentist" not in out


def test_tandem_manage_sync_is_the_same_command_with_the_same_status(ann: User, google_in_process):
    """`tandem manage sync` runs the same code: a failed run is a CommandError carrying
    exit status 1, and an answer without --user is refused (64) before anything runs."""
    google_in_process.emulator.inject_fault(
        route="GET */events", status=503, reason="backendError", times=-1
    )
    out = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("sync", "--user", "ann", "--json", stdout=out, stderr=io.StringIO())
    assert failed.value.returncode == 1
    assert json.loads(out.getvalue())["status"] == "failed"
    with pytest.raises(CommandError) as refused:
        call_command("sync", "--keep-meetings", stdout=io.StringIO(), stderr=io.StringIO())
    assert refused.value.returncode == 64
    assert SyncRun.objects.filter(owner=ann).count() == 1


def test_the_held_meetings_are_listed_and_a_private_one_is_busy(
    ann: User, google_in_process, capsys
):
    """The question names the meetings it holds back, as the page and the API do; to the
    operator a private meeting is Busy (DESIGN §3: admins included)."""
    trip_the_breaker(ann, google_in_process)
    assert main(["sync", "--user", "ann"]) == 2
    out = capsys.readouterr().out
    assert "  held: E0 (" in out and ", deleted in Google" in out
    assert "  held: and 2 more (--json lists them all)" in out
    # Private since the question was asked (a sync would restore it: an edit beats a
    # deletion), so the record still holds its subject.
    Meeting.objects.filter(owner=ann, subject="E3").update(visibility="private")
    shown = held_as_operator_sees_them(ann, UserSyncState.objects.get(owner=ann))
    subjects = [entry["subject"] for entry in shown]
    assert len(subjects) == 12 and "E3" not in subjects and subjects.count("Busy") == 1
