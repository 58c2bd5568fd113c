"""Connecting a user's Google account, choosing what syncs, and revoking.

The OAuth flow follows RFC 9700: a one-time ``state`` bound to the session and the user,
PKCE S256, and the redirect URI fixed by configuration (no open redirect: where the user
lands afterwards is decided here, never taken from the request).
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

import django.dispatch
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tandem.accounts.crypto import decrypt_token, encrypt_token
from tandem.accounts.google_clients import google_endpoints, google_oauth, http_client
from tandem.accounts.models import GoogleConnection, SyncSettings
from tandem.accounts.selectors import connection_of
from tandem.accounts.tokens import (
    ConnectionTokens,
    connection_mark_scope_missing,
    connection_store_tokens,
)
from tandem.google.calendar import CalendarClient
from tandem.google.endpoints import GoogleEndpoints
from tandem.google.errors import (
    BadRequest,
    GoogleError,
    InsufficientScope,
    InvalidGrant,
    NetworkError,
    TransientError,
)
from tandem.google.oauth import CALENDAR_SCOPES, GoogleIdentity, TokenSet
from tandem.google.palette import HEX_COLOUR

logger = logging.getLogger(__name__)

SESSION_KEY = "google_oauth_pending"
STATE_LIFETIME_SECONDS = 600
WRITABLE_ROLES = frozenset({"owner", "writer"})
DEDICATED_CALENDAR_NAME = "Tandem CRM"

# Sent on commit with ``connection`` and ``change``: "connected", "disconnected",
# "settings_saved" (with ``previous`` settings), so the sync app can schedule or stop work.
google_connection_changed = django.dispatch.Signal()
# Sent (not on commit) with ``connection`` when Revoke Token starts, while the token still
# works: the sync app stops the connection's push channels.
google_disconnecting = django.dispatch.Signal()
# Sent with ``client`` and ``connection`` when a Calendar client is built for a connection,
# before its first request: the sync app puts the user's per-minute request budget on it
# (``client.counter``), so every client of a user shares that budget.
calendar_client_created = django.dispatch.Signal()


class ConnectFailed(Exception):
    """The callback cannot be accepted; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class AccessDenied(ConnectFailed):
    pass


def _announce(connection: GoogleConnection, change: str, **extra: Any) -> None:
    transaction.on_commit(
        lambda: google_connection_changed.send(
            sender=GoogleConnection, connection=connection, change=change, **extra
        )
    )


def connection_for(*, user: User) -> GoogleConnection:
    connection, _ = GoogleConnection.objects.get_or_create(user=user)
    return connection


def settings_for(*, connection: GoogleConnection) -> SyncSettings:
    sync_settings, _ = SyncSettings.objects.get_or_create(connection=connection)
    return sync_settings


def calendar_client_for(
    *, connection: GoogleConnection, endpoints: GoogleEndpoints | None = None
) -> CalendarClient:
    client = CalendarClient(
        http=http_client(),
        base_url=(endpoints or google_endpoints()).calendar_base,
        tokens=ConnectionTokens(connection),
    )
    calendar_client_created.send(sender=CalendarClient, client=client, connection=connection)
    return client


def has_calendar_access(scopes: list[str] | frozenset[str]) -> bool:
    return set(CALENDAR_SCOPES) <= set(scopes)


# -- the OAuth flow -----------------------------------------------------------------------


def google_connect_begin(
    *, user: User, session: MutableMapping[str, Any], redirect_uri: str
) -> str:
    """The consent URL; remembers state + PKCE verifier in the session, bound to the user."""
    # A read: the connect link is a GET, and the row is made when Google answers.
    connection = connection_of(user=user)
    # Consent again unless a healthy grant exists: a refresh token is only handed out on
    # consent, and one granted without calendar access must be replaced by one with it.
    needs_refresh_token = connection is None or not (
        connection.refresh_token_encrypted
        and connection.status == GoogleConnection.Status.CONNECTED
    )
    request = google_oauth(redirect=redirect_uri).authorization_request(
        first_connect=needs_refresh_token,
        login_hint=(connection.email if connection is not None else "") or None,
    )
    session[SESSION_KEY] = {
        "state": request.state,
        "verifier": request.code_verifier,
        "user_id": user.pk,
        "created": time.time(),
        "redirect_uri": redirect_uri,
    }
    return request.url


def _take_pending(
    *, user: User, session: MutableMapping[str, Any], state: str | None
) -> dict[str, Any]:
    # Popped before anything else: a state is usable once, whatever happens next.
    pending = session.pop(SESSION_KEY, None)
    if not state:
        raise ConnectFailed("The answer from Google has no state; please connect again.")
    if not isinstance(pending, dict) or not isinstance(pending.get("state"), str):
        raise ConnectFailed("This sign-in link was already used or never started here.")
    if not hmac.compare_digest(pending["state"], state):
        raise ConnectFailed("The answer from Google does not match this session.")
    if pending.get("user_id") != user.pk:
        raise ConnectFailed("This sign-in was started by another user.", status=403)
    if time.time() - float(pending.get("created", 0)) > STATE_LIFETIME_SECONDS:
        raise ConnectFailed("The sign-in took too long; please connect again.")
    return pending


def google_connect_complete(
    *, user: User, session: MutableMapping[str, Any], params: Mapping[str, str]
) -> GoogleConnection:
    """Handles Google's redirect back; stores nothing unless every check passes."""
    pending = _take_pending(user=user, session=session, state=params.get("state"))
    if params.get("error"):
        if params["error"] == "access_denied":
            raise AccessDenied("You did not allow Tandem to use your Google account.")
        raise ConnectFailed(f"Google reported an error: {params['error'][:100]}.")
    code = params.get("code")
    if not code:
        raise ConnectFailed("The answer from Google has no authorization code.")
    oauth = google_oauth(redirect=pending["redirect_uri"])
    try:
        tokens = oauth.exchange_code(code=code, code_verifier=pending["verifier"])
        identity = oauth.identity(access_token=tokens.access_token)
    except (InvalidGrant, BadRequest) as error:
        # Google refused the code itself (forged, another client's, used or expired): the
        # request was bad, not Google (RFC 6749 §5.2: invalid_grant), so a 4xx, not a 502.
        raise ConnectFailed(
            "Google did not accept this sign-in (the authorization code is not valid, or "
            "was already used); please connect again.",
            status=400,
        ) from error
    except GoogleError as error:
        raise ConnectFailed(
            f"Google did not complete the sign-in: {error.message}", status=502
        ) from error

    # Network calls are done; only now take the database write lock (SQLite's IMMEDIATE
    # transactions lock at BEGIN, so no HTTP call may run inside one).
    with transaction.atomic():
        return _connection_save(user=user, identity=identity, tokens=tokens)


def _connection_save(*, user: User, identity: GoogleIdentity, tokens: TokenSet) -> GoogleConnection:
    connection = GoogleConnection.objects.select_for_update().get(pk=connection_for(user=user).pk)
    same_account = connection.google_sub == identity.sub
    if connection.google_sub and not same_account:
        # A different Google account starts clean: its settings are new; links to the old
        # account's events are keyed by that account and stay untouched (sync app).
        SyncSettings.objects.filter(connection=connection).delete()
    granted = sorted(tokens.scopes) if tokens.scopes else []
    connection.google_sub = identity.sub
    connection.email = identity.email
    connection.granted_scopes = granted
    connection.connected_at = timezone.now()
    connection.pending_revoke_encrypted = ""
    if has_calendar_access(granted):
        connection.status = GoogleConnection.Status.CONNECTED
        connection.status_detail = ""
    else:
        connection.status = GoogleConnection.Status.SCOPE_MISSING
        connection.status_detail = "Calendar access was not granted."
    if tokens.refresh_token is None and not same_account:
        connection.refresh_token_encrypted = ""
    connection.save()
    connection_store_tokens(connection=connection, tokens=tokens)
    settings_for(connection=connection)
    _announce(connection, "connected")
    return connection


# -- calendars and settings -----------------------------------------------------------------


def _calendar_summary(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": str(entry.get("id", "")),
        "summary": str(entry.get("summaryOverride") or entry.get("summary") or entry.get("id")),
        "access_role": str(entry.get("accessRole", "reader")),
        "primary": bool(entry.get("primary", False)),
        "time_zone": str(entry.get("timeZone") or "UTC"),
        "background_color": _google_colour(entry.get("backgroundColor")),
    }


def _google_colour(value: object) -> str:
    """calendarList's ``backgroundColor``, "the main color of the calendar in the
    hexadecimal format "#0088aa"", which "supersedes the index-based colorId property"
    (https://developers.google.com/calendar/api/v3/reference/calendarList); anything else
    is no colour."""
    return value.lower() if isinstance(value, str) and HEX_COLOUR.match(value) else ""


def calendars_read(*, connection: GoogleConnection) -> list[dict[str, Any]]:
    """Reads calendarList from Google (remembers nothing: the settings page's GET shows it)."""
    try:
        entries = calendar_client_for(connection=connection).calendar_list()
    except InsufficientScope:
        connection_mark_scope_missing(connection=connection)
        raise
    return [
        _calendar_summary(entry)
        for entry in entries
        if entry.get("id") and not entry.get("deleted")
    ]


def calendars_refresh(*, connection: GoogleConnection) -> list[dict[str, Any]]:
    """Reads calendarList from Google and remembers it: the list a save is checked against."""
    calendars = calendars_read(connection=connection)
    sync_settings = settings_for(connection=connection)
    sync_settings.known_calendars = calendars
    sync_settings.save(update_fields=["known_calendars"])
    return calendars


@dataclass(frozen=True)
class DedicatedCalendar:
    """The account's dedicated calendar; ``created``: False when it had one already."""

    entry: dict[str, Any]
    created: bool


def dedicated_calendar_create(
    *, connection: GoogleConnection, time_zone: str | None = None
) -> DedicatedCalendar:
    """The account's "Tandem CRM" calendar, proposed as inbound and target: the one it owns
    already, else a new one. The list is read first (and remembered), so a repeated request
    (a double click, a client retrying after a timeout) makes no second calendar: Google's
    calendars.insert makes one per call."""
    calendars = calendars_refresh(connection=connection)
    for entry in calendars:
        if entry["summary"] == DEDICATED_CALENDAR_NAME and entry["access_role"] == "owner":
            return DedicatedCalendar(entry, created=False)
    try:
        created = calendar_client_for(connection=connection).calendar_insert(
            summary=DEDICATED_CALENDAR_NAME, time_zone=time_zone
        )
    except InsufficientScope:
        connection_mark_scope_missing(connection=connection)
        raise
    entry = _calendar_summary({**created, "accessRole": "owner"})
    sync_settings = settings_for(connection=connection)
    sync_settings.known_calendars = [*calendars, entry]
    sync_settings.save(update_fields=["known_calendars"])
    return DedicatedCalendar(entry, created=True)


@dataclass(frozen=True)
class SettingsChoice:
    inbound_calendar_ids: list[str]
    target_calendar_id: str
    sync_private: bool
    # {calendar id: "#rrggbb"} chosen in the CRM; None keeps the colours as they are.
    calendar_colours: dict[str, str] | None = None


@transaction.atomic
def sync_settings_save(*, connection: GoogleConnection, choice: SettingsChoice) -> SyncSettings:
    if connection.status != GoogleConnection.Status.CONNECTED:
        raise ValidationError("Connect Google (with calendar access) before choosing calendars.")
    sync_settings = SyncSettings.objects.select_for_update().get(
        pk=settings_for(connection=connection).pk
    )
    known = {calendar["id"]: calendar for calendar in sync_settings.known_calendars}
    errors: dict[str, list[str]] = {}
    unknown = [cid for cid in choice.inbound_calendar_ids if cid not in known]
    if unknown:
        errors["inbound_calendar_ids"] = [
            "Some chosen calendars are no longer in your Google account; reload the page."
        ]
    if not choice.target_calendar_id:
        errors["target_calendar_id"] = [
            "Choose the Google calendar that receives the CRM's meetings."
        ]
    elif choice.target_calendar_id not in known:
        errors["target_calendar_id"] = ["That calendar is not in your Google account."]
    elif known[choice.target_calendar_id]["access_role"] not in WRITABLE_ROLES:
        errors["target_calendar_id"] = [
            "You can only read that calendar; choose one you can write to."
        ]
    colours = choice.calendar_colours
    if colours is not None and (
        any(cid not in known for cid in colours)
        or not all(isinstance(c, str) and HEX_COLOUR.match(c) for c in colours.values())
    ):
        errors["calendar_colours"] = [
            "Give each colour as #rrggbb, for calendars of your Google account."
        ]
    if errors:
        raise ValidationError(errors)
    if colours is not None:
        # A colour equal to Google's is no choice: the calendar then follows Google's.
        sync_settings.calendar_colours = {
            cid: colour.lower()
            for cid, colour in colours.items()
            if colour.lower() != known[cid].get("background_color")
        }
    previous = SettingsChoice(
        inbound_calendar_ids=list(sync_settings.inbound_calendar_ids),
        target_calendar_id=sync_settings.target_calendar_id,
        sync_private=sync_settings.sync_private,
    )
    sync_settings.inbound_calendar_ids = list(dict.fromkeys(choice.inbound_calendar_ids))
    sync_settings.target_calendar_id = choice.target_calendar_id
    sync_settings.sync_private = choice.sync_private
    sync_settings.saved_at = timezone.now()
    sync_settings.save()
    _announce(connection, "settings_saved", previous=previous)
    return sync_settings


# -- revoke ---------------------------------------------------------------------------------


def google_disconnect(*, connection: GoogleConnection) -> bool:
    """Revoke Token: revokes at Google (or queues the revoke when Google is unreachable),
    forgets the tokens and stops all sync. Meetings and events stay. Returns True when Google
    confirmed the revoke now."""
    google_disconnecting.send_robust(sender=GoogleConnection, connection=connection)
    token_encrypted = connection.refresh_token_encrypted or connection.access_token_encrypted
    revoked_now = True
    if token_encrypted:
        try:
            google_oauth().revoke(token=decrypt_token(token_encrypted))
        except (NetworkError, TransientError) as error:
            logger.warning(
                "Google revoke failed for user %s, will retry: %s", connection.user_id, error
            )
            connection.pending_revoke_encrypted = token_encrypted
            revoked_now = False
        except GoogleError as error:
            logger.warning("Google refused the revoke for user %s: %s", connection.user_id, error)
    with transaction.atomic():
        connection.access_token_encrypted = ""
        connection.refresh_token_encrypted = ""
        connection.access_token_expires_at = None
        connection.status = GoogleConnection.Status.DISCONNECTED
        connection.status_detail = ""
        connection.save()
        _announce(connection, "disconnected")
    return revoked_now


def pending_revokes_retry() -> int:
    """Retries revokes that could not reach Google; returns how many went through."""
    done = 0
    for connection in GoogleConnection.objects.exclude(pending_revoke_encrypted=""):
        try:
            google_oauth().revoke(token=decrypt_token(connection.pending_revoke_encrypted))
        except (NetworkError, TransientError):
            continue
        except GoogleError as error:
            logger.warning(
                "Google refused a queued revoke for user %s: %s", connection.user_id, error
            )
        connection.pending_revoke_encrypted = ""
        connection.save(update_fields=["pending_revoke_encrypted", "updated_at"])
        done += 1
    return done


def rotate_connection_keys() -> int:
    """Re-encrypts every stored token under the newest key; returns how many rows changed."""
    from tandem.accounts.crypto import is_under_newest_key, rotate_token

    changed = 0
    fields = ("access_token_encrypted", "refresh_token_encrypted", "pending_revoke_encrypted")
    for connection in GoogleConnection.objects.all():
        updated = []
        for name in fields:
            value = getattr(connection, name)
            if value and not is_under_newest_key(value):
                setattr(connection, name, rotate_token(value))
                updated.append(name)
        if updated:
            connection.save(update_fields=updated)
            changed += 1
    return changed


__all__ = ["encrypt_token"]
