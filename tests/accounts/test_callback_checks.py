"""The callback refuses every answer it cannot trust and stores nothing (issue #4, point 2):
a missing, mismatched, replayed, expired or other user's state; a denial; no open redirect."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlsplit

from django.contrib.auth.models import User
from django.test import Client

from tandem.accounts.google_services import SESSION_KEY
from tests.accounts.helpers import (
    CALLBACK,
    CONNECT,
    EXTERNAL_SERVICES,
    NOT_CONNECTED,
    SETTINGS,
    nothing_stored,
)
from tests.conftest import GoogleHarness, callback_path


def _query(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def _consented(google: GoogleHarness, client: Client) -> dict[str, str]:
    """Connect clicked and consent given; Google's answer not delivered yet."""
    start = client.get(CONNECT)
    return _query(google.consent(start["Location"]))


def test_a_callback_without_state_is_refused(
    google: GoogleHarness, client_ann: Client, ann: User
) -> None:
    """An answer with a code but no state gets a 400 and stores nothing."""
    answer = _consented(google, client_ann)
    response = client_ann.get(CALLBACK, {"code": answer["code"]})
    assert response.status_code == 400
    assert "no state" in response.content.decode()
    assert nothing_stored(ann)


def test_a_callback_with_a_mismatched_state_is_refused(
    google: GoogleHarness, client_ann: Client, ann: User
) -> None:
    """A state that is not the one this session sent gets a 400 and stores nothing."""
    answer = _consented(google, client_ann)
    response = client_ann.get(CALLBACK, {"code": answer["code"], "state": "forged-state-value"})
    assert response.status_code == 400
    assert "does not match" in response.content.decode()
    assert nothing_stored(ann)


def test_a_mismatched_state_also_burns_the_pending_sign_in(
    google: GoogleHarness, client_ann: Client, ann: User
) -> None:
    """After a forged answer, the genuine one is refused too: a state is usable once."""
    answer = _consented(google, client_ann)
    client_ann.get(CALLBACK, {"code": answer["code"], "state": "forged-state-value"})
    response = client_ann.get(CALLBACK, answer)
    assert response.status_code == 400
    assert nothing_stored(ann)


def test_a_replayed_callback_is_refused(
    google: GoogleHarness, client_ann: Client, ann: User
) -> None:
    """The same answer delivered twice: the first connects, the second gets a 400 and
    changes nothing."""
    start = client_ann.get(CONNECT)
    location = google.consent(start["Location"])
    assert client_ann.get(callback_path(location)).status_code == 302
    before = ann.google_connection.access_token_encrypted
    replay = client_ann.get(callback_path(location))
    assert replay.status_code == 400
    assert "already used" in replay.content.decode()
    ann.google_connection.refresh_from_db()
    assert ann.google_connection.access_token_encrypted == before


def test_an_expired_state_is_refused(google: GoogleHarness, client_ann: Client, ann: User) -> None:
    """A sign-in started more than ten minutes ago gets a 400 and stores nothing."""
    answer = _consented(google, client_ann)
    session = client_ann.session
    pending = session[SESSION_KEY]
    pending["created"] = time.time() - 601
    session[SESSION_KEY] = pending
    session.save()
    response = client_ann.get(CALLBACK, answer)
    assert response.status_code == 400
    assert "took too long" in response.content.decode()
    assert nothing_stored(ann)


def test_another_users_state_is_refused(
    google: GoogleHarness, client_ann: Client, client_ben: Client, ann: User, ben: User
) -> None:
    """Ann's answer from Google, delivered in Ben's session, connects nobody."""
    answer = _consented(google, client_ann)
    client_ben.get(CONNECT)  # Ben has a sign-in of his own in progress
    response = client_ben.get(CALLBACK, answer)
    assert response.status_code == 400
    assert nothing_stored(ben)
    assert nothing_stored(ann)


def test_a_pending_sign_in_bound_to_another_user_is_refused(
    google: GoogleHarness, client_ann: Client, client_ben: Client, ben: User, ann: User
) -> None:
    """Even when Ann's pending sign-in (state and verifier) ends up in Ben's session, the
    callback sees it was started by another user: 403, nothing stored."""
    answer = _consented(google, client_ann)
    ann_pending = client_ann.session[SESSION_KEY]
    session = client_ben.session
    session[SESSION_KEY] = ann_pending
    session.save()
    response = client_ben.get(CALLBACK, answer)
    assert response.status_code == 403
    assert nothing_stored(ben)
    assert nothing_stored(ann)


def test_a_callback_without_a_sign_in_in_progress_is_refused(
    google: GoogleHarness, client_ann: Client, ann: User
) -> None:
    """A callback nobody started (no pending state in the session) gets a 400."""
    response = client_ann.get(CALLBACK, {"code": "4/0Aanything", "state": "anything"})
    assert response.status_code == 400
    assert nothing_stored(ann)


def test_a_forged_code_is_refused_by_google_and_nothing_is_stored(
    google: GoogleHarness, client_ann: Client, ann: User
) -> None:
    """The right state with a code Google never issued: Google refuses the exchange
    (invalid_grant), the callback answers 400 with a message (the request was bad, not
    Google: issue 15, finding 7), nothing is stored."""
    answer = _consented(google, client_ann)
    response = client_ann.get(CALLBACK, {**answer, "code": "4/0Aforged"})
    assert response.status_code == 400
    assert "Google did not accept this sign-in" in response.content.decode()
    assert nothing_stored(ann)


def test_a_code_used_twice_is_a_bad_request(
    google: GoogleHarness, client_ann: Client, ann: User
) -> None:
    """A code already exchanged (another client's, or replayed) is refused as the forged one."""
    answer = _consented(google, client_ann)
    assert client_ann.get(CALLBACK, answer).status_code == 302
    replay = _consented(google, client_ann)
    response = client_ann.get(CALLBACK, {**replay, "code": answer["code"]})
    assert response.status_code == 400
    assert "Google did not accept this sign-in" in response.content.decode()


def test_denying_on_google_returns_to_external_services_with_a_clear_message(
    google: GoogleHarness, client_ann: Client, ann: User
) -> None:
    """Cancel on Google's consent page: back on External services, told what happened,
    still not connected."""
    response = google.connect(client_ann, allow=False)
    assert response.status_code == 302
    assert response["Location"] == EXTERNAL_SERVICES
    page = client_ann.get(EXTERNAL_SERVICES).content.decode()
    assert "You did not allow Tandem to use your Google account." in page
    assert NOT_CONNECTED in page
    assert nothing_stored(ann)


def test_another_error_from_google_is_shown_escaped(
    google: GoogleHarness, client_ann: Client, ann: User
) -> None:
    """An unexpected error parameter is reported (escaped) with a 400; nothing stored."""
    start = client_ann.get(CONNECT)
    state = _query(start["Location"])["state"]
    response = client_ann.get(CALLBACK, {"error": "<script>alert(1)</script>", "state": state})
    assert response.status_code == 400
    body = response.content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body
    assert nothing_stored(ann)


def test_no_open_redirect_through_connect_or_callback(
    google: GoogleHarness, client_ann: Client
) -> None:
    """Where the flow sends the browser is fixed by configuration: a ``next`` or
    ``redirect_uri`` in our URLs is ignored, and the user lands on our settings page."""
    start = client_ann.get(
        CONNECT
        + "?"
        + urlencode({"next": "https://evil.test/", "redirect_uri": "https://evil.test/cb"})
    )
    assert "evil.test" not in start["Location"]
    location = google.consent(start["Location"])
    answer = _query(location)
    response = client_ann.get(CALLBACK, {**answer, "next": "https://evil.test/"})
    assert response.status_code == 302
    assert response["Location"] == SETTINGS


def test_google_refuses_a_redirect_uri_it_does_not_know(google: GoogleHarness) -> None:
    """The emulator, like Google, answers an unregistered redirect URI with an error page,
    never a redirect: the reason the redirect URI must be registered exactly."""
    page = google.browser.get(
        f"{google.base_url}/o/oauth2/v2/auth",
        params={
            "client_id": "tandem-tests.apps.googleusercontent.test",
            "redirect_uri": "https://evil.test/cb",
            "response_type": "code",
            "scope": "openid",
        },
    )
    assert page.status_code == 400
    assert "redirect_uri_mismatch" in page.text
