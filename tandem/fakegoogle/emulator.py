"""``FakeGoogle``: the whole emulator, its Python control surface and its request pipeline."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx

from tandem.fakegoogle import calendars, control, fields, oauth_tokens, persistence, routes
from tandem.fakegoogle.access import bearer
from tandem.fakegoogle.errors import ApiError
from tandem.fakegoogle.faults import (
    HTML_BODY,
    MALFORMED_BODY,
    DropConnection,
    Fault,
    FaultInjector,
    QuotaLimiter,
    fault_exception,
)
from tandem.fakegoogle.idtoken import Signer
from tandem.fakegoogle.push import Delivery, PushDispatcher
from tandem.fakegoogle.store import Account, Calendar, Client, ListEntry, State, stable_sub
from tandem.fakegoogle.timeutil import zone
from tandem.fakegoogle.util import etag_for, rfc3339_ms
from tandem.fakegoogle.wire import ApiRequest, ApiResponse, json_response

if TYPE_CHECKING:
    from tandem.fakegoogle.server import RunningServer

MAX_LOG = 200_000
SAVE_INTERVAL = 1.0  # seconds between state-file writes while requests keep coming


@dataclass
class LogEntry:
    method: str
    path: str
    query: str
    status: int
    account: str | None
    client_id: str | None
    in_batch: bool
    at: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class FakeGoogle:
    """Google's OAuth 2.0 endpoints and Calendar API v3, in memory, behind one WSGI app."""

    def __init__(
        self,
        *,
        state_file: str | Path | None = None,
        clock: Callable[[], datetime] | None = None,
        access_token_ttl: int = 3600,
    ) -> None:
        self.state_file = Path(state_file) if state_file else None
        self._clock = clock or (lambda: datetime.now(UTC))
        self.clock_offset = timedelta()
        self.access_token_ttl = access_token_ttl
        loaded = persistence.load_file(self.state_file) if self.state_file else None
        self.state = loaded or State()
        self.signer = Signer(self.state.rsa_private_pem, self.state.rsa_kid)
        self.state.rsa_private_pem, self.state.rsa_kid = self.signer.private_pem, self.signer.kid
        self.faults = FaultInjector()
        self.quota = QuotaLimiter(self.state.quota)
        self.push = PushDispatcher(self)
        self.request_log: list[LogEntry] = []
        self._counters: Counter[str] = Counter()
        self._log_lock = threading.Lock()
        self._last_save = 0.0
        self._save_timer: threading.Timer | None = None
        self._save_timer_lock = threading.Lock()
        from tandem.fakegoogle.app import WsgiApp

        self.wsgi_app = WsgiApp(self)

    # --- time ---------------------------------------------------------------------------

    def now(self) -> datetime:
        return self._clock().astimezone(UTC) + self.clock_offset

    def now_ts(self) -> float:
        return self.now().timestamp()

    def advance_clock(self, *, seconds: float) -> None:
        """Move the emulator's clock forward (token expiry, 7-day testing mode, quotas)."""
        self.clock_offset += timedelta(seconds=seconds)

    # --- running ------------------------------------------------------------------------

    def transport(self) -> httpx.WSGITransport:
        return httpx.WSGITransport(app=self.wsgi_app)

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
        from tandem.fakegoogle.server import RunningServer

        return RunningServer(self, host=host, port=port)

    # --- setup --------------------------------------------------------------------------

    def register_client(
        self, *, client_id: str, client_secret: str, redirect_uris: list[str]
    ) -> None:
        with self.state.lock:
            self.state.clients[client_id] = Client(client_id, client_secret, list(redirect_uris))
            self.persist_soon()

    def create_account(self, *, email: str, name: str = "", time_zone: str = "UTC") -> Account:
        """An account and its primary calendar, whose id is the email address."""
        email = email.lower()
        if zone(time_zone) is None:
            raise ValueError(f"unknown time zone {time_zone!r}")
        with self.state.lock:
            account = self.state.accounts.get(email)
            if account is None:
                account = self.state.accounts[email] = Account(
                    email=email, name=name, sub=stable_sub(email)
                )
                self.add_calendar(
                    owner_email=email,
                    summary=email,
                    time_zone=time_zone,
                    calendar_id=email,
                    primary=True,
                )
            self.persist_soon()
            return account

    def add_calendar(
        self,
        *,
        owner_email: str,
        summary: str,
        time_zone: str = "UTC",
        description: str = "",
        location: str = "",
        created_by_client: str | None = None,
        calendar_id: str | None = None,
        primary: bool = False,
        owner_role: bool = True,
    ) -> Calendar:
        with self.state.lock:
            calendar_id = calendar_id or calendars.new_calendar_id()
            now = self.now()
            calendar = Calendar(
                id=calendar_id,
                summary=summary,
                time_zone=time_zone,
                owner_email=owner_email if owner_role else calendar_id,
                description=description,
                location=location,
                created_by_client=created_by_client,
                etag=etag_for(now, self.state.next_seq()),
                updated=rfc3339_ms(now),
            )
            self.state.calendars[calendar_id] = calendar
            if owner_role:
                self._add_entry(owner_email, calendar_id, "owner", primary=primary)
            self.persist_soon()
            return calendar

    def _add_entry(
        self, email: str, calendar_id: str, role: str, *, primary: bool = False
    ) -> ListEntry:
        entry = ListEntry(
            email=email.lower(),
            calendar_id=calendar_id,
            access_role=role,
            primary=primary,
            color_id=calendars.color_for_new_entry(len(self.state.entries_of(email))),
            seq=self.state.next_seq(),
        )
        self.state.entries_of(email)[calendar_id] = entry
        return entry

    def create_calendar(
        self,
        *,
        email: str,
        summary: str,
        access_role: str = "owner",
        time_zone: str = "UTC",
        description: str = "",
        calendar_id: str | None = None,
        color_id: str | None = None,
    ) -> dict[str, Any]:
        """A calendar in the account's list; other roles make it someone else's, shared to
        them. ``color_id``: its colour in the list (one of Google's calendar colorIds)."""
        if access_role not in ("owner", "writer", "reader", "freeBusyReader"):
            raise ValueError(f"unknown access role {access_role!r}")
        if color_id is not None and color_id not in calendars.CALENDAR_COLORS:
            raise ValueError(f"unknown calendar colorId {color_id!r}")
        with self.state.lock:
            if self.state.account_for(email) is None:
                raise ValueError(f"no account {email!r}")
            calendar = self.add_calendar(
                owner_email=email,
                summary=summary,
                time_zone=time_zone,
                description=description,
                calendar_id=calendar_id,
                owner_role=access_role == "owner",
            )
            if access_role != "owner":
                self._add_entry(email, calendar.id, access_role)
            entry = self.state.entries_of(email)[calendar.id]
            if color_id is not None:
                entry.color_id = color_id
            return calendars.entry_resource(calendar, entry)

    def share_calendar(self, *, calendar_id: str, email: str, access_role: str) -> dict[str, Any]:
        """Give another account access to an existing calendar (an ACL rule, in Google's terms)."""
        with self.state.lock:
            calendar = self.state.calendars[calendar_id]
            if self.state.account_for(email) is None:
                raise ValueError(f"no account {email!r}")
            entry = self._add_entry(email, calendar_id, access_role)
            calendar.sync_generation += 1  # "changes in related ACLs" invalidate sync tokens
            self.persist_soon()
            return calendars.entry_resource(calendar, entry)

    # --- tokens -------------------------------------------------------------------------

    def mint_access_token(
        self, *, email: str, scopes: list[str], client_id: str | None = None
    ) -> str:
        """A bearer token, as if the account had consented: lets a test act as the person."""
        with self.state.lock:
            if self.state.account_for(email) is None:
                raise ValueError(f"no account {email!r}")
            token = oauth_tokens.mint_access(
                self.state,
                email=email,
                scopes=oauth_tokens.normalise_scopes(scopes),
                client_id=client_id,
                now=self.now_ts(),
                ttl=self.access_token_ttl,
            )
            self.persist_soon()
            return token.token

    def expire_access_tokens(self, *, email: str | None = None) -> int:
        """Every live access token (of one account, or all) expires now: calls get 401."""
        count = 0
        with self.state.lock:
            for token in self.state.access_tokens.values():
                if email is None or token.email == email.lower():
                    token.expires_at = min(token.expires_at, self.now_ts())
                    count += 1
        return count

    def revoke_tokens(self, *, email: str, client_id: str | None = None) -> None:
        """As if the person removed the app's access in their Google Account."""
        with self.state.lock:
            oauth_tokens.revoke_grant(self.state, client_id=client_id, email=email)
            self.persist_soon()

    def set_token_rules(
        self,
        *,
        testing_mode: bool | None = None,
        eviction_limit: int | None = None,
        idle_expiry: bool | None = None,
        reauth_required: bool | None = None,
    ) -> None:
        rules = self.state.token_rules
        if testing_mode is not None:
            rules.testing_mode = testing_mode
        if eviction_limit is not None:
            rules.eviction_limit = eviction_limit
        if idle_expiry is not None:
            rules.idle_expiry = idle_expiry
        if reauth_required is not None:
            rules.reauth_required = reauth_required

    # --- faults, quota, sync tokens, paging, push ----------------------------------------

    def inject_fault(
        self,
        *,
        route: str,
        status: int,
        reason: str | None = None,
        times: int = 1,
        after: int = 0,
        delay: float = 0,
        drop: bool = False,
        applied: bool = False,
        malformed: bool = False,
        html: bool = False,
        no_tokens: bool = False,
    ) -> None:
        self.faults.add(
            Fault(
                route=route,
                status=status,
                reason=reason,
                times=times,
                after=after,
                delay=delay,
                drop=drop,
                applied=applied,
                malformed=malformed,
                html=html,
                no_tokens=no_tokens,
            )
        )

    def clear_faults(self) -> None:
        self.faults.clear()

    def set_quota(
        self, *, enabled: bool, per_user_per_minute: int = 600, per_project_per_minute: int = 10_000
    ) -> None:
        settings = self.state.quota
        settings.enabled = enabled
        settings.per_user_per_minute = per_user_per_minute
        settings.per_project_per_minute = per_project_per_minute
        self.quota.reset()

    def expire_sync_tokens(
        self, *, calendar_id: str | None = None, token: str | None = None
    ) -> None:
        """Sync tokens now get 410 fullSyncRequired: one ``token``, one calendar's, or all."""
        with self.state.lock:
            if token is not None:
                self.state.expired_sync_tokens.add(token)
                return
            for calendar in self.state.calendars.values():
                if calendar_id is None or calendar.id == calendar_id:
                    calendar.sync_generation += 1

    def purge_deleted(self, *, calendar_id: str) -> int:
        """Google keeps a deleted event for a while only ("Tombstones eventually expire",
        shared/google-calendar-api.md; https://developers.google.com/calendar/api/guides/sync:
        a sync token can expire, and the full sync after its 410 lists what Google still
        holds): afterwards no listing returns it and events.get answers 404. Forgets the
        calendar's deleted events now, a deleted series with its exceptions; how many."""
        with self.state.lock:
            events = self.state.calendars[calendar_id].events
            gone = {
                event_id
                for event_id, stored in events.items()
                if stored.resource.get("status") == "cancelled"
                and not stored.resource.get("recurringEventId")
            }
            gone |= {
                event_id
                for event_id, stored in events.items()
                if stored.resource.get("recurringEventId") in gone
            }
            for event_id in gone:
                del events[event_id]
            return len(gone)

    def corrupt_sync_tokens(self, *, count: int = 1) -> None:
        """The next ``count`` nextSyncTokens handed out are damaged: using them gives 410."""
        with self.state.lock:
            self.state.corrupt_next_sync_tokens += count

    def set_paging(self, *, mode: str = "full", live: bool = True, page_cap: int = 0) -> None:
        """``short``: events.list returns short and empty pages while more remain; ``live``:
        pages are no snapshots, an event changed while a client pages comes again later;
        ``page_cap``: at most that many items a page (0: as maxResults asks)."""
        if mode not in ("full", "short"):
            raise ValueError("mode is 'full' or 'short'")
        if page_cap < 0:
            raise ValueError("page_cap is 0 (none) or more")
        self.state.paging.mode, self.state.paging.live = mode, live
        self.state.paging.page_cap = page_cap

    def seed_event(
        self, *, calendar_id: str, event: dict[str, Any], base_url: str = "http://fake-google"
    ) -> dict[str, Any]:
        """An event as Google itself makes it, of any ``eventType`` (``fromGmail``, a
        contact's birthday), which no client can create through the API: tests only."""
        from tandem.fakegoogle import events

        return events.seed(self, calendar_id=calendar_id, body=event, base_url=base_url)

    def split_series(
        self, *, calendar_id: str, event_id: str, at: str, base_url: str = "http://fake-google"
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """ "This and following" as Google's UI does it: the series ends before ``at`` and a
        new series ``<id>_R<start>`` starts there (series_split.py); (trimmed, new)."""
        from tandem.fakegoogle import series_split

        return series_split.split(
            self, calendar_id=calendar_id, event_id=event_id, at=at, base_url=base_url
        )

    def set_push_faults(self, *, drop_next: int = 0, duplicate_next: int = 0) -> None:
        self.push.drop_next, self.push.duplicate_next = drop_next, duplicate_next

    def flush_push(self, timeout: float = 5.0) -> bool:
        return self.push.flush(timeout)

    @property
    def push_log(self) -> list[Delivery]:
        return self.push.log

    def counters(self) -> dict[str, int]:
        with self._log_lock:
            return dict(self._counters)

    def seed_ids(self, seed: int) -> None:
        """New event ids from a generator seeded with ``seed`` until the next reset, so a
        test that replays its steps (Hypothesis' examples) meets the same ids again."""
        with self.state.lock:
            self.state.ids = random.Random(seed)  # noqa: S311 (ids, not secrets)

    def reset(self) -> None:
        """Forget everything except the signing key: accounts, clients, data, faults, logs."""
        with self.state.lock:
            fresh = State()
            fresh.rsa_private_pem, fresh.rsa_kid = self.state.rsa_private_pem, self.state.rsa_kid
            self.state = fresh
            self.quota = QuotaLimiter(fresh.quota)
            self.faults.clear()
            self.push.log.clear()
            self.push.drop_next = self.push.duplicate_next = 0
            self.clock_offset = timedelta()
            with self._log_lock:
                self.request_log.clear()
                self._counters.clear()
            self.persist_soon(force=True)

    # --- persistence --------------------------------------------------------------------

    def save(self) -> None:
        if self.state_file is not None:
            persistence.save_file(self.state, self.state_file)
            self._last_save = time.monotonic()

    def persist_soon(self, *, force: bool = False) -> None:
        """Save now, or within a second when a save just happened (bursts cost one write)."""
        if self.state_file is None:
            return
        if force or time.monotonic() - self._last_save >= SAVE_INTERVAL:
            self.save()
            return
        with self._save_timer_lock:
            if self._save_timer is None:
                self._save_timer = threading.Timer(SAVE_INTERVAL, self._deferred_save)
                self._save_timer.daemon = True
                self._save_timer.start()

    def _deferred_save(self) -> None:
        with self._save_timer_lock:
            self._save_timer = None
        with self.state.lock:
            self.save()

    def changed(self, calendar_id: str) -> None:
        """Bookkeeping after a write to a calendar's events: timestamps, push, persistence."""
        calendar = self.state.calendars.get(calendar_id)
        if calendar is not None:
            calendar.updated = rfc3339_ms(self.now())
        self.push.notify_change(calendar_id)
        self.persist_soon()

    # --- the request pipeline -----------------------------------------------------------

    def handle(self, req: ApiRequest) -> ApiResponse:
        if req.path.startswith("/_emulator/") or req.path == "/_emulator":
            try:
                return control.dispatch(self, req)
            except (ValueError, KeyError) as exc:
                return json_response({"error": str(exc)}, 400)
        return self.dispatch(req)

    def dispatch(self, req: ApiRequest) -> ApiResponse:
        """One Google call (also one batch part): faults, quota, the handler, the log."""
        try:
            fault = self.faults.take(req.method, req.path)
            if fault is not None:
                if fault.delay:
                    time.sleep(fault.delay)
                if fault.drop and not fault.applied:
                    if req.in_batch:
                        raise fault_exception(Fault(route="", status=503))
                    self._log(req, 0)
                    raise DropConnection()
                if fault.malformed:
                    self._log(req, 200)
                    return ApiResponse(200, MALFORMED_BODY, {"Content-Type": "application/json"})
                if fault.html:
                    self._log(req, 200)
                    return ApiResponse(200, HTML_BODY, {"Content-Type": "text/html; charset=utf-8"})
                if fault.status:
                    raise fault_exception(fault)
            if routes.is_calendar_api(req.path):
                self._charge_quota(req)
            response = routes.route(self, req)
            if fault is not None and fault.no_tokens:
                response = _without_page_tokens(response)
            if fault is not None and fault.drop and fault.applied and not req.in_batch:
                self._log(req, response.status)
                raise DropConnection()
        except ApiError as exc:
            response = json_response(exc.body(), exc.code, headers=exc.headers)
        spec = req.query.get("fields")
        if (
            spec
            and response.status == 200
            and response.headers.get("Content-Type", "").startswith("application/json")
        ):
            import json

            response = json_response(fields.apply(json.loads(response.body), fields.parse(spec)))
        self._log(req, response.status)
        return response

    def _charge_quota(self, req: ApiRequest) -> None:
        if not self.state.quota.enabled:
            return
        with self.state.lock:
            token = self.state.access_tokens.get(bearer(req) or "")
        if token is None:
            return  # the handler answers 401
        units = 3 if req.method == "PATCH" else 1
        self.quota.charge(
            user=token.email, project=token.client_id or "-", units=units, now=self.now_ts()
        )

    def _log(self, req: ApiRequest, status: int) -> None:
        entry = LogEntry(
            method=req.method,
            path=req.path,
            query=urlencode(list(req.query.items(multi=True))),
            status=status,
            account=req.account,
            client_id=req.client_id,
            in_batch=req.in_batch,
            at=rfc3339_ms(self.now()),
        )
        with self._log_lock:
            self.request_log.append(entry)
            if len(self.request_log) > MAX_LOG:
                del self.request_log[: MAX_LOG // 10]
            self._counters[f"{req.method} {status}"] += 1
            self._counters["total"] += 1


def _without_page_tokens(response: ApiResponse) -> ApiResponse:
    """The ``no_tokens`` fault: the same answer without nextPageToken and nextSyncToken."""
    if response.status != 200:
        return response
    body = json.loads(response.body)
    body.pop("nextPageToken", None)
    body.pop("nextSyncToken", None)
    return json_response(body, response.status)
