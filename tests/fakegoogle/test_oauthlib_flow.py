"""google-auth-oauthlib's ``Flow`` completes the web-server flow with PKCE on the emulator.

The browser is simulated with httpx: it opens the authorization URL, submits the consent
form as a person would (choose the account, keep or untick scopes, press a button) and
stops at the redirect back to the app, which points nowhere. Spec §1.2-1.3 and §6.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator

import httpx
import pytest
from google_auth_httplib2 import AuthorizedHttp
from google_auth_oauthlib.flow import Flow
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from oauthlib.oauth2.rfc6749.errors import AccessDeniedError, InvalidGrantError

from tandem.fakegoogle import CALENDAR_SCOPE, FakeGoogle, RunningServer

from .discovery import (
    ANN,
    BOB,
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    SCOPE,
    Recorder,
    RecordingHttp,
    consent,
    running_emulator,
)

READONLY = SCOPE + "calendar.readonly"
EVENTS_SCOPE = SCOPE + "calendar.events"
IDENTITY = ["openid", SCOPE + "userinfo.email"]


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeGoogle, RunningServer]]:
    # Plain http on loopback, and Google may grant a different scope set than requested.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    monkeypatch.setenv("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    with running_emulator() as pair:
        yield pair


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    with httpx.Client(follow_redirects=False) as client:
        yield client


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def _flow(base_url: str, scopes: list[str], recorder: Recorder) -> Flow:
    """The app's side; the token endpoint's answers are checked against their schema."""
    flow = Flow.from_client_config(
        {
            "web": {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "auth_uri": base_url + "/o/oauth2/v2/auth",
                "token_uri": base_url + "/token",
                "redirect_uris": [REDIRECT_URI],
            }
        },
        scopes=scopes,
        redirect_uri=REDIRECT_URI,
    )
    flow.oauth2session.hooks["response"].append(recorder.requests_hook)
    return flow


def _calendar_list(flow: Flow, base_url: str) -> list[str]:
    recorder = Recorder()
    service = build(
        "calendar",
        "v3",
        http=AuthorizedHttp(flow.credentials, http=RecordingHttp(recorder)),
        client_options={"api_endpoint": base_url + "/calendar/v3/"},
        static_discovery=True,
        cache_discovery=False,
    )
    return [entry["id"] for entry in service.calendarList().list().execute()["items"]]


def test_flow_with_pkce_yields_working_offline_credentials(
    emulator: tuple[FakeGoogle, RunningServer], browser: httpx.Client, recorder: Recorder
) -> None:
    """authorization_url (S256 challenge) → consent → fetch_token → calendarList works."""
    _, server = emulator
    flow = _flow(server.base_url, [CALENDAR_SCOPE, *IDENTITY], recorder)
    url, state = flow.authorization_url(prompt="consent")
    query = httpx.URL(url).params
    assert query["code_challenge_method"] == "S256"
    assert query["access_type"] == "offline"
    assert flow.code_verifier is not None
    expected = base64.urlsafe_b64encode(hashlib.sha256(flow.code_verifier.encode()).digest())
    assert query["code_challenge"] == expected.decode().rstrip("=")

    location = consent(browser, url, account=ANN)
    back = httpx.URL(location)
    assert str(back.copy_with(query=None)) == REDIRECT_URI
    assert back.params["state"] == state and back.params["code"]

    flow.fetch_token(authorization_response=location)
    credentials = flow.credentials
    assert credentials.token and credentials.refresh_token
    assert credentials.token_uri == server.base_url + "/token"
    assert set(credentials.granted_scopes or []) == {CALENDAR_SCOPE, *IDENTITY}
    assert flow.oauth2session.token.get("id_token")
    assert _calendar_list(flow, server.base_url) == [ANN]
    assert [seen.schema for seen in recorder.seen] == ["Token"]


def test_a_wrong_code_verifier_is_refused(
    emulator: tuple[FakeGoogle, RunningServer], browser: httpx.Client, recorder: Recorder
) -> None:
    """The code is bound to the PKCE challenge: another verifier gets invalid_grant."""
    _, server = emulator
    flow = _flow(server.base_url, [CALENDAR_SCOPE], recorder)
    url, _ = flow.authorization_url()
    location = consent(browser, url, account=ANN)
    flow.code_verifier = "x" * 64  # not the verifier behind the challenge
    with pytest.raises(InvalidGrantError):
        flow.fetch_token(authorization_response=location)
    assert [seen.schema for seen in recorder.seen] == ["OAuthError"]


def test_the_chosen_account_is_the_one_the_credentials_act_for(
    emulator: tuple[FakeGoogle, RunningServer], browser: httpx.Client, recorder: Recorder
) -> None:
    """Choosing Bob on the consent page gives credentials that see Bob's calendars."""
    _, server = emulator
    flow = _flow(server.base_url, [CALENDAR_SCOPE], recorder)
    url, _ = flow.authorization_url()
    flow.fetch_token(authorization_response=consent(browser, url, account=BOB))
    assert _calendar_list(flow, server.base_url) == [BOB]


def test_denial_redirects_with_access_denied_and_fetch_token_raises(
    emulator: tuple[FakeGoogle, RunningServer], browser: httpx.Client, recorder: Recorder
) -> None:
    """Pressing Cancel: the app gets error=access_denied with its state, and no token."""
    google, server = emulator
    flow = _flow(server.base_url, [CALENDAR_SCOPE], recorder)
    url, state = flow.authorization_url()
    location = consent(browser, url, account=ANN, allow=False)
    params = httpx.URL(location).params
    assert params["error"] == "access_denied" and params["state"] == state
    assert "code" not in params
    with pytest.raises(AccessDeniedError):
        flow.fetch_token(authorization_response=location)
    assert not [entry for entry in google.request_log if entry.path == "/token"]


def test_an_unticked_scope_is_left_out_of_the_grant(
    emulator: tuple[FakeGoogle, RunningServer], browser: httpx.Client, recorder: Recorder
) -> None:
    """Granular consent: unticking calendar.events grants only the rest; writes get 403."""
    _, server = emulator
    flow = _flow(server.base_url, [READONLY, EVENTS_SCOPE, *IDENTITY], recorder)
    url, _ = flow.authorization_url()
    location = consent(browser, url, account=ANN, untick=(EVENTS_SCOPE,))
    assert set(httpx.URL(location).params["scope"].split()) == {READONLY, *IDENTITY}

    flow.fetch_token(authorization_response=location)
    assert set(flow.credentials.granted_scopes or []) == {READONLY, *IDENTITY}
    assert _calendar_list(flow, server.base_url) == [ANN]
    service = build(
        "calendar",
        "v3",
        http=AuthorizedHttp(flow.credentials, http=RecordingHttp(Recorder())),
        client_options={"api_endpoint": server.base_url + "/calendar/v3/"},
        static_discovery=True,
        cache_discovery=False,
    )
    body = {
        "summary": "not allowed",
        "start": {"dateTime": "2030-01-01T10:00:00Z"},
        "end": {"dateTime": "2030-01-01T11:00:00Z"},
    }
    with pytest.raises(HttpError) as caught:
        service.events().insert(calendarId="primary", body=body).execute()
    assert caught.value.resp.status == 403
    assert caught.value.error_details[0]["reason"] == "insufficientPermissions"


def test_without_relaxed_scope_checking_oauthlib_rejects_a_narrower_grant(
    emulator: tuple[FakeGoogle, RunningServer],
    browser: httpx.Client,
    recorder: Recorder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Why OAUTHLIB_RELAX_TOKEN_SCOPE is needed: the emulator, like Google, answers with the
    scope actually granted, and strict oauthlib refuses a set that differs."""
    _, server = emulator
    monkeypatch.delenv("OAUTHLIB_RELAX_TOKEN_SCOPE")
    flow = _flow(server.base_url, [READONLY, EVENTS_SCOPE], recorder)
    url, _ = flow.authorization_url()
    location = consent(browser, url, account=ANN, untick=(EVENTS_SCOPE,))
    with pytest.raises(Warning, match="Scope has changed"):
        flow.fetch_token(authorization_response=location)
