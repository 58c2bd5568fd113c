"""What one run knows: the user, the Google account, the client, settings and counters."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.models import User

from tandem.google.calendar import CalendarClient
from tandem.sync.core.state import SyncSettings as CoreSettings
from tandem.sync.models import Installation

WINDOW = timedelta(days=30)
WRITABLE_ROLES = frozenset({"owner", "writer"})


def installation_namespace() -> str:
    """This CRM's namespace for event ids and markers (created once, shared by workers)."""
    row = Installation.objects.order_by("pk").first()
    if row is None:
        row, _ = Installation.objects.get_or_create(
            pk=1, defaults={"namespace": secrets.token_hex(8)}
        )
    return row.namespace


@dataclass
class CalendarPlan:
    calendar_id: str
    access_role: str
    inbound: bool
    target: bool

    @property
    def writable(self) -> bool:
        return self.access_role in WRITABLE_ROLES


@dataclass
class RunContext:
    user: User
    google_sub: str
    client: CalendarClient
    namespace: str
    now: datetime
    sync_private: bool
    target_calendar_id: str
    all_day_zone: str
    allow_mass_delete: bool = False
    force_full_outbound: bool = False
    # Set when the inbound passes start: links they write are not looked at again in full.
    inbound_started_at: datetime | None = None
    counts: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    needs_attention: str = ""
    # Renews the user's lease lock; called between calendars and pages of a long run.
    keep_alive: Callable[[], None] = field(default=lambda: None)

    @property
    def window_start(self) -> datetime:
        return self.now - WINDOW

    def core_settings(self, calendar: CalendarPlan) -> CoreSettings:
        return CoreSettings(
            private_sync=self.sync_private,
            is_target=calendar.target,
            read_only=not calendar.writable,
            window_start=self.window_start,
        )
