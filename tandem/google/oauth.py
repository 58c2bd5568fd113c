"""OAuth 2.0 web-server flow with Google, on Authlib's httpx client.

Follows https://developers.google.com/identity/protocols/oauth2/web-server and RFC 9700:
one-time ``state``, PKCE S256, ``access_type=offline``; refreshed tokens go back to the
caller through ``update_token`` so they are saved at once (Authlib's pattern).
"""

from __future__ import annotations

import secrets
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import authlib.deprecate  # noqa: F401 - installs its filter before ours overrides it
import httpx
from authlib.common.security import generate_token

with warnings.catch_warnings():
    # Authlib 1.9 prefers the httpx2 fork and warns when it falls back to httpx, which is the
    # client the project decided on (and whose WSGITransport runs the emulator in-process).
    warnings.simplefilter("ignore")
    from authlib.integrations.httpx_client import OAuth2Client
    from authlib.integrations.httpx_client import OAuthError as AuthlibOAuthError

from tandem.google.endpoints import GoogleEndpoints
from tandem.google.errors import (
    BadRequest,
    GoogleError,
    InvalidGrant,
    MalformedResponse,
    NetworkError,
    error_from_response,
    json_object_from,
)

CALENDAR_SCOPES = (
    # The narrowest set that does the job (scopes per method from the discovery document):
    # events on any calendar the user picks (read, write, watch); the calendar list, read
    # only; calendars.insert for the dedicated CRM calendar. Not the all-powerful `calendar`.
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar.calendarlist.readonly",
    "https://www.googleapis.com/auth/calendar.calendars",
)
IDENTITY_SCOPES = ("openid", "email")
REQUESTED_SCOPES = (*IDENTITY_SCOPES, *CALENDAR_SCOPES)


@dataclass(frozen=True)
class AuthorizationRequest:
    url: str
    state: str
    code_verifier: str


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str | None
    expires_at: float
    scopes: frozenset[str]

    @classmethod
    def from_response(cls, token: dict[str, Any], *, previous_refresh: str | None) -> TokenSet:
        access = token.get("access_token")
        if not isinstance(access, str) or not access:
            raise MalformedResponse("Google's token response has no access_token.")
        expires_at = token.get("expires_at")
        if not isinstance(expires_at, int | float):
            expires_at = time.time() + float(token.get("expires_in") or 3600)
        scope = token.get("scope") or ""
        return cls(
            access_token=access,
            # Refresh responses omit refresh_token: keep the one we had (never lose it).
            refresh_token=token.get("refresh_token") or previous_refresh,
            expires_at=float(expires_at),
            scopes=frozenset(str(scope).split()),
        )


@dataclass(frozen=True)
class GoogleIdentity:
    sub: str
    email: str


class GoogleOAuth:
    def __init__(
        self,
        *,
        endpoints: GoogleEndpoints,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        http_transport: httpx.BaseTransport | None = None,
        timeout: float = 20.0,
    ) -> None:
        self.endpoints = endpoints
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        self._client_secret = client_secret
        self._transport = http_transport
        self._timeout = timeout

    def _session(self, **kwargs: Any) -> OAuth2Client:
        session = OAuth2Client(
            client_id=self.client_id,
            client_secret=self._client_secret,
            redirect_uri=self.redirect_uri,
            scope=" ".join(REQUESTED_SCOPES),
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_post",
            transport=self._transport,
            timeout=self._timeout,
            **kwargs,
        )
        # Authlib raises a bare ValueError for a 200 whose body is not a JSON object (a
        # proxy's page): the hooks see the answer first and make it a project error.
        session.register_compliance_hook("access_token_response", _token_answer_checked)
        session.register_compliance_hook("refresh_token_response", _token_answer_checked)
        return session

    def authorization_request(
        self, *, first_connect: bool, login_hint: str | None = None
    ) -> AuthorizationRequest:
        """A consent URL with a fresh one-time state and PKCE verifier."""
        state = secrets.token_urlsafe(32)
        verifier = generate_token(64)
        extra: dict[str, str] = {"access_type": "offline", "include_granted_scopes": "true"}
        if first_connect:
            # Google returns a refresh token only on consent: force it the first time.
            extra["prompt"] = "consent"
        if login_hint:
            extra["login_hint"] = login_hint
        with self._session() as session:
            url, _ = session.create_authorization_url(
                self.endpoints.authorize_url, state=state, code_verifier=verifier, **extra
            )
        return AuthorizationRequest(url=url, state=state, code_verifier=verifier)

    def exchange_code(self, *, code: str, code_verifier: str) -> TokenSet:
        with self._session() as session:
            try:
                token = session.fetch_token(
                    self.endpoints.token_url,
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=code_verifier,
                )
            except AuthlibOAuthError as error:
                raise _oauth_error(error) from error
            except httpx.HTTPStatusError as error:
                # A 5xx or a body that is not JSON (Authlib raises these as they come).
                raise error_from_response(error.response) from error
            except httpx.TransportError as error:
                raise NetworkError("Google's token endpoint did not answer.") from error
        return TokenSet.from_response(dict(token), previous_refresh=None)

    def refresh(self, *, refresh_token: str) -> TokenSet:
        with self._session() as session:
            try:
                token = session.refresh_token(self.endpoints.token_url, refresh_token=refresh_token)
            except AuthlibOAuthError as error:
                raise _oauth_error(error) from error
            except httpx.HTTPStatusError as error:
                # A 5xx or a body that is not JSON (Authlib raises these as they come).
                raise error_from_response(error.response) from error
            except httpx.TransportError as error:
                raise NetworkError("Google's token endpoint did not answer.") from error
        return TokenSet.from_response(dict(token), previous_refresh=refresh_token)

    def revoke(self, *, token: str) -> None:
        """Revokes the grant. 400 invalid_token means it is already dead: fine."""
        try:
            with httpx.Client(transport=self._transport, timeout=self._timeout) as http:
                response = http.post(self.endpoints.revoke_url, data={"token": token})
        except httpx.TransportError as error:
            raise NetworkError("Google's revoke endpoint did not answer.") from error
        if response.status_code == 400:
            return
        if response.status_code >= 300:
            raise error_from_response(response)

    def identity(self, *, access_token: str) -> GoogleIdentity:
        try:
            with httpx.Client(transport=self._transport, timeout=self._timeout) as http:
                response = http.get(
                    self.endpoints.userinfo_url,
                    headers={"Authorization": f"Bearer {access_token}"},
                )
        except httpx.TransportError as error:
            raise NetworkError("Google's userinfo endpoint did not answer.") from error
        if response.status_code >= 300:
            raise error_from_response(response)
        info = json_object_from(response, source="Google's userinfo endpoint")
        sub, email = info.get("sub"), info.get("email")
        if not isinstance(sub, str) or not sub or not isinstance(email, str):
            raise MalformedResponse("Google's userinfo has no sub or email.")
        return GoogleIdentity(sub=sub, email=email)


def _token_answer_checked(response: httpx.Response) -> httpx.Response:
    """A successful token answer must be a JSON object (RFC 6749 §5.1); errors (4xx/5xx)
    go on to Authlib, which reads OAuth's error bodies."""
    if response.is_success:
        json_object_from(response, source="Google's token endpoint")
    return response


def _oauth_error(error: AuthlibOAuthError) -> GoogleError:
    code = getattr(error, "error", None) or "oauth_error"
    if isinstance(code, dict):
        # An API-style error body ({"error": {"code": 429, "errors": [...]}}), as a rate
        # limit or a gateway answers: classified like any other Google API error.
        status = code.get("code")
        status = status if isinstance(status, int) else 400
        return error_from_response(httpx.Response(status, json={"error": code}))
    description = getattr(error, "description", None) or str(error)
    if code == "invalid_grant":
        return InvalidGrant(f"Google refused the grant: {description}", reason=code, status=400)
    if code in {"temporarily_unavailable", "server_error", "internal_failure"}:
        return NetworkError(f"Google's token endpoint failed: {description}", reason=code)
    return BadRequest(f"Google's token endpoint said {code}: {description}", reason=code)


TokenSaver = Callable[[TokenSet], None]
