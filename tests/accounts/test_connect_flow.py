"""Connect Google: the whole OAuth web-server flow through Django's test client, against the
emulator in-process and as a real loopback server (issue #4, points 1-3)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django.contrib.auth.models import User
from django.test import Client

from tandem.accounts.models import GoogleConnection
from tests.accounts.helpers import (
    CALENDAR_LIST_SCOPE,
    CALENDARS_SCOPE,
    CONNECT,
    EVENTS_SCOPE,
    EXTERNAL_SERVICES,
    NOT_CONNECTED,
    SETTINGS,
    connection_of,
    stored_tokens,
)
from tests.conftest import (
    DEMO_GOOGLE_EMAIL,
    GOOGLE_TEST_CLIENT_ID,
    GOOGLE_TEST_REDIRECT_URI,
    GoogleHarness,
)


def test_external_services_invites_to_connect_while_not_connected(
    google: GoogleHarness, client_ann: Client
) -> None:
    """Not connected: the Google row reads "Not connected, click to connect Google!" and links
    to the connect view."""
    page = client_ann.get(EXTERNAL_SERVICES).content.decode()
    assert NOT_CONNECTED in page
    assert f'href="{CONNECT}"' in page
    assert "Revoke Token" not in page


def test_connect_sends_the_browser_to_google_with_state_pkce_offline_and_narrow_scopes(
    google: GoogleHarness, client_ann: Client
) -> None:
    """The consent URL carries a fresh state, a PKCE S256 challenge, offline access, consent
    on a first connect, our client and redirect URI, and only the scopes the job needs."""
    response = client_ann.get(CONNECT)
    assert response.status_code == 302
    url = urlsplit(response["Location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{google.base_url}/o/oauth2/v2/auth"
    query = {key: values[0] for key, values in parse_qs(url.query).items()}
    assert query["response_type"] == "code"
    assert query["client_id"] == GOOGLE_TEST_CLIENT_ID
    assert query["redirect_uri"] == GOOGLE_TEST_REDIRECT_URI
    assert query["access_type"] == "offline"
    assert query["prompt"] == "consent"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43  # base64url of a SHA-256 digest
    assert len(query["state"]) >= 32
    assert set(query["scope"].split()) == {
        "openid",
        "email",
        EVENTS_SCOPE,
        CALENDAR_LIST_SCOPE,
        CALENDARS_SCOPE,
    }
    assert "https://www.googleapis.com/auth/calendar" not in query["scope"].split()


def test_each_connect_uses_a_new_state(google: GoogleHarness, client_ann: Client) -> None:
    """Two connect clicks give two different states and challenges."""
    first = parse_qs(urlsplit(client_ann.get(CONNECT)["Location"]).query)
    second = parse_qs(urlsplit(client_ann.get(CONNECT)["Location"]).query)
    assert first["state"] != second["state"]
    assert first["code_challenge"] != second["code_challenge"]


def test_connect_needs_a_signed_in_user(google: GoogleHarness, db: None) -> None:
    """An anonymous visitor is sent to sign in, never to Google."""
    response = Client().get(CONNECT)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_completed_connect_lands_on_the_synchronization_settings(
    google: GoogleHarness, client_ann: Client
) -> None:
    """Allowing on Google's consent page brings the user back to the synchronization
    settings, which list the account's calendars."""
    response = google.connect(client_ann)
    assert response.status_code == 302
    assert response["Location"] == SETTINGS
    page = client_ann.get(SETTINGS).content.decode()
    assert "Synchronization settings" in page
    assert f"Connected to Google as {DEMO_GOOGLE_EMAIL}" in page
    assert f'value="{DEMO_GOOGLE_EMAIL}"' in page


def test_the_connection_stores_identity_scopes_and_encrypted_tokens(
    google: GoogleHarness, client_ann: Client, ann: User
) -> None:
    """The Google account's sub and email, the granted scopes and the tokens Google issued
    are stored; the token columns hold ciphertext, never the tokens themselves."""
    google.connect(client_ann)
    connection = connection_of(ann)
    account = google.emulator.state.accounts[DEMO_GOOGLE_EMAIL]
    assert connection.status == GoogleConnection.Status.CONNECTED
    assert connection.google_sub == account.sub
    assert connection.email == DEMO_GOOGLE_EMAIL
    assert {EVENTS_SCOPE, CALENDAR_LIST_SCOPE, CALENDARS_SCOPE} <= set(connection.granted_scopes)
    access, refresh = stored_tokens(ann)
    assert access in google.emulator.state.access_tokens
    assert refresh in google.emulator.state.refresh_tokens
    assert access not in connection.access_token_encrypted
    assert refresh not in connection.refresh_token_encrypted
    assert connection.access_token_expires_at is not None


def test_the_code_exchange_proves_pkce_and_uses_the_client_secret(
    google: GoogleHarness, client_ann: Client
) -> None:
    """The token request succeeds only because our verifier matches the S256 challenge the
    emulator recorded with the code (a wrong verifier gets invalid_grant there)."""
    google.connect(client_ann)
    token_calls = [e for e in google.emulator.request_log if e.path == "/token"]
    assert [(e.method, e.status, e.client_id) for e in token_calls] == [
        ("POST", 200, GOOGLE_TEST_CLIENT_ID)
    ]


def test_external_services_shows_the_connected_account_and_its_actions(
    google: GoogleHarness, client_ann: Client
) -> None:
    """Connected: the row shows the Google account's email, the status and links to
    Synchronization settings, Sync now and Revoke Token."""
    google.connect(client_ann)
    page = client_ann.get(EXTERNAL_SERVICES).content.decode()
    assert NOT_CONNECTED not in page
    assert DEMO_GOOGLE_EMAIL in page
    assert ">Connected<" in page
    assert f'href="{SETTINGS}"' in page
    assert "Synchronization settings" in page
    assert "Sync now" in page
    assert "Revoke Token" in page
