"""The Google Calendar client a sync run gets in production, and the shape of any other.

The engine builds no client itself: ``sync_user_now`` is handed a ``CalendarClientFactory``
(this module's ``google_client_for`` unless a caller hands in another), which turns the
user's connection into a client. The production one uses the connection's tokens
(tandem.accounts.tokens), the process's shared HTTP pool (tandem.accounts.google_clients)
and the user's per-minute request budget (put on by tandem.sync.receivers).
"""

from __future__ import annotations

from collections.abc import Callable

from tandem.accounts.google_services import calendar_client_for
from tandem.accounts.models import GoogleConnection
from tandem.google.calendar import CalendarClient

CalendarClientFactory = Callable[[GoogleConnection], CalendarClient]


def google_client_for(connection: GoogleConnection) -> CalendarClient:
    """The production client: Google (or the emulator) as configured by GOOGLE_ENDPOINTS."""
    return calendar_client_for(connection=connection)
