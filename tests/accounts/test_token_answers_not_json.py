"""A 200 from Google's token endpoint that is no JSON object (a proxy's or captive portal's
HTML page, a body cut off) is a project error with a plain message (issue 12, finding 5):
the connect callback answers 502 and stores nothing; `tandem sync` reports a failed run and
exits 1, never with a traceback. The mapping is ``tandem.google.errors.json_object_from``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tandem.cli import main
from tandem.meetings.models import Meeting
from tandem.sync.models import SyncRun
from tests.accounts.helpers import CALLBACK, CONNECT, nothing_stored
from tests.conftest import DEMO_GOOGLE_EMAIL, GoogleHarness
from tests.sync.harness import GooglePerson, connect_user

# Both fault switches of the emulator that answer 200 without a JSON object.
NOT_JSON = {
    "html page": ({"html": True}, "(text/html, "),
    "json cut off": ({"malformed": True}, "(application/json, "),
}


def _consented(google: GoogleHarness, client: Client) -> dict[str, str]:
    start = client.get(CONNECT)
    location = google.consent(start["Location"])
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


@pytest.mark.parametrize("fault", NOT_JSON.values(), ids=NOT_JSON.keys())
def test_the_callback_says_what_google_sent_and_stores_nothing(
    google: GoogleHarness, client_ann: Client, ann: User, fault: tuple[dict[str, Any], str]
) -> None:
    """The code exchange answered with a page instead of tokens: a 502 page names it."""
    switch, kind = fault
    answer = _consented(google, client_ann)
    google.emulator.inject_fault(route="POST /token", status=0, **switch)
    response = client_ann.get(CALLBACK, {"code": answer["code"], "state": answer["state"]})
    assert response.status_code == 502
    page = response.content.decode()
    assert (
        "Google did not complete the sign-in: Google&#x27;s token endpoint answered HTTP 200 "
        "with a body that is not JSON " + kind
    ) in page
    assert nothing_stored(ann)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fault", NOT_JSON.values(), ids=NOT_JSON.keys())
def test_a_refresh_answered_with_a_page_fails_the_run_in_plain_words(
    google_in_process: GoogleHarness,
    client: Client,
    capsys: pytest.CaptureFixture[str],
    fault: tuple[dict[str, Any], str],
) -> None:
    """The access token expired and the refresh got a page: the run fails with the reason,
    `tandem sync` exits 1 without a traceback, and nothing is imported."""
    switch, kind = fault
    world = connect_user(google_in_process, client)
    GooglePerson(google_in_process).create_event(
        DEMO_GOOGLE_EMAIL, "Unseen", datetime.now(UTC) + timedelta(days=3)
    )
    google_in_process.emulator.expire_access_tokens()
    google_in_process.emulator.inject_fault(route="POST /token", status=0, times=-1, **switch)

    # Before, the ValueError from inside Authlib escaped main(): a traceback, no exit status.
    assert main(["sync", "--user", world.user.username]) == 1
    out = capsys.readouterr().out
    assert "with a body that is not JSON " + kind in out
    run = SyncRun.objects.get(owner=world.user)
    assert run.status == "failed"
    assert any(
        "Google's token endpoint answered HTTP 200 with a body that is not JSON " + kind in error
        for error in (problem.text for problem in run.report.errors)
    ), run.errors
    assert not Meeting.objects.filter(owner=world.user, subject="Unseen").exists()
