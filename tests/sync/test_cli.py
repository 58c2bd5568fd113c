"""`tandem sync [--user USERNAME]`: a sync run now, from the command line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User

from tandem.cli import main
from tandem.meetings.models import Meeting
from tandem.meetings.services import MeetingInput, meeting_create
from tandem.sync.models import SyncRun
from tests.conftest import DEMO_GOOGLE_EMAIL
from tests.sync.harness import GooglePerson, connect_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ann(google_in_process, client):  # type: ignore[no-untyped-def]
    """Ann, connected to the demo Google account, syncing its primary calendar both ways."""
    return connect_user(google_in_process, client).user


def _google_event(harness, summary: str, start: datetime) -> None:  # type: ignore[no-untyped-def]
    """Dana adds an event in Google Calendar."""
    GooglePerson(harness).create_event(DEMO_GOOGLE_EMAIL, summary, start)


def test_sync_user_runs_now_and_prints_counts_and_requests(ann, google_in_process, capsys):
    """`tandem sync --user ann` imports Google's event, pushes the CRM meeting, and says so;
    a second run finds nothing to do and says it made one request."""
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    meeting_create(
        owner=ann, data=MeetingInput(subject="Pitch", start=start, end=start + timedelta(hours=1))
    )
    _google_event(google_in_process, "From Google", start + timedelta(days=1))

    assert main(["sync", "--user", "ann"]) == 0
    out = capsys.readouterr().out
    run = SyncRun.objects.get(owner=ann)
    assert run.status == "succeeded"
    assert out.startswith("ann: succeeded in ")
    assert f"{run.requests} requests to Google" in out
    assert "created in the CRM 1" in out and "created in Google 1" in out
    assert Meeting.objects.filter(owner=ann, subject="From Google").exists()

    assert main(["sync", "--user", "ann"]) == 0
    again = capsys.readouterr().out
    assert "1 request to Google; nothing changed" in again


def test_unknown_user_gets_a_clear_message_and_nothing_runs(ann, capsys):
    """A username nobody has is refused by name, with exit status 4 (cannot be synced)."""
    assert main(["sync", "--user", "ghost"]) == 4
    captured = capsys.readouterr()
    assert "No user is named 'ghost'." in captured.err
    assert captured.out == ""
    assert not SyncRun.objects.exists()


def test_user_without_google_is_told_to_connect_first(db, capsys):
    """A user who never connected Google is not synced, and learns where to connect."""
    User.objects.create_user("bob", password="pw")
    assert main(["sync", "--user", "bob"]) == 4
    err = capsys.readouterr().err
    assert "bob cannot be synced (Google: Not connected)" in err
    assert "My Preferences > External services" in err
    assert not SyncRun.objects.exists()


def test_without_user_every_due_user_is_synced_once(ann, capsys):
    """`tandem sync` syncs the users who are due (ann, never synced) and skips users who
    cannot sync (bob, not connected); right after, nobody is due any more."""
    User.objects.create_user("bob", password="pw")
    assert main(["sync"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ann: succeeded")
    assert "bob" not in out
    assert SyncRun.objects.filter(owner=ann).count() == 1

    assert main(["sync"]) == 0
    assert capsys.readouterr().out == "No user is due for a sync.\n"
    assert SyncRun.objects.count() == 1


def test_a_failed_run_prints_its_error_and_exits_1(ann, google_in_process, capsys):
    """Google failing every listing makes the run fail: the error is printed (never a
    token), the exit status is 1, and nothing is created."""
    google_in_process.emulator.inject_fault(
        route="GET */events", status=503, reason="backendError", times=-1
    )
    _google_event(google_in_process, "Unseen", datetime.now(UTC) + timedelta(days=3))
    assert main(["sync", "--user", "ann"]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("ann: failed in ")
    assert "errors: " in captured.out
    assert "1 of 1 sync runs did not succeed." in captured.err
    assert not Meeting.objects.filter(owner=ann).exists()
    for token in google_in_process.tokens_issued():
        assert token not in captured.out + captured.err
