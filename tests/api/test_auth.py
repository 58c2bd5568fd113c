"""Session and token authentication, CSRF on session writes, and the api_token command."""

from __future__ import annotations

import io
from importlib import import_module

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.middleware.csrf import _get_new_csrf_string
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tandem.api.tokens import issue_token, stored_form

from .helpers import MEETINGS_URL, make_meeting

BODY = {"subject": "Planning", "start": "2026-05-04T09:00:00Z", "end": "2026-05-04T10:00:00Z"}


def test_an_anonymous_caller_gets_no_meetings(alice: User):
    make_meeting(alice)
    response = APIClient().get(MEETINGS_URL)
    # 401 with a challenge (RFC 9110 §15.5.2), not 403: the caller is not refused, unknown.
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "credentials were not provided" in response.json()["detail"]


def test_a_wrong_token_is_refused(alice: User):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get(MEETINGS_URL)
    assert response.status_code in (401, 403)
    assert response.json()["detail"] == "Invalid token."


def test_a_token_reads_and_writes_without_csrf(alice: User):
    """Scripts authenticate with a token; no CSRF cookie dance for them."""
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(alice)}")
    assert client.post(MEETINGS_URL, BODY, format="json").status_code == 201
    assert client.get(MEETINGS_URL).json()["count"] == 1


def test_a_signed_in_browser_session_reads_meetings(alice: User):
    make_meeting(alice)
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="alice", password="alice-secret-pw")
    assert client.get(MEETINGS_URL).json()["count"] == 1


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_session_write_without_the_csrf_token_is_rejected(alice: User, method: str):
    meeting = make_meeting(alice)
    client = APIClient(enforce_csrf_checks=True)
    client.login(username="alice", password="alice-secret-pw")
    url = MEETINGS_URL if method == "post" else f"{MEETINGS_URL}{meeting.pk}/"
    response = getattr(client, method)(url, BODY, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    meeting.refresh_from_db()
    assert meeting.version == 1 and meeting.deleted_at is None
    assert alice.meetings.count() == 1


def test_a_session_write_with_the_csrf_token_goes_through(alice: User):
    client = APIClient(enforce_csrf_checks=True)
    client.login(username="alice", password="alice-secret-pw")
    csrf = _get_new_csrf_string()
    client.cookies["csrftoken"] = csrf
    response = client.post(MEETINGS_URL, BODY, format="json", HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 201, response.json()


def test_api_token_command_shows_a_token_once_then_makes_another_on_rotate(alice: User):
    first, rotated = io.StringIO(), io.StringIO()
    call_command("api_token", "alice", stdout=first)
    with pytest.raises(CommandError, match="--rotate"):
        call_command("api_token", "alice", stdout=io.StringIO())
    call_command("api_token", "alice", "--rotate", stdout=rotated)
    assert rotated.getvalue() != first.getvalue()
    assert _listing_with(rotated.getvalue().strip()) == 200


def test_a_token_is_stored_as_its_hash_only(alice: User):
    # Issue 15, finding 9: the token itself was the row's key, in every copy of the
    # database, in dumpdata and in the admin.
    token = io.StringIO()
    call_command("api_token", "alice", stdout=token)
    token_text = token.getvalue().strip()
    dump = io.StringIO()
    call_command("dumpdata", "authtoken", stdout=dump)

    assert len(token_text) == 40
    assert token_text not in dump.getvalue()
    assert not Token.objects.filter(key=token_text).exists()
    assert Token.objects.get(user=alice).key == stored_form(token_text)


def test_the_stored_hash_is_no_token(alice: User):
    issue_token(alice)
    assert _listing_with(Token.objects.get(user=alice).key) == 401


def test_a_token_made_before_hashing_keeps_working_after_the_migration(alice: User):
    made_before = Token.objects.create(user=alice).key  # DRF's own: the token as the key
    migration = import_module("tandem.api.migrations.0001_hashed_tokens")

    migration.hash_tokens(apps, None)

    assert Token.objects.get(user=alice).key == stored_form(made_before)
    assert _listing_with(made_before) == 200


def test_a_rotated_token_stops_working(alice: User):
    old = io.StringIO()
    call_command("api_token", "alice", stdout=old)
    call_command("api_token", "alice", "--rotate", stdout=io.StringIO())
    assert _listing_with(old.getvalue().strip()) == 401


def _listing_with(token: str) -> int:
    """The status of a meeting listing asked for with ``token``."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.get(MEETINGS_URL).status_code


def test_api_token_command_names_an_unknown_user(db: None):
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("api_token", "nobody", stdout=io.StringIO())


def test_api_token_command_refuses_an_inactive_user(db: None):
    User.objects.create_user("gone", is_active=False)
    with pytest.raises(CommandError, match="inactive"):
        call_command("api_token", "gone", stdout=io.StringIO())
