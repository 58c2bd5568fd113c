"""The control API under ``/_emulator/`` (a prefix Google never uses): JSON in, JSON out.

It mirrors the Python methods of ``FakeGoogle`` so another process (the demo, the
benchmarks) can drive a running emulator. State-changing calls must be ``POST``/``DELETE``
with ``Content-Type: application/json``, which a cross-site HTML form cannot send.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from tandem.fakegoogle.wire import ApiRequest, ApiResponse, json_response

if TYPE_CHECKING:
    from tandem.fakegoogle.emulator import FakeGoogle

PREFIX = "/_emulator"


def _body(req: ApiRequest) -> dict[str, Any]:
    data = req.json()
    if data is None or not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


def _ok(**extra: Any) -> ApiResponse:
    return json_response({"ok": True, **extra})


def dispatch(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    path = req.path.removeprefix(PREFIX).rstrip("/") or "/"
    json_body = req.headers.get("Content-Type", "").startswith("application/json")
    if req.method in ("POST", "DELETE") and req.body and not json_body:
        return json_response({"error": "Content-Type must be application/json"}, 415)
    handler = _ROUTES.get((req.method, path))
    if handler is None:
        return json_response({"error": f"no control endpoint {req.method} {PREFIX}{path}"}, 404)
    return handler(emu, req)


def _health(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    return _ok()


def _reset(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    emu.reset()
    return _ok()


def _client(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    b = _body(req)
    emu.register_client(
        client_id=b["client_id"],
        client_secret=b["client_secret"],
        redirect_uris=list(b["redirect_uris"]),
    )
    return _ok()


def _account(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    b = _body(req)
    account = emu.create_account(
        email=b["email"], name=b.get("name", ""), time_zone=b.get("time_zone", "UTC")
    )
    return json_response(asdict(account))


def _accounts(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    with emu.state.lock:
        return json_response({"accounts": [asdict(a) for a in emu.state.accounts.values()]})


def _calendar(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    b = _body(req)
    entry = emu.create_calendar(
        email=b["email"],
        summary=b["summary"],
        access_role=b.get("access_role", "owner"),
        time_zone=b.get("time_zone", "UTC"),
        description=b.get("description", ""),
        calendar_id=b.get("calendar_id"),
        color_id=b.get("color_id"),
    )
    return json_response(entry)


def _share(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    b = _body(req)
    return json_response(
        emu.share_calendar(
            calendar_id=b["calendar_id"], email=b["email"], access_role=b["access_role"]
        )
    )


def _token(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    b = _body(req)
    token = emu.mint_access_token(
        email=b["email"], scopes=list(b["scopes"]), client_id=b.get("client_id")
    )
    return json_response(
        {"access_token": token, "token_type": "Bearer", "expires_in": emu.access_token_ttl}
    )


def _expire_tokens(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    return _ok(expired=emu.expire_access_tokens(email=_body(req).get("email")))


def _revoke_tokens(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    b = _body(req)
    emu.revoke_tokens(email=b["email"], client_id=b.get("client_id"))
    return _ok()


def _token_rules(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    b = _body(req)
    emu.set_token_rules(
        testing_mode=b.get("testing_mode"),
        eviction_limit=b.get("eviction_limit"),
        idle_expiry=b.get("idle_expiry"),
        reauth_required=b.get("reauth_required"),
    )
    return _ok(**asdict(emu.state.token_rules))


def _add_fault(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    b = _body(req)
    emu.inject_fault(
        route=b["route"],
        status=int(b.get("status", 0)),
        reason=b.get("reason"),
        times=int(b.get("times", 1)),
        after=int(b.get("after", 0)),
        delay=float(b.get("delay", 0)),
        drop=bool(b.get("drop", False)),
        applied=bool(b.get("applied", False)),
        malformed=bool(b.get("malformed", False)),
        html=bool(b.get("html", False)),
        no_tokens=bool(b.get("no_tokens", False)),
    )
    return _ok()


def _faults(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    return json_response({"faults": [f.as_dict() for f in emu.faults.faults]})


def _clear_faults(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    emu.clear_faults()
    return _ok()


def _expire_sync(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    body = _body(req)
    emu.expire_sync_tokens(calendar_id=body.get("calendar_id"), token=body.get("token"))
    return _ok()


def _corrupt_sync(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    emu.corrupt_sync_tokens(count=int(_body(req).get("count", 1)))
    return _ok()


def _paging(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    body = _body(req)
    emu.set_paging(
        mode=body.get("mode", "full"),
        live=bool(body.get("live", True)),
        page_cap=int(body.get("page_cap", 0)),
    )
    return _ok()


def _quota(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    b = _body(req)
    emu.set_quota(
        enabled=bool(b["enabled"]),
        per_user_per_minute=int(b.get("per_user_per_minute", 600)),
        per_project_per_minute=int(b.get("per_project_per_minute", 10_000)),
    )
    return _ok()


def _push_faults(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    b = _body(req)
    emu.set_push_faults(
        drop_next=int(b.get("drop_next", 0)), duplicate_next=int(b.get("duplicate_next", 0))
    )
    return _ok()


def _push_log(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    if req.flag("flush"):
        emu.flush_push()
    return json_response({"deliveries": [asdict(d) for d in list(emu.push_log)]})


def _clock(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    emu.advance_clock(seconds=float(_body(req)["advance_seconds"]))
    return _ok(now=emu.now().isoformat())


def _requests(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    since = int(req.query.get("since", "0"))
    entries = list(emu.request_log)
    return json_response({"requests": [e.as_dict() for e in entries[since:]], "next": len(entries)})


def _counters(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    return json_response({"counters": emu.counters()})


def _seed_event(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    b = _body(req)
    event = emu.seed_event(
        calendar_id=str(b["calendar_id"]), event=dict(b["event"]), base_url=req.base_url
    )
    return _ok(event=event)


def _save(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    emu.save()
    return _ok()


_ROUTES = {
    ("GET", "/health"): _health,
    ("POST", "/reset"): _reset,
    ("POST", "/clients"): _client,
    ("POST", "/accounts"): _account,
    ("GET", "/accounts"): _accounts,
    ("POST", "/calendars"): _calendar,
    ("POST", "/calendars/share"): _share,
    ("POST", "/tokens"): _token,
    ("POST", "/tokens/expire"): _expire_tokens,
    ("POST", "/tokens/revoke"): _revoke_tokens,
    ("POST", "/token-rules"): _token_rules,
    ("POST", "/faults"): _add_fault,
    ("GET", "/faults"): _faults,
    ("DELETE", "/faults"): _clear_faults,
    ("POST", "/sync-tokens/expire"): _expire_sync,
    ("POST", "/sync-tokens/corrupt"): _corrupt_sync,
    ("POST", "/paging"): _paging,
    ("POST", "/quota"): _quota,
    ("POST", "/push"): _push_faults,
    ("GET", "/push"): _push_log,
    ("POST", "/clock"): _clock,
    ("GET", "/requests"): _requests,
    ("GET", "/counters"): _counters,
    ("POST", "/save"): _save,
    ("POST", "/events/seed"): _seed_event,
}
