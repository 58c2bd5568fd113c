"""A connection's access token, refreshed before it expires; the only reader of tokens.

Refreshed tokens are saved at once (Authlib's update_token pattern), the refresh token is
kept when Google's refresh response omits it, and invalid_grant marks the connection
"needs reconnect" so no further call to Google is made for that user.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from tandem.accounts.crypto import decrypt_token, encrypt_token
from tandem.accounts.google_clients import google_oauth
from tandem.accounts.models import GoogleConnection
from tandem.google.errors import ConnectionLost, InvalidGrant
from tandem.google.oauth import TokenSet

# Refresh this long before expiry, so a token never dies in the middle of a sync page.
REFRESH_MARGIN = timedelta(minutes=5)


def connection_store_tokens(*, connection: GoogleConnection, tokens: TokenSet) -> None:
    connection.access_token_encrypted = encrypt_token(tokens.access_token)
    if tokens.refresh_token:
        connection.refresh_token_encrypted = encrypt_token(tokens.refresh_token)
    connection.access_token_expires_at = datetime.fromtimestamp(tokens.expires_at, tz=UTC)
    connection.save(
        update_fields=[
            "access_token_encrypted",
            "refresh_token_encrypted",
            "access_token_expires_at",
            "updated_at",
        ]
    )


def connection_mark_needs_reconnect(*, connection: GoogleConnection, detail: str) -> None:
    connection.status = GoogleConnection.Status.NEEDS_RECONNECT
    connection.status_detail = detail[:500]
    connection.save(update_fields=["status", "status_detail", "updated_at"])


def connection_mark_scope_missing(*, connection: GoogleConnection) -> None:
    """Google answered insufficientPermissions: calendar access was withdrawn (or narrowed)
    in the Google Account, so nothing may sync until the user grants it again."""
    connection.status = GoogleConnection.Status.SCOPE_MISSING
    connection.status_detail = "Calendar access was withdrawn in the Google Account."
    connection.save(update_fields=["status", "status_detail", "updated_at"])


class ConnectionTokens:
    """TokenSource for tandem.google.calendar.CalendarClient, bound to one connection."""

    def __init__(self, connection: GoogleConnection) -> None:
        self.connection = connection

    def _ensure_usable(self) -> None:
        if self.connection.status != GoogleConnection.Status.CONNECTED:
            raise ConnectionLost(
                f"Google connection is {self.connection.get_status_display().lower()}."
            )

    def access_token(self) -> str:
        self._ensure_usable()
        expires = self.connection.access_token_expires_at
        if expires is None or expires - REFRESH_MARGIN <= timezone.now():
            return self.refreshed_access_token()
        return decrypt_token(self.connection.access_token_encrypted)

    def refreshed_access_token(self) -> str:
        """Refreshes now. Two workers refreshing at once is harmless: Google keeps the
        refresh token and both access tokens are valid, so no lock is held across the call."""
        self._ensure_usable()
        connection = self.connection
        try:
            if not connection.refresh_token_encrypted:
                raise InvalidGrant("Google gave no refresh token; please reconnect.")
            tokens = google_oauth().refresh(
                refresh_token=decrypt_token(connection.refresh_token_encrypted)
            )
        except InvalidGrant:
            connection_mark_needs_reconnect(
                connection=connection,
                detail="Google no longer accepts this connection (expired or revoked).",
            )
            raise
        connection_store_tokens(connection=connection, tokens=tokens)
        return tokens.access_token
