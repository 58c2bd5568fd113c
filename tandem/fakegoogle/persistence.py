"""Saving the emulator's state to a JSON file so a demo survives a restart."""

from __future__ import annotations

import base64
import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tandem.fakegoogle.store import (
    AccessToken,
    Account,
    AuthCode,
    Calendar,
    Channel,
    Client,
    Grant,
    ListEntry,
    PagingSettings,
    QuotaSettings,
    RefreshToken,
    State,
    StoredEvent,
    TokenRules,
)

VERSION = 1


def dump(state: State) -> dict[str, Any]:
    with state.lock:
        return {
            "version": VERSION,
            "secret": base64.b64encode(state.secret).decode(),
            "seq": state.seq,
            "rsa_private_pem": state.rsa_private_pem,
            "rsa_kid": state.rsa_kid,
            "accounts": [asdict(a) for a in state.accounts.values()],
            "clients": [asdict(c) for c in state.clients.values()],
            "calendars": [asdict(c) for c in state.calendars.values()],
            "list_entries": [
                asdict(e) for entries in state.list_entries.values() for e in entries.values()
            ],
            "auth_codes": [asdict(c) for c in state.auth_codes.values()],
            "refresh_tokens": [asdict(t) for t in state.refresh_tokens.values()],
            "access_tokens": [asdict(t) for t in state.access_tokens.values()],
            "grants": [asdict(g) for g in state.grants.values()],
            "channels": [asdict(c) for c in state.channels.values()],
            "token_rules": asdict(state.token_rules),
            "quota": asdict(state.quota),
            "paging": asdict(state.paging),
            "expired_sync_tokens": sorted(state.expired_sync_tokens),
        }


def load(data: dict[str, Any]) -> State:
    state = State()
    state.secret = base64.b64decode(data["secret"])
    state.seq = data["seq"]
    state.rsa_private_pem = data.get("rsa_private_pem", "")
    state.rsa_kid = data.get("rsa_kid", "")
    state.accounts = {a["email"]: Account(**a) for a in data["accounts"]}
    state.clients = {c["client_id"]: Client(**c) for c in data["clients"]}
    for raw in data["calendars"]:
        events = {k: StoredEvent(**v) for k, v in raw.pop("events").items()}
        state.calendars[raw["id"]] = Calendar(**raw, events=events)
    for raw in data["list_entries"]:
        entry = ListEntry(**raw)
        state.entries_of(entry.email)[entry.calendar_id] = entry
    state.auth_codes = {c["code"]: AuthCode(**c) for c in data["auth_codes"]}
    state.refresh_tokens = {t["token"]: RefreshToken(**t) for t in data["refresh_tokens"]}
    state.access_tokens = {t["token"]: AccessToken(**t) for t in data["access_tokens"]}
    for raw in data["grants"]:
        grant = Grant(**raw)
        state.grants[state.grant_key(grant.client_id, grant.email)] = grant
    state.channels = {c["id"]: Channel(**c) for c in data["channels"]}
    state.token_rules = TokenRules(**data["token_rules"])
    state.quota = QuotaSettings(**data["quota"])
    state.paging = PagingSettings(**data["paging"])
    state.expired_sync_tokens = set(data.get("expired_sync_tokens", []))
    return state


def save_file(state: State, path: Path) -> None:
    """Write atomically: a crash mid-save leaves the previous file intact."""
    payload = json.dumps(dump(state), separators=(",", ":"))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(payload)
    os.replace(tmp, path)


def load_file(path: Path) -> State | None:
    if not path.exists():
        return None
    return load(json.loads(path.read_text(encoding="utf-8")))
