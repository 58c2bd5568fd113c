"""Google's OAuth 2.0 and OpenID Connect endpoints, as HTTP handlers.

Authorization endpoint rules: https://developers.google.com/identity/protocols/oauth2/web-server
(§ "Step 2", parameters and error pages). An unknown client or an unregistered
``redirect_uri`` gets an error page and never a redirect; every other outcome redirects.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from tandem.fakegoogle import consent, errors, oauth_tokens
from tandem.fakegoogle.errors import OAuthError
from tandem.fakegoogle.wire import ApiRequest, ApiResponse, json_response

if TYPE_CHECKING:
    from tandem.fakegoogle.emulator import FakeGoogle

ISSUER = "https://accounts.google.com"


def _html(status: int, text: str) -> ApiResponse:
    return ApiResponse(
        status,
        text.encode(),
        {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"},
    )


def _redirect(redirect_uri: str, params: dict[str, str]) -> ApiResponse:
    separator = "&" if "?" in redirect_uri else "?"
    location = (
        redirect_uri + separator + urlencode({k: v for k, v in params.items() if v is not None})
    )
    return ApiResponse(302, b"", {"Location": location, "Cache-Control": "no-store"})


def _with_state(params: dict[str, Any], extra: dict[str, str]) -> dict[str, str]:
    if params.get("state") is not None:
        extra["state"] = params["state"]
    return extra


def authorize_get(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    q = req.query
    params = {
        k: q.get(k)
        for k in (
            "client_id",
            "redirect_uri",
            "response_type",
            "scope",
            "access_type",
            "prompt",
            "state",
            "include_granted_scopes",
            "login_hint",
            "code_challenge",
            "code_challenge_method",
            "enable_granular_consent",
            "nonce",
        )
    }
    with emu.state.lock:
        client = emu.state.clients.get(params["client_id"] or "")
        if client is None:
            return _html(
                401, consent.error_page(401, "invalid_client", "The OAuth client was not found.")
            )
        if params["redirect_uri"] not in client.redirect_uris:
            return _html(
                400,
                consent.error_page(
                    400,
                    "redirect_uri_mismatch",
                    "You can't sign in to this app because it doesn't comply with Google's OAuth "
                    "2.0 policy. If you're the app developer, register the redirect URI in the "
                    f"Google Cloud Console. Request details: redirect_uri={params['redirect_uri']}",
                ),
            )
        redirect_uri = str(params["redirect_uri"])
        problem = _invalid_request(params)
        if problem:
            return _html(400, consent.error_page(400, "invalid_request", problem))
        if params["response_type"] != "code":
            return _redirect(
                redirect_uri, _with_state(params, {"error": "unsupported_response_type"})
            )
        scopes = oauth_tokens.normalise_scopes(str(params["scope"]).split())
        prompts = set((params["prompt"] or "").split())
        account = _preselected_account(emu, params["login_hint"])
        grant = (
            emu.state.grants.get(emu.state.grant_key(client.client_id, account))
            if account
            else None
        )
        covered = grant is not None and set(scopes) <= set(grant.scopes)
        if "none" in prompts:
            if account is None:
                return _redirect(redirect_uri, _with_state(params, {"error": "login_required"}))
            if not covered:
                return _redirect(redirect_uri, _with_state(params, {"error": "consent_required"}))
        if account and covered and not prompts & {"consent", "select_account"}:
            return _approve(emu, params, account=account, granted=scopes)
        consent_id = secrets.token_urlsafe(24)
        emu.state.pending_consents[consent_id] = {**params, "scopes": scopes}
        page = consent.consent_page(
            consent_id=consent_id,
            client_name=client.client_id,
            accounts=list(emu.state.accounts.values()),
            selected=account,
            scopes=scopes,
        )
    return _html(200, page)


def _invalid_request(params: dict[str, Any]) -> str | None:
    if not params["scope"]:
        return "Missing required parameter: scope"
    if not params["response_type"]:
        return "Required parameter is missing: response_type"
    prompts = (params["prompt"] or "").split()
    if "none" in prompts and len(prompts) > 1:
        return (
            "Invalid parameter value for prompt: None prompt cannot be combined with other values."
        )
    if params["code_challenge_method"] and params["code_challenge_method"] not in ("S256", "plain"):
        return "Invalid code_challenge_method"
    if params["code_challenge_method"] and not params["code_challenge"]:
        return "Missing code_challenge"
    if params["access_type"] not in (None, "online", "offline"):
        return f"Invalid access_type: {params['access_type']}"
    return None


def _preselected_account(emu: FakeGoogle, login_hint: str | None) -> str | None:
    """The account the browser is 'signed in' as: the login_hint, or the only account."""
    accounts = emu.state.accounts
    if login_hint:
        for account in accounts.values():
            if login_hint.lower() in (account.email, account.sub):
                return account.email
    if len(accounts) == 1:
        return next(iter(accounts))
    return None


def authorize_post(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    form = req.form()
    with emu.state.lock:
        params = emu.state.pending_consents.pop(form.get("consent_id") or "", None)
        if params is None:
            return _html(
                400,
                consent.error_page(
                    400, "invalid_request", "This consent request has expired or was already used."
                ),
            )
        redirect_uri = params["redirect_uri"]
        if form.get("action") != "allow":
            return _redirect(redirect_uri, _with_state(params, {"error": "access_denied"}))
        email = (form.get("account") or "").lower()
        if email not in emu.state.accounts:
            consent_id = secrets.token_urlsafe(24)
            emu.state.pending_consents[consent_id] = params
            page = consent.consent_page(
                consent_id=consent_id,
                client_name=params["client_id"],
                accounts=list(emu.state.accounts.values()),
                selected=None,
                scopes=params["scopes"],
                message="Choose an account to continue.",
            )
            return _html(200, page)
        ticked = set(form.getlist("scope"))
        if params.get("enable_granular_consent") == "false":
            ticked = set(params["scopes"])
        granted = [s for s in params["scopes"] if s in ticked or s in consent.LOCKED_SCOPES]
        return _approve(emu, params, account=email, granted=granted)


def _approve(
    emu: FakeGoogle, params: dict[str, Any], *, account: str, granted: list[str]
) -> ApiResponse:
    state = emu.state
    client_id = params["client_id"]
    previous = state.grants.get(state.grant_key(client_id, account))
    if params.get("include_granted_scopes") == "true" and previous is not None:
        granted = oauth_tokens.normalise_scopes([*granted, *previous.scopes])
    grant = oauth_tokens.record_grant(state, client_id=client_id, email=account, scopes=granted)
    prompts = set((params.get("prompt") or "").split())
    # A refresh token only for offline access, and only on first consent unless forced.
    issue_refresh = params.get("access_type") == "offline" and (
        not grant.refresh_token_issued or "consent" in prompts
    )
    if issue_refresh:
        grant.refresh_token_issued = True
    method = params.get("code_challenge_method") or (
        "plain" if params.get("code_challenge") else None
    )
    code = oauth_tokens.issue_code(
        state,
        now=emu.now_ts(),
        client_id=client_id,
        email=account,
        redirect_uri=params["redirect_uri"],
        scopes=granted,
        code_challenge=params.get("code_challenge"),
        code_challenge_method=method,
        issue_refresh_token=issue_refresh,
        nonce=params.get("nonce"),
    )
    emu.persist_soon()
    return _redirect(
        params["redirect_uri"],
        _with_state(
            params, {"code": code, "scope": " ".join(granted), "authuser": "0", "prompt": "consent"}
        ),
    )


def _oauth_error(exc: OAuthError) -> ApiResponse:
    return json_response(exc.body(), exc.status, headers={"Cache-Control": "no-store"})


def token(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    form = req.form()
    grant_type = form.get("grant_type")
    auth_header = req.headers.get("Authorization")
    try:
        with emu.state.lock:
            kwargs: dict[str, Any] = {
                "auth_header": auth_header,
                "now": emu.now_ts(),
                "ttl": emu.access_token_ttl,
                "issuer": ISSUER,
            }
            if grant_type == "authorization_code":
                body = oauth_tokens.exchange_code(emu.state, emu.signer, form, **kwargs)
            elif grant_type == "refresh_token":
                body = oauth_tokens.refresh_access(emu.state, emu.signer, form, **kwargs)
            elif not grant_type:
                raise OAuthError(400, "invalid_request", "Missing required parameter: grant_type")
            else:
                raise OAuthError(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")
            req.account = next(
                (t.email for t in [emu.state.access_tokens.get(body["access_token"])] if t), None
            )
            req.client_id = form.get("client_id")
    except OAuthError as exc:
        return _oauth_error(exc)
    emu.persist_soon()
    return json_response(
        body,
        headers={
            "Cache-Control": "no-cache, no-store, max-age=0, must-revalidate",
            "Pragma": "no-cache",
        },
    )


def revoke(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    raw = req.form().get("token") or req.query.get("token")
    try:
        with emu.state.lock:
            oauth_tokens.revoke(emu.state, raw)
    except OAuthError as exc:
        return _oauth_error(exc)
    emu.persist_soon()
    return json_response({})


def userinfo(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    header = req.headers.get("Authorization") or ""
    raw = header[7:] if header.lower().startswith("bearer ") else req.query.get("access_token")
    with emu.state.lock:
        token = emu.state.access_tokens.get(raw or "")
        if token is None or token.dead is not None or token.expires_at <= emu.now_ts():
            return json_response(
                {"error": "invalid_request", "error_description": "Invalid Credentials"},
                401,
                headers={
                    "WWW-Authenticate": errors.invalid_credentials().headers["WWW-Authenticate"]
                },
            )
        account = emu.state.accounts[token.email]
        req.account = account.email
    body: dict[str, Any] = {"sub": account.sub}
    if oauth_tokens.SCOPE_PREFIX + "userinfo.email" in token.scopes:
        body.update(email=account.email, email_verified=True)
    if oauth_tokens.SCOPE_PREFIX + "userinfo.profile" in token.scopes:
        given, _, family = (account.name or account.email.split("@")[0]).partition(" ")
        body.update(
            name=account.name or given,
            given_name=given,
            picture="https://lh3.googleusercontent.com/a/default-user=s96-c",
        )
        if family:
            body["family_name"] = family
    return json_response(body)


def openid_configuration(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    base = req.base_url
    return json_response(
        {
            "issuer": ISSUER,
            "authorization_endpoint": f"{base}/o/oauth2/v2/auth",
            "device_authorization_endpoint": f"{base}/device/code",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/v1/userinfo",
            "revocation_endpoint": f"{base}/revoke",
            "jwks_uri": f"{base}/oauth2/v3/certs",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "claims_supported": [
                "aud",
                "email",
                "email_verified",
                "exp",
                "family_name",
                "given_name",
                "iat",
                "iss",
                "name",
                "picture",
                "sub",
            ],
            "code_challenge_methods_supported": ["plain", "S256"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
        }
    )


def certs_v3(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    return json_response(emu.signer.jwks())


def certs_v1(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    return json_response(emu.signer.pem_certs())
