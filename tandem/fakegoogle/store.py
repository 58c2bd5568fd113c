"""The emulator's in-memory state: accounts, clients, calendars, events, tokens, channels.

Everything lives in one ``State`` guarded by one re-entrant lock: the emulator favours
being obviously correct under concurrent requests over being parallel.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Account:
    email: str
    name: str
    sub: str


@dataclass
class Client:
    client_id: str
    client_secret: str
    redirect_uris: list[str]


@dataclass
class StoredEvent:
    """One event copy in one calendar. ``resource`` is the JSON Google would return."""

    resource: dict[str, Any]
    seq: int  # global change sequence of the last write: drives sync tokens
    created_seq: int  # stable listing order, and the snapshot test for page tokens


@dataclass
class Calendar:
    id: str
    summary: str
    time_zone: str
    owner_email: str
    description: str = ""
    location: str = ""
    created_by_client: str | None = None
    etag: str = '"0"'
    deleted: bool = False
    updated: str = ""
    events: dict[str, StoredEvent] = field(default_factory=dict)
    # Opaque instance id -> (series id, original start key): Google's ids are not to be parsed.
    instance_ids: dict[str, list[str]] = field(default_factory=dict)
    sync_generation: int = 0  # bumping it invalidates every sync token of this calendar


@dataclass
class ListEntry:
    """An account's calendarList entry: the account's view of (and access to) a calendar."""

    email: str
    calendar_id: str
    access_role: str
    primary: bool = False
    selected: bool = True
    hidden: bool = False
    deleted: bool = False
    color_id: str = "14"
    summary_override: str | None = None
    seq: int = 0


@dataclass
class AuthCode:
    code: str
    client_id: str
    email: str
    redirect_uri: str
    scopes: list[str]
    expires_at: float
    code_challenge: str | None
    code_challenge_method: str | None
    issue_refresh_token: bool
    nonce: str | None = None


@dataclass
class RefreshToken:
    token: str
    client_id: str
    email: str
    scopes: list[str]
    issued_at: float
    last_used_at: float
    expires_at: float | None = None  # testing-mode projects: 7 days
    dead: str | None = None  # why it died: revoked, evicted, expired


@dataclass
class AccessToken:
    token: str
    client_id: str | None
    email: str
    scopes: list[str]
    expires_at: float
    refresh_token: str | None = None
    dead: str | None = None


@dataclass
class Grant:
    """What an account has granted a client so far (for incremental auth and prompt rules)."""

    client_id: str
    email: str
    scopes: list[str]
    refresh_token_issued: bool = False


@dataclass
class Channel:
    id: str
    resource_id: str
    resource_uri: str
    calendar_id: str
    email: str
    client_id: str | None
    address: str
    token: str | None
    expiration_ms: int
    message_number: int = 0
    stopped: bool = False


@dataclass
class TokenRules:
    """Switchable token deaths (shared spec §1.6)."""

    testing_mode: bool = False  # refresh tokens die after 7 days unless only basic scopes
    eviction_limit: int = 100  # the 101st refresh token per account and client evicts the oldest
    idle_expiry: bool = True  # refresh tokens unused for 6 months die
    reauth_required: bool = False  # session-control policy: refresh fails with invalid_rapt


@dataclass
class QuotaSettings:
    enabled: bool = False
    per_user_per_minute: int = 600
    per_project_per_minute: int = 10_000


@dataclass
class PagingSettings:
    """``short`` makes events.list return short and empty pages while more remain; ``live``
    (the default, as Google) makes pages show events as they are now, an event changed since
    an earlier page again, one deleted since as a tombstone; off, pages keep a snapshot;
    ``page_cap`` (0: none) returns at most that many items a page, whatever maxResults."""

    mode: str = "full"
    live: bool = True  # as Google: pages are no snapshots (event_list.py)
    page_cap: int = 0


class State:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.secret = secrets.token_bytes(32)
        # New event ids: random, unless a test seeds them (FakeGoogle.seed_ids).
        self.ids: random.Random = secrets.SystemRandom()
        self.seq = 0
        self.accounts: dict[str, Account] = {}
        self.clients: dict[str, Client] = {}
        self.calendars: dict[str, Calendar] = {}
        self.list_entries: dict[str, dict[str, ListEntry]] = {}  # email -> calendar id -> entry
        self.auth_codes: dict[str, AuthCode] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.grants: dict[str, Grant] = {}  # key: client_id + " " + email
        self.pending_consents: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, Channel] = {}
        self.token_rules = TokenRules()
        self.quota = QuotaSettings()
        self.paging = PagingSettings()
        self.corrupt_next_sync_tokens = 0
        self.expired_sync_tokens: set[str] = set()
        self.rsa_private_pem: str = ""
        self.rsa_kid: str = ""

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def account_for(self, email: str) -> Account | None:
        return self.accounts.get(email.lower())

    def entries_of(self, email: str) -> dict[str, ListEntry]:
        return self.list_entries.setdefault(email.lower(), {})

    def grant_key(self, client_id: str, email: str) -> str:
        return f"{client_id} {email.lower()}"


def stable_sub(email: str) -> str:
    """A stable numeric ``sub`` derived from the email, like Google's 21-digit ids."""
    digest = hashlib.sha256(email.lower().encode()).hexdigest()
    return "1" + str(int(digest[:20], 16)).rjust(20, "0")[:20]


def now_ts(moment: datetime) -> float:
    return moment.timestamp()
