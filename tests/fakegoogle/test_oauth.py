"""OAuth 2.0 web-server flow, tokens and their deaths, userinfo, id_token, discovery."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from google.auth import jwt as google_jwt

from tandem.fakegoogle import CALENDAR_SCOPE, FakeGoogle

from .conftest import ANN, API, BOB, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, client_for

SCOPES = f"openid email {CALENDAR_SCOPE}"
VERIFIER = "v" * 64
S256 = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).decode().rstrip("=")


def _authorize(browser: httpx.Client, **overrides: str) -> httpx.Response:
    params = {
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": SCOPES,
        "state": "st-123",
        "access_type": "offline",
        "code_challenge": S256,
        "code_challenge_method": "S256",
        **overrides,
    }
    return browser.get("/o/oauth2/v2/auth", params={k: v for k, v in params.items() if v})


def _consent(
    browser: httpx.Client, page: httpx.Response, *, action: str = "allow", **form: Any
) -> httpx.Response:
    assert page.status_code == 200, page.text
    consent_id = re.search(r"name=consent_id value='([^']+)'", page.text)
    assert consent_id
    scopes = re.findall(r"type=checkbox name=scope value='([^']+)'", page.text)
    data: dict[str, Any] = {
        "consent_id": consent_id.group(1),
        "action": action,
        "account": ANN,
        "scope": scopes,
    }
    data.update(form)
    return browser.post("/o/oauth2/v2/auth", data=data)


def _redirect_params(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def _code(browser: httpx.Client, **overrides: str) -> dict[str, str]:
    """Authorize and click Allow; an account that already consented is sent straight back."""
    page = _authorize(browser, **overrides)
    if page.status_code == 302:
        return _redirect_params(page)
    return _redirect_params(_consent(browser, page))


def _exchange(
    browser: httpx.Client, code: str, verifier: str = VERIFIER, **extra: str
) -> httpx.Response:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
        **extra,
    }
    return browser.post("/token", data=data)


def _refresh(browser: httpx.Client, refresh_token: str) -> httpx.Response:
    return browser.post(
        "/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
    )


@pytest.fixture
def browser(google: FakeGoogle) -> httpx.Client:
    return client_for(google)


def test_consent_page_lists_scopes_and_preselects_the_only_account(browser: httpx.Client) -> None:
    """The consent page shows every requested scope and the signed-in account, checked."""
    page = _authorize(browser)
    assert page.status_code == 200
    assert "text/html" in page.headers["Content-Type"]
    assert CALENDAR_SCOPE in page.text
    assert f"value='{ANN}' checked" in page.text


def test_allow_redirects_with_code_scope_and_state(browser: httpx.Client) -> None:
    """Allow redirects to the registered URI with code, granted scope and the same state."""
    params = _code(browser)
    assert params["state"] == "st-123"
    assert params["code"]
    assert set(params["scope"].split()) == {
        "openid",
        "https://www.googleapis.com/auth/userinfo.email",
        CALENDAR_SCOPE,
    }


def test_deny_redirects_with_access_denied(browser: httpx.Client) -> None:
    """Deny redirects with error=access_denied and the state."""
    params = _redirect_params(_consent(browser, _authorize(browser), action="deny"))
    assert params == {"error": "access_denied", "state": "st-123"}


def test_unticked_calendar_scope_is_not_granted(browser: httpx.Client, google: FakeGoogle) -> None:
    """Granular consent: unticking the calendar scope leaves a token that gets 403 on the API."""
    page = _authorize(browser)
    params = _redirect_params(_consent(browser, page, scope=[]))
    assert CALENDAR_SCOPE not in params["scope"].split()
    token = _exchange(browser, params["code"]).json()
    assert CALENDAR_SCOPE not in token["scope"].split()
    with client_for(google, token["access_token"]) as api:
        response = api.get(f"{API}/users/me/calendarList")
    assert response.status_code == 403
    assert response.json()["error"]["errors"][0]["reason"] == "insufficientPermissions"
    assert response.json()["error"]["status"] == "PERMISSION_DENIED"


def test_unknown_client_and_redirect_mismatch_show_error_pages(browser: httpx.Client) -> None:
    """No redirect for an unknown client or an unregistered redirect URI: an error page."""
    unknown = _authorize(browser, client_id="nobody")
    assert unknown.status_code == 401 and "invalid_client" in unknown.text
    assert "Location" not in unknown.headers
    for uri in (REDIRECT_URI + "/", REDIRECT_URI.upper(), "https://evil.example/cb"):
        mismatch = _authorize(browser, redirect_uri=uri)
        assert mismatch.status_code == 400 and "redirect_uri_mismatch" in mismatch.text
        assert "Location" not in mismatch.headers


def test_error_page_escapes_hostile_text(browser: httpx.Client) -> None:
    """Request text shown on the error page is escaped."""
    page = _authorize(browser, redirect_uri="http://x/<script>alert(1)</script>")
    assert "<script>" not in page.text and "&lt;script&gt;" in page.text


def test_code_exchange_returns_tokens_and_id_token(
    browser: httpx.Client, google: FakeGoogle
) -> None:
    """The code grant returns access, refresh and a verifiable id_token for openid."""
    body = _exchange(browser, _code(browser)["code"]).json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3599
    assert body["refresh_token"].startswith("1//")
    certs = browser.get("/oauth2/v1/certs").json()
    claims = google_jwt.decode(body["id_token"], certs=certs, audience=CLIENT_ID)
    assert claims["iss"] == "https://accounts.google.com"
    assert claims["email"] == ANN and claims["email_verified"] is True
    assert claims["sub"] == google.state.accounts[ANN].sub


def test_jwks_carries_the_signing_key(browser: httpx.Client) -> None:
    """The v3 certs are a JWK Set whose kid matches the id_token header."""
    body = _exchange(browser, _code(browser)["code"]).json()
    header = google_jwt.decode_header(body["id_token"])
    keys = browser.get("/oauth2/v3/certs").json()["keys"]
    assert header["alg"] == "RS256"
    assert [k["kid"] for k in keys] == [header["kid"]]


def test_no_id_token_without_openid(browser: httpx.Client) -> None:
    """Without the openid scope the token response has no id_token."""
    body = _exchange(browser, _code(browser, scope=CALENDAR_SCOPE)["code"]).json()
    assert "id_token" not in body


def test_code_is_single_use(browser: httpx.Client) -> None:
    """A second exchange of the same code is invalid_grant."""
    code = _code(browser)["code"]
    assert _exchange(browser, code).status_code == 200
    reuse = _exchange(browser, code)
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"


def test_code_expires(browser: httpx.Client, google: FakeGoogle) -> None:
    """A code older than ten minutes is invalid_grant."""
    code = _code(browser)["code"]
    google.advance_clock(seconds=601)
    assert _exchange(browser, code).json()["error"] == "invalid_grant"


def test_wrong_pkce_verifier_is_invalid_grant(browser: httpx.Client) -> None:
    """The S256 challenge is checked against code_verifier."""
    response = _exchange(browser, _code(browser)["code"], verifier="w" * 64)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_plain_pkce(browser: httpx.Client) -> None:
    """A plain challenge (also the default without a method) must equal the verifier."""
    code = _code(browser, code_challenge=VERIFIER, code_challenge_method="")["code"]
    assert _exchange(browser, code, verifier="x" * 64).status_code == 400
    code = _code(browser, code_challenge=VERIFIER, code_challenge_method="plain")["code"]
    assert _exchange(browser, code).status_code == 200


def test_redirect_uri_must_match_the_authorize_one(browser: httpx.Client) -> None:
    """A token request with another redirect_uri is redirect_uri_mismatch."""
    code = _code(browser)["code"]
    response = _exchange(browser, code, redirect_uri="http://127.0.0.1:9/other")
    assert response.status_code == 400 and response.json()["error"] == "redirect_uri_mismatch"


def test_bad_client_credentials(browser: httpx.Client) -> None:
    """Unknown client or wrong secret answer 401 invalid_client; bad grant type 400."""
    code = _code(browser)["code"]
    assert _exchange(browser, code, client_secret="nope").json()["error"] == "invalid_client"
    assert _exchange(browser, code, client_id="nobody").status_code == 401
    response = browser.post(
        "/token",
        data={"grant_type": "password", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
    )
    assert response.json()["error"] == "unsupported_grant_type"


def test_refresh_token_only_on_first_offline_consent(browser: httpx.Client) -> None:
    """Offline access gives a refresh token the first time, not again unless prompt=consent."""
    assert "refresh_token" in _exchange(browser, _code(browser)["code"]).json()
    again = _exchange(browser, _code(browser, prompt="select_account")["code"]).json()
    assert "refresh_token" not in again
    forced = _exchange(browser, _code(browser, prompt="consent")["code"]).json()
    assert "refresh_token" in forced
    online = _exchange(
        browser, _code(browser, access_type="online", prompt="consent")["code"]
    ).json()
    assert "refresh_token" not in online


def test_refresh_returns_new_access_token_without_refresh_token(
    browser: httpx.Client, google: FakeGoogle
) -> None:
    """A refresh grant returns a working access token and omits refresh_token."""
    first = _exchange(browser, _code(browser)["code"]).json()
    refreshed = _refresh(browser, first["refresh_token"])
    assert refreshed.status_code == 200
    body = refreshed.json()
    assert "refresh_token" not in body
    assert body["access_token"] != first["access_token"]
    with client_for(google, body["access_token"]) as api:
        assert api.get(f"{API}/users/me/calendarList").status_code == 200


def test_second_visit_skips_consent(browser: httpx.Client) -> None:
    """Once granted, the same request redirects straight back (browser signed in, consented)."""
    _code(browser)
    response = _authorize(browser)
    assert response.status_code == 302
    assert "code=" in response.headers["Location"]


def test_prompt_none_without_consent_is_an_error_redirect(browser: httpx.Client) -> None:
    """prompt=none cannot show a page: consent_required comes back to the redirect URI."""
    params = _redirect_params(_authorize(browser, prompt="none"))
    assert params["error"] == "consent_required"


def test_account_chooser_when_several_accounts(browser: httpx.Client, google: FakeGoogle) -> None:
    """With two accounts none is preselected, and login_hint picks one."""
    google.create_account(email=BOB, name="Bob")
    page = _authorize(browser)
    assert "checked>" not in page.text.split("</fieldset>")[0]
    hinted = _authorize(browser, login_hint=BOB)
    assert f"value='{BOB}' checked" in hinted.text
    params = _redirect_params(_consent(browser, hinted, account=BOB))
    token = _exchange(browser, params["code"]).json()
    userinfo = browser.get(
        "/v1/userinfo", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert userinfo.json()["email"] == BOB


def test_userinfo(browser: httpx.Client, google: FakeGoogle) -> None:
    """UserInfo returns sub, email and email_verified for a token with the email scope."""
    token = _exchange(browser, _code(browser)["code"]).json()["access_token"]
    body = browser.get("/v1/userinfo", headers={"Authorization": f"Bearer {token}"}).json()
    assert body == {"sub": google.state.accounts[ANN].sub, "email": ANN, "email_verified": True}
    assert browser.get("/v1/userinfo", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_revoke_kills_every_token_of_the_grant(browser: httpx.Client, google: FakeGoogle) -> None:
    """Revoking the access token also kills the refresh token and other access tokens."""
    first = _exchange(browser, _code(browser)["code"]).json()
    other = _refresh(browser, first["refresh_token"]).json()["access_token"]
    assert browser.post("/revoke", data={"token": first["access_token"]}).status_code == 200
    refreshed = _refresh(browser, first["refresh_token"])
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    with client_for(google, other) as api:
        response = api.get(f"{API}/users/me/calendarList")
    assert response.status_code == 401
    assert response.json()["error"]["errors"][0]["reason"] == "authError"
    again = browser.post("/revoke", data={"token": first["access_token"]})
    assert again.status_code == 400 and again.json()["error"] == "invalid_token"


def test_access_token_expiry_gives_401(google: FakeGoogle) -> None:
    """An access token past its lifetime answers 401 authError 'Invalid Credentials'."""
    token = google.mint_access_token(email=ANN, scopes=[CALENDAR_SCOPE])
    google.advance_clock(seconds=3601)
    with client_for(google, token) as api:
        response = api.get(f"{API}/users/me/calendarList")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Invalid Credentials"
    with client_for(google) as anonymous:
        assert anonymous.get(f"{API}/users/me/calendarList").status_code == 401


def test_testing_mode_refresh_tokens_die_after_seven_days(
    browser: httpx.Client, google: FakeGoogle
) -> None:
    """A project in Testing status gets refresh tokens that expire after 7 days."""
    google.set_token_rules(testing_mode=True)
    refresh_token = _exchange(browser, _code(browser)["code"]).json()["refresh_token"]
    google.advance_clock(seconds=6 * 86400)
    assert _refresh(browser, refresh_token).status_code == 200
    google.advance_clock(seconds=2 * 86400)
    response = _refresh(browser, refresh_token)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_testing_mode_spares_basic_scopes(browser: httpx.Client, google: FakeGoogle) -> None:
    """Only-profile/email/openid tokens are not subject to the 7-day rule."""
    google.set_token_rules(testing_mode=True)
    refresh_token = _exchange(browser, _code(browser, scope="openid email")["code"]).json()[
        "refresh_token"
    ]
    google.advance_clock(seconds=8 * 86400)
    assert _refresh(browser, refresh_token).status_code == 200


def test_oldest_refresh_token_is_evicted(browser: httpx.Client, google: FakeGoogle) -> None:
    """Past the live-token limit the oldest refresh token silently stops working."""
    google.set_token_rules(eviction_limit=2)
    tokens = [
        _exchange(browser, _code(browser, prompt="consent")["code"]).json()["refresh_token"]
        for _ in range(3)
    ]
    assert _refresh(browser, tokens[0]).json()["error"] == "invalid_grant"
    assert _refresh(browser, tokens[1]).status_code == 200
    assert _refresh(browser, tokens[2]).status_code == 200


def test_idle_refresh_token_dies_after_six_months(
    browser: httpx.Client, google: FakeGoogle
) -> None:
    """A refresh token unused for six months is invalid_grant."""
    refresh_token = _exchange(browser, _code(browser)["code"]).json()["refresh_token"]
    google.advance_clock(seconds=184 * 86400)
    assert _refresh(browser, refresh_token).json()["error"] == "invalid_grant"


def test_reauth_policy_gives_invalid_rapt(browser: httpx.Client, google: FakeGoogle) -> None:
    """A session-control policy makes refresh fail with invalid_grant / invalid_rapt."""
    refresh_token = _exchange(browser, _code(browser)["code"]).json()["refresh_token"]
    google.set_token_rules(reauth_required=True)
    body = _refresh(browser, refresh_token).json()
    assert body["error"] == "invalid_grant" and body["error_subtype"] == "invalid_rapt"


def test_control_revoke_acts_like_the_user_removing_access(
    browser: httpx.Client, google: FakeGoogle
) -> None:
    """revoke_tokens kills the grant as if the person removed the app in their account."""
    refresh_token = _exchange(browser, _code(browser)["code"]).json()["refresh_token"]
    google.revoke_tokens(email=ANN)
    assert _refresh(browser, refresh_token).json()["error"] == "invalid_grant"


def test_openid_configuration_points_at_the_emulator(browser: httpx.Client) -> None:
    """The discovery document names the emulator's own endpoints."""
    body = browser.get("/.well-known/openid-configuration").json()
    assert body["token_endpoint"] == "http://fakegoogle.test/token"
    assert body["authorization_endpoint"] == "http://fakegoogle.test/o/oauth2/v2/auth"
    assert body["jwks_uri"] == "http://fakegoogle.test/oauth2/v3/certs"
    assert "S256" in body["code_challenge_methods_supported"]
