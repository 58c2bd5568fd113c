"""Issue 16's end-to-end check: everything a person does on External services and the sync
settings page, done by a script with only the CLI and the JSON API (and a browser for the
one step Google keeps for a person: the consent page), against the Google emulator on a
real loopback port."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from tandem.cli import main
from tandem.meetings.models import Meeting
from tests.conftest import DEMO_GOOGLE_EMAIL, GoogleHarness, callback_path
from tests.sync.sched_support import google_api, google_event_create, google_summaries

from .sync_support import ATTENTION, CALENDARS, DEDICATED, GOOGLE, REVOKE, SETTINGS, SYNC

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a long enough passphrase 16"


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str], stdin: str = "") -> tuple[int, str]:
    capsys.readouterr()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(argv)
    return code, capsys.readouterr().out


def _json(out: str) -> dict[str, Any]:
    (line,) = out.splitlines()
    return dict(json.loads(line))


def test_a_script_connects_configures_syncs_answers_and_revokes(
    google_live: GoogleHarness, capsys: pytest.CaptureFixture[str]
) -> None:
    # An operator creates the user and their API token.
    code, _ = _cli(["users", "create", "rita", "--password-stdin"], capsys, PASSWORD + "\n")
    assert code == 0
    code, token = _cli(["manage", "api_token", "rita"], capsys)
    assert code == 0
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.strip()}")

    # Connect: the script hands the connect URL to Rita's browser, signed in to Tandem.
    status = api.get(GOOGLE).json()
    assert status["status"] == "disconnected"
    browser = Client()
    assert browser.post("/login/", {"username": "rita", "password": PASSWORD}).status_code == 302
    start = browser.get(status["connect_url"])
    assert start.status_code == 302
    back = browser.get(callback_path(google_live.consent(start["Location"])))
    assert back.status_code == 302
    assert api.get(GOOGLE).json()["email"] == DEMO_GOOGLE_EMAIL

    # Configure: a dedicated calendar receives the CRM's meetings; primary flows in.
    dedicated = api.post(DEDICATED, {}, format="json").json()
    calendars = {c["id"]: c for c in api.get(CALENDARS).json()["calendars"]}
    assert calendars[dedicated["id"]]["writable"] and calendars[DEMO_GOOGLE_EMAIL]["primary"]
    saved = api.put(
        SETTINGS,
        {
            "inbound_calendar_ids": [DEMO_GOOGLE_EMAIL],
            "target_calendar_id": dedicated["id"],
            "sync_private": False,
        },
        format="json",
    )
    assert saved.status_code == 200 and saved.json()["complete"] is True

    # Sync: Google's events come in, the CRM's meeting goes out.
    with google_api(google_live) as google:
        ids = [google_event_create(google, summary=f"E{n}", days=n + 1)["id"] for n in range(12)]
        created = api.post(
            "/api/v1/meetings/",
            {"subject": "Pitch", "start": "2030-03-04T09:00:00Z", "end": "2030-03-04T10:00:00Z"},
            format="json",
        )
        assert created.status_code == 201
        code, out = _cli(["sync", "--user", "rita", "--json"], capsys)
        assert code == 0, out
        run = _json(out)
        assert run["counts"]["crm_created"] == 12 and run["counts"]["google_created"] == 1
        assert google_summaries(google, email=dedicated["id"]) == ["Pitch"]

        # The breaker: every event deleted in Google; the run asks instead of deleting.
        for event_id in ids:
            assert google.delete(f"calendars/{DEMO_GOOGLE_EMAIL}/events/{event_id}").is_success
        code, out = _cli(["sync", "--user", "rita", "--json"], capsys)
        assert code == 2 and _json(out)["status"] == "needs_attention"
        question = api.get(ATTENTION).json()
        assert question["answers"] == ["apply", "keep"] and len(question["meetings"]) == 12

        code, out = _cli(["sync", "--user", "rita", "--keep-meetings", "--json"], capsys)
        assert code == 0 and _json(out)["status"] == "succeeded"
        assert sorted(s for s in google_summaries(google) if s.startswith("E")) == sorted(
            f"E{n}" for n in range(12)
        )
    rita = User.objects.get(username="rita")
    assert Meeting.objects.alive().filter(owner=rita, subject__startswith="E").count() == 12
    status_now = api.get(SYNC).json()
    assert status_now["attention"] is None and status_now["last_success_at"]
    assert status_now["recent_runs"][0]["trigger"] == "keep_meetings"

    # Revoke: the connection ends; the CLI can no longer sync Rita; meetings stay.
    revoked = api.post(REVOKE).json()
    assert revoked["done"] and revoked["revoked_at_google"]
    assert api.get(GOOGLE).json()["status"] == "disconnected"
    code, out = _cli(["sync", "--user", "rita", "--json"], capsys)
    assert code == 4 and "cannot be synced" in _json(out)["message"]
    assert Meeting.objects.alive().filter(owner=rita).count() == 13
