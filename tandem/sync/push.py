"""Google push notifications: one watch channel per inbound calendar.

Reference: https://developers.google.com/workspace/calendar/api/guides/push (and
shared/google-calendar-api.md §2.7). A channel is opened with ``events.watch`` on each
inbound calendar; Google then POSTs an empty notification to our webhook after every change,
and the webhook queues that user's sync (tandem/sync/webhooks.py). Each channel has a random
id and a random token; ``CalendarSyncState`` keeps the id and the token's SHA-256 only
(``channel_token_hash``: a copy of the database or a ``dumpdata`` cannot forge a
notification), and the webhook accepts a notification only when the id matches and the
token hashes to the stored hash (compared in constant time).

Google has no renewal: a channel dies at its expiration (7 days at most), so a channel that
expires within ``RENEW_WITHIN`` is replaced by a new one first (they overlap, so no change
is missed) and the old one is then stopped. Channels are stopped on Revoke Token (while the
token still works), when a calendar is no longer inbound, and when push is switched off. A
stop Google does not confirm (an error, not 404/410) is remembered as a ``StaleChannel`` and
retried by the hourly renewal until Google confirms or the channel expires.

Push is an optimisation; the 5-minute poll is the safety net. So nothing here raises into
its caller: a Google error is logged and the next run (or the hourly renewal) tries again.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.google_services import calendar_client_for
from tandem.accounts.models import GoogleConnection, SyncSettings
from tandem.google import errors as google_errors
from tandem.google.calendar import CalendarClient
from tandem.sync.models import CalendarSyncState, StaleChannel

logger = logging.getLogger(__name__)

# What we ask Google for; Google caps event channels at 7 days anyway.
CHANNEL_TTL = timedelta(days=7)
# A channel closer than this to its expiration is replaced (the hourly task looks this far
# ahead, so a channel is renewed about a day before it would die).
RENEW_WITHIN = timedelta(hours=24)
# The emulator accepts plain HTTP on these hosts; Google itself requires HTTPS.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost"})
MAX_CHANNEL_ID_LENGTH = 64  # Google's limit
_ADDRESS_TAG_LENGTH = 10


@dataclass
class PushReport:
    """What one pass of channel management did (for logs, tasks and tests)."""

    opened: int = 0
    stopped: int = 0
    failed: int = 0

    def add(self, other: PushReport) -> None:
        self.opened += other.opened
        self.stopped += other.stopped
        self.failed += other.failed


# -- configuration --------------------------------------------------------------------------


def push_enabled() -> bool:
    """Push is on when Google can reach us: an https:// PUBLIC_BASE_URL, or a loopback
    http:// one while we talk to the emulator (which allows plain HTTP on loopback)."""
    parts = urlsplit(str(settings.PUBLIC_BASE_URL or ""))
    if not parts.hostname:
        return False
    if parts.scheme == "https":
        return True
    return (
        parts.scheme == "http"
        and parts.hostname in LOOPBACK_HOSTS
        and settings.GOOGLE_ENDPOINTS == "emulator"
    )


def push_address() -> str:
    """The webhook address Google notifies: PUBLIC_BASE_URL + the webhook path."""
    return str(settings.PUBLIC_BASE_URL).rstrip("/") + reverse("google-push")


def _address_tag(address: str) -> str:
    # Part of the channel id, so a channel made for another address (PUBLIC_BASE_URL
    # changed, e.g. a new port) is recognised and replaced without storing the address.
    return hashlib.sha256(address.encode()).hexdigest()[:_ADDRESS_TAG_LENGTH]


def _new_channel_id(address: str) -> str:
    return f"tandem-{uuid.uuid4().hex}-{_address_tag(address)}"


def _points_at(channel_id: str, address: str) -> bool:
    return channel_id.endswith(f"-{_address_tag(address)}")


# -- the webhook's check --------------------------------------------------------------------


def channel_token_hash(token: str) -> str:
    """What is stored of a channel's token. A plain SHA-256 suffices (no salt, no slow
    hash): the token is 32 random bytes, so there is nothing to guess from the hash."""
    return hashlib.sha256(token.encode()).hexdigest()


def push_channel_owner_id(*, channel_id: str, token: str) -> int | None:
    """The user whose channel this is, when the id is ours and the token matches (compared
    in constant time); None otherwise. Reads the database only: never calls Google."""
    if not channel_id or len(channel_id) > MAX_CHANNEL_ID_LENGTH or not token:
        return None
    state = (
        CalendarSyncState.objects.filter(channel_id=channel_id)
        .exclude(channel_token_hash="")
        .only("owner_id", "channel_token_hash")
        .first()
    )
    if state is None:
        return None
    if not hmac.compare_digest(state.channel_token_hash, channel_token_hash(token)):
        return None
    return state.owner_id


def push_channel_known(*, channel_id: str) -> bool:
    """Whether a channel id is one of ours (the webhook answers 403 rather than 404)."""
    if not channel_id or len(channel_id) > MAX_CHANNEL_ID_LENGTH:
        return False
    return CalendarSyncState.objects.filter(channel_id=channel_id).exists()


# -- opening and stopping channels ------------------------------------------------------------


def _expiry(answer: dict[str, Any], now: datetime) -> datetime:
    try:
        return datetime.fromtimestamp(int(answer["expiration"]) / 1000, UTC)
    except (KeyError, TypeError, ValueError):
        return now + CHANNEL_TTL


def _channel_open(client: CalendarClient, state: CalendarSyncState, now: datetime) -> bool:
    """Opens a new channel on the state's calendar; then stops the one it replaces.

    The new channel is stored only if the state still holds the channel we saw, so two
    workers ensuring the same user at once cannot leave an untracked channel behind."""
    address = push_address()
    channel_id = _new_channel_id(address)
    token = secrets.token_urlsafe(32)
    answer = client.events_watch(
        state.calendar_id,
        channel_id=channel_id,
        address=address,
        token=token,
        ttl_seconds=int(CHANNEL_TTL.total_seconds()),
    )
    old_id, old_resource = state.channel_id, state.channel_resource_id
    resource_id = str(answer.get("resourceId", ""))
    expires_at = _expiry(answer, now)
    stored = CalendarSyncState.objects.filter(pk=state.pk, channel_id=old_id).update(
        channel_id=channel_id,
        channel_token_hash=channel_token_hash(token),
        channel_resource_id=resource_id,
        channel_expires_at=expires_at,
    )
    if stored != 1:
        # Someone else replaced (or removed) the channel meanwhile: ours is surplus.
        _google_stop(
            client, _Unused(state.owner_id, state.google_sub, channel_id, resource_id, expires_at)
        )
        return False
    old_expires = state.channel_expires_at
    state.channel_id, state.channel_token_hash = channel_id, channel_token_hash(token)
    state.channel_resource_id, state.channel_expires_at = resource_id, expires_at
    if old_id:
        # Only now, with the new channel live and recorded, does the old one go.
        _google_stop(
            client, _Unused(state.owner_id, state.google_sub, old_id, old_resource, old_expires)
        )
    return True


@dataclass(frozen=True)
class _Unused:
    """A channel we no longer use, to stop at Google."""

    owner_id: int
    google_sub: str
    channel_id: str
    resource_id: str
    expires_at: datetime | None


def _google_stop(client: CalendarClient, channel: _Unused) -> None:
    """Stops the channel at Google; if Google fails to answer, remembers it as stale (the
    hourly renewal tries again) and raises."""
    if not channel.resource_id:
        return  # Never confirmed by Google: there is nothing to stop.
    try:
        # NotFound / Gone: already stopped or expired.
        with contextlib.suppress(google_errors.NotFound, google_errors.Gone):
            client.channel_stop(channel_id=channel.channel_id, resource_id=channel.resource_id)
    except google_errors.GoogleError:
        StaleChannel.objects.get_or_create(
            channel_id=channel.channel_id,
            defaults={
                "owner_id": channel.owner_id,
                "google_sub": channel.google_sub,
                "resource_id": channel.resource_id,
                "expires_at": channel.expires_at,
            },
        )
        raise
    StaleChannel.objects.filter(channel_id=channel.channel_id).delete()


def _channel_stop(client: CalendarClient | None, state: CalendarSyncState) -> None:
    """Forgets the state's channel, then stops it at Google when a client is given."""
    unused = _Unused(
        state.owner_id,
        state.google_sub,
        state.channel_id,
        state.channel_resource_id,
        state.channel_expires_at,
    )
    CalendarSyncState.objects.filter(pk=state.pk, channel_id=unused.channel_id).update(
        channel_id="", channel_token_hash="", channel_resource_id="", channel_expires_at=None
    )
    state.channel_id = state.channel_token_hash = state.channel_resource_id = ""
    state.channel_expires_at = None
    if client is not None:
        _google_stop(client, unused)


def _stop_stale(connection: GoogleConnection, clients: _Clients, now: datetime) -> PushReport:
    """Retries stopping the channels Google did not confirm stopping; forgets those that
    expired (Google dropped them) or belong to another Google account (no token for it)."""
    report = PushReport()
    stale = StaleChannel.objects.filter(owner_id=connection.user_id)
    stale.filter(Q(expires_at__lte=now) | ~Q(google_sub=connection.google_sub)).delete()
    for row in stale.order_by("pk"):
        unused = _Unused(
            row.owner_id, row.google_sub, row.channel_id, row.resource_id, row.expires_at
        )
        _google_stop(clients.get(), unused)
        report.stopped += 1
    return report


def _needs_new_channel(state: CalendarSyncState, now: datetime, address: str) -> bool:
    return (
        not state.channel_id
        or state.channel_expires_at is None
        or state.channel_expires_at <= now + RENEW_WITHIN
        or not _points_at(state.channel_id, address)
    )


def _inbound_ids(connection: GoogleConnection) -> set[str]:
    sync_settings = SyncSettings.objects.filter(connection=connection).first()
    if sync_settings is None or not sync_settings.is_complete:
        return set()
    return set(sync_settings.inbound_calendar_ids)


class _Clients:
    """One Calendar client per connection, made only when a Google call is needed."""

    def __init__(self, connection: GoogleConnection) -> None:
        self.connection = connection
        self._client: CalendarClient | None = None

    def get(self) -> CalendarClient:
        if self._client is None:
            self._client = calendar_client_for(connection=self.connection)
        return self._client


def _manage(
    connection: GoogleConnection, *, keep: set[str], now: datetime, open_channels: bool = True
) -> PushReport:
    """Stops every channel outside ``keep``; opens or renews those in it (if asked)."""
    report = PushReport()
    address = push_address() if keep and open_channels else ""
    clients = _Clients(connection)
    states = CalendarSyncState.objects.filter(
        owner_id=connection.user_id, google_sub=connection.google_sub
    ).order_by("pk")
    for state in states:
        wanted = state.calendar_id in keep
        if not wanted and not state.channel_id:
            continue
        if wanted and not (open_channels and _needs_new_channel(state, now, address)):
            continue
        try:
            if wanted:
                report.opened += int(_channel_open(clients.get(), state, now))
            else:
                _channel_stop(clients.get(), state)
                report.stopped += 1
        except google_errors.GoogleError as error:
            report.failed += 1
            logger.warning(
                "push channel on calendar state %s of user %s: %s (polling continues)",
                state.pk,
                connection.user_id,
                type(error).__name__,
            )
            if isinstance(error, google_errors.ConnectionLost):
                return report  # Every further call would fail the same way.
    try:
        report.add(_stop_stale(connection, clients, now))
    except google_errors.GoogleError as error:
        report.failed += 1
        logger.warning(
            "stopping a stale push channel of user %s: %s (retried hourly)",
            connection.user_id,
            type(error).__name__,
        )
    return report


def _safely(user_id: int, action: str, work: Any) -> PushReport:
    # Push is an optimisation: whatever goes wrong here must not fail a sync, a revoke or a
    # settings change. The error is logged (type only: messages may quote a request).
    try:
        result: PushReport = work()
    except Exception as error:
        logger.exception("push %s for user %s failed: %s", action, user_id, type(error).__name__)
        return PushReport(failed=1)
    return result


# -- the public interface ---------------------------------------------------------------------


def push_channels_ensure(*, user_id: int, now: datetime | None = None) -> PushReport:
    """After a successful sync: a live channel on every inbound calendar (opened, renewed
    when it expires within RENEW_WITHIN or points at an old address), none elsewhere.
    With push off, stops the user's channels. Makes no Google call when all is in order."""

    def work() -> PushReport:
        connection = GoogleConnection.objects.filter(user_id=user_id).first()
        if connection is None or connection.status != GoogleConnection.Status.CONNECTED:
            return PushReport()
        keep = _inbound_ids(connection) if push_enabled() else set()
        return _manage(connection, keep=keep, now=now or timezone.now())

    return _safely(user_id, "ensure", work)


def push_channels_in_order(
    *,
    states: Iterable[CalendarSyncState],
    inbound_calendar_ids: Iterable[str],
    now: datetime | None = None,
) -> bool:
    """Whether ``push_channels_ensure`` would find nothing to do, judged from the calendar
    sync states a run has just read: every inbound calendar has a live channel far from its
    expiry at today's address (none when push is off), and no other calendar has one. Reads
    nothing, so a run with its channels in order (nearly every run) pays no query for them.
    Channels Google did not confirm stopping are left to the hourly renewal."""
    moment = now or timezone.now()
    keep = set(inbound_calendar_ids) if push_enabled() else set()
    address = push_address() if keep else ""
    live: set[str] = set()
    for state in states:
        if state.calendar_id in keep:
            if _needs_new_channel(state, moment, address):
                return False
            live.add(state.calendar_id)
        elif state.channel_id:
            return False
    return live == keep


def push_channels_renew(*, now: datetime | None = None) -> PushReport:
    """The hourly task: replaces every channel that expires within RENEW_WITHIN, and
    retries stopping the channels Google did not confirm stopping."""
    moment = now or timezone.now()
    expiring = Q(channel_expires_at__isnull=True) | Q(channel_expires_at__lte=moment + RENEW_WITHIN)
    owners = (
        CalendarSyncState.objects.exclude(channel_id="")
        .filter(expiring)
        .values_list("owner_id", flat=True)
        .distinct()
    )
    # Expired channels are gone at Google; for a user who disconnected meanwhile, this is
    # the only way their rows go (there is no token left to stop them with).
    StaleChannel.objects.filter(expires_at__lte=moment).delete()
    stale = StaleChannel.objects.values_list("owner_id", flat=True).distinct()
    report = PushReport()
    for owner_id in sorted(set(owners) | set(stale)):
        report.add(push_channels_ensure(user_id=owner_id, now=moment))
    return report


def push_channels_stop_unpicked(*, connection: GoogleConnection) -> PushReport:
    """Settings saved: stops the channels of calendars that are no longer inbound (before
    the next run forgets those calendars). New inbound calendars get theirs after it."""

    def work() -> PushReport:
        keep = _inbound_ids(connection) if push_enabled() else set()
        # Opening is left to the run that follows: it knows the new calendars.
        return _manage(connection, keep=keep, now=timezone.now(), open_channels=False)

    return _safely(connection.user_id, "stop unpicked", work)


def push_channels_stop_all(*, connection: GoogleConnection) -> PushReport:
    """Revoke Token: stops every channel of the connection while its token still works."""
    return _safely(
        connection.user_id,
        "stop all",
        lambda: _manage(connection, keep=set(), now=timezone.now()),
    )


# -- receivers (connected in tandem/sync/apps.py) ---------------------------------------------


def on_google_disconnecting(*, connection: GoogleConnection, **kwargs: Any) -> None:
    push_channels_stop_all(connection=connection)


def on_google_connection_changed(
    *, connection: GoogleConnection, change: str, **kwargs: Any
) -> None:
    if change == "settings_saved":
        push_channels_stop_unpicked(connection=connection)
