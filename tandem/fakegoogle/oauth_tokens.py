"""Codes, access tokens and refresh tokens: issuing, exchanging, refreshing and their deaths.

Sources: https://developers.google.com/identity/protocols/oauth2/web-server (token
endpoint, PKCE, revocation) and https://developers.google.com/identity/protocols/oauth2#expiration
(why refresh tokens stop working). Callers hold ``state.lock``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from werkzeug.datastructures import MultiDict

from tandem.fakegoogle import errors
from tandem.fakegoogle.errors import OAuthError
from tandem.fakegoogle.idtoken import Signer, at_hash
from tandem.fakegoogle.store import AccessToken, AuthCode, Grant, RefreshToken, State
from tandem.fakegoogle.util import random_token

SCOPE_PREFIX = "https://www.googleapis.com/auth/"
BASIC_SCOPES = {
    "openid",
    "email",
    "profile",
    SCOPE_PREFIX + "userinfo.email",
    SCOPE_PREFIX + "userinfo.profile",
}
CODE_LIFETIME = 600  # seconds; Google's codes are short-lived and single use
TESTING_REFRESH_LIFETIME = 7 * 24 * 3600
IDLE_LIMIT = 183 * 24 * 3600  # six months unused
INVALID_GRANT = "Token has been expired or revoked."


def normalise_scopes(scopes: list[str]) -> list[str]:
    """Google answers with full URLs for the short aliases ``email`` and ``profile``."""
    aliases = {
        "email": SCOPE_PREFIX + "userinfo.email",
        "profile": SCOPE_PREFIX + "userinfo.profile",
    }
    seen: list[str] = []
    for scope in scopes:
        full = aliases.get(scope, scope)
        if full and full not in seen:
            seen.append(full)
    return seen


def issue_code(state: State, *, now: float, **fields: Any) -> str:
    code = random_token("4/0A", 48)
    state.auth_codes[code] = AuthCode(code=code, expires_at=now + CODE_LIFETIME, **fields)
    return code


def _client(state: State, form: MultiDict[str, str], auth_header: str | None) -> str:
    client_id, secret = form.get("client_id"), form.get("client_secret")
    if auth_header and auth_header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(auth_header[6:]).decode()
            client_id, _, secret = decoded.partition(":")
        except (ValueError, UnicodeDecodeError) as exc:
            raise OAuthError(401, "invalid_client", "Unauthorized") from exc
    if not client_id:
        raise OAuthError(400, "invalid_request", "Missing required parameter: client_id")
    client = state.clients.get(client_id)
    if client is None:
        raise OAuthError(401, "invalid_client", "The OAuth client was not found.")
    if not hmac.compare_digest(client.client_secret, secret or ""):
        raise OAuthError(401, "invalid_client", "Unauthorized")
    return client_id


def _verify_pkce(code: AuthCode, verifier: str | None) -> None:
    if code.code_challenge is None:
        return
    if not verifier:
        raise OAuthError(400, "invalid_grant", "Missing code verifier.")
    if code.code_challenge_method == "S256":
        digest = hashlib.sha256(verifier.encode()).digest()
        computed = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    else:
        computed = verifier
    if not hmac.compare_digest(computed, code.code_challenge):
        raise OAuthError(400, "invalid_grant", "Invalid code verifier.")


def mint_access(
    state: State,
    *,
    email: str,
    scopes: list[str],
    client_id: str | None,
    now: float,
    ttl: int,
    refresh_token: str | None = None,
) -> AccessToken:
    token = AccessToken(
        token=random_token("ya29.a0", 96),
        client_id=client_id,
        email=email.lower(),
        scopes=list(scopes),
        expires_at=now + ttl,
        refresh_token=refresh_token,
    )
    state.access_tokens[token.token] = token
    return token


def _mint_refresh(
    state: State, *, email: str, client_id: str, scopes: list[str], now: float
) -> RefreshToken:
    rules = state.token_rules
    expires_at = None
    if rules.testing_mode and not set(scopes) <= BASIC_SCOPES:
        expires_at = now + TESTING_REFRESH_LIFETIME
    token = RefreshToken(
        token=random_token("1//0", 72),
        client_id=client_id,
        email=email,
        scopes=list(scopes),
        issued_at=now,
        last_used_at=now,
        expires_at=expires_at,
    )
    state.refresh_tokens[token.token] = token
    live = sorted(
        (
            t
            for t in state.refresh_tokens.values()
            if t.client_id == client_id and t.email == email and t.dead is None
        ),
        key=lambda t: t.issued_at,
    )
    # The 101st live token silently evicts the oldest (per account and client).
    for victim in live[: max(0, len(live) - rules.eviction_limit)]:
        _kill_refresh(state, victim, "evicted")
    return token


def _kill_refresh(state: State, token: RefreshToken, why: str) -> None:
    token.dead = why
    for access in state.access_tokens.values():
        if access.refresh_token == token.token:
            access.dead = why


def _token_response(
    state: State,
    signer: Signer,
    *,
    issuer: str,
    email: str,
    client_id: str,
    scopes: list[str],
    now: float,
    ttl: int,
    refresh: RefreshToken | None,
    include_refresh: bool,
    nonce: str | None = None,
) -> dict[str, Any]:
    access = mint_access(
        state,
        email=email,
        scopes=scopes,
        client_id=client_id,
        now=now,
        ttl=ttl,
        refresh_token=refresh.token if refresh else None,
    )
    body: dict[str, Any] = {
        "access_token": access.token,
        "expires_in": ttl - 1,
        "scope": " ".join(scopes),
        "token_type": "Bearer",
    }
    if include_refresh and refresh is not None:
        body["refresh_token"] = refresh.token
        if refresh.expires_at is not None:
            body["refresh_token_expires_in"] = int(refresh.expires_at - now)
    if "openid" in scopes:
        account = state.accounts[email]
        claims: dict[str, Any] = {
            "iss": issuer,
            "azp": client_id,
            "aud": client_id,
            "sub": account.sub,
            "at_hash": at_hash(access.token),
            "iat": int(now),
            "exp": int(now) + 3600,
        }
        if SCOPE_PREFIX + "userinfo.email" in scopes:
            claims.update(email=account.email, email_verified=True)
        if SCOPE_PREFIX + "userinfo.profile" in scopes and account.name:
            claims["name"] = account.name
        if nonce:
            claims["nonce"] = nonce
        body["id_token"] = signer.sign(claims)
    return body


def exchange_code(
    state: State,
    signer: Signer,
    form: MultiDict[str, str],
    *,
    auth_header: str | None,
    now: float,
    ttl: int,
    issuer: str,
) -> dict[str, Any]:
    client_id = _client(state, form, auth_header)
    raw = form.get("code")
    if not raw:
        raise OAuthError(400, "invalid_request", "Missing required parameter: code")
    code = state.auth_codes.pop(raw, None)  # single use, even when the exchange fails
    if code is None or code.expires_at < now or code.client_id != client_id:
        raise OAuthError(400, "invalid_grant", "Malformed auth code.")
    if form.get("redirect_uri") != code.redirect_uri:
        raise OAuthError(400, "redirect_uri_mismatch", "Bad Request")
    _verify_pkce(code, form.get("code_verifier"))
    refresh = None
    if code.issue_refresh_token:
        refresh = _mint_refresh(
            state, email=code.email, client_id=client_id, scopes=code.scopes, now=now
        )
    return _token_response(
        state,
        signer,
        issuer=issuer,
        email=code.email,
        client_id=client_id,
        scopes=code.scopes,
        now=now,
        ttl=ttl,
        refresh=refresh,
        include_refresh=True,
        nonce=code.nonce,
    )


def refresh_access(
    state: State,
    signer: Signer,
    form: MultiDict[str, str],
    *,
    auth_header: str | None,
    now: float,
    ttl: int,
    issuer: str,
) -> dict[str, Any]:
    client_id = _client(state, form, auth_header)
    raw = form.get("refresh_token")
    if not raw:
        raise OAuthError(400, "invalid_request", "Missing required parameter: refresh_token")
    token = state.refresh_tokens.get(raw)
    if token is None or token.client_id != client_id:
        raise OAuthError(400, "invalid_grant", "Bad Request")
    rules = state.token_rules
    if token.dead is None and token.expires_at is not None and now >= token.expires_at:
        _kill_refresh(state, token, "expired")
    if token.dead is None and rules.idle_expiry and now - token.last_used_at > IDLE_LIMIT:
        _kill_refresh(state, token, "idle")
    if token.dead is not None:
        raise OAuthError(400, "invalid_grant", INVALID_GRANT)
    if rules.reauth_required:
        raise OAuthError(
            400, "invalid_grant", "reauth related error (invalid_rapt)", "invalid_rapt"
        )
    scopes = token.scopes
    requested = form.get("scope")
    if requested:
        narrowed = normalise_scopes(requested.split())
        if not set(narrowed) <= set(token.scopes):
            raise OAuthError(400, "invalid_scope", "Bad Request")
        scopes = narrowed
    token.last_used_at = now
    return _token_response(
        state,
        signer,
        issuer=issuer,
        email=token.email,
        client_id=client_id,
        scopes=scopes,
        now=now,
        ttl=ttl,
        refresh=token,
        include_refresh=False,
    )


def revoke_grant(state: State, *, client_id: str | None, email: str, why: str = "revoked") -> None:
    """Everything the account granted the client dies: refresh and access tokens, the grant."""
    email = email.lower()
    for refresh in state.refresh_tokens.values():
        if refresh.email == email and (client_id is None or refresh.client_id == client_id):
            _kill_refresh(state, refresh, why)
    for access in state.access_tokens.values():
        if access.email == email and (client_id is None or access.client_id == client_id):
            access.dead = why
    for key, grant in list(state.grants.items()):
        if grant.email == email and (client_id is None or grant.client_id == client_id):
            del state.grants[key]


def revoke(state: State, raw: str | None) -> None:
    if not raw:
        raise OAuthError(400, "invalid_request", "Missing required parameter: token")
    found: AccessToken | RefreshToken | None = state.access_tokens.get(
        raw
    ) or state.refresh_tokens.get(raw)
    if found is None or found.dead is not None:
        raise OAuthError(400, "invalid_token", "Token expired or revoked")
    revoke_grant(state, client_id=found.client_id, email=found.email)


def authenticate(state: State, raw: str | None, *, now: float) -> AccessToken:
    """The live access token behind a bearer header, or Google's 401."""
    if not raw:
        raise errors.login_required()
    token = state.access_tokens.get(raw)
    if token is None or token.dead is not None or token.expires_at <= now:
        raise errors.invalid_credentials()
    return token


def record_grant(state: State, *, client_id: str, email: str, scopes: list[str]) -> Grant:
    key = state.grant_key(client_id, email)
    grant = state.grants.get(key)
    if grant is None:
        grant = state.grants[key] = Grant(client_id=client_id, email=email.lower(), scopes=[])
    grant.scopes = normalise_scopes([*grant.scopes, *scopes])
    return grant
