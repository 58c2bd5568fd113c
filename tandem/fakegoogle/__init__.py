"""The Google emulator: Google's OAuth 2.0 endpoints and Calendar API v3, locally.

Public interface::

    from tandem.fakegoogle import FakeGoogle

    google = FakeGoogle()
    google.register_client(client_id=..., client_secret=..., redirect_uris=[...])
    google.create_account(email="ann@example.com", name="Ann")
    token = google.mint_access_token(email="ann@example.com", scopes=[CALENDAR])
    client = httpx.Client(transport=google.transport(), base_url="http://fakegoogle")
    with google.serve() as server:  # a real loopback server: server.base_url
        ...

See docs/emulator.md for the URL layout and the control API under ``/_emulator/``.
"""

from tandem.fakegoogle.emulator import FakeGoogle, LogEntry
from tandem.fakegoogle.server import RunningServer
from tandem.fakegoogle.store import Account

CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"
CALENDAR_EVENTS_SCOPE = "https://www.googleapis.com/auth/calendar.events"
CALENDAR_READONLY_SCOPE = "https://www.googleapis.com/auth/calendar.readonly"

__all__ = [
    "CALENDAR_EVENTS_SCOPE",
    "CALENDAR_READONLY_SCOPE",
    "CALENDAR_SCOPE",
    "Account",
    "FakeGoogle",
    "LogEntry",
    "RunningServer",
]
