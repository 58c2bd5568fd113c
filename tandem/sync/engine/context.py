"""What one run knows: the user, the Google account, the client, settings and counters."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.models import User

from tandem.compiled_queries import CompiledQuery
from tandem.google.calendar import CalendarClient
from tandem.sync.core.run_report import RunReport
from tandem.sync.core.state import SyncSettings as CoreSettings
from tandem.sync.models import CalendarSyncState, Installation

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


# An idle run's statement, built and compiled once per process (tandem/compiled_queries.py).
_CALENDAR_STATES = CompiledQuery(
    CalendarSyncState,
    lambda *, owner_id, google_sub: CalendarSyncState.objects.filter(
        owner_id=owner_id, google_sub=google_sub
    ),
)


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
    run_id: int | None = None  # the SyncRun this run records (its conflicts name it)
    # When the user's last clean run began (None: none yet): the outbound look starts from
    # the meetings changed since (engine/outbound.py).
    last_clean_started_at: datetime | None = None
    # Set when the inbound passes start: links they write are not looked at again in full.
    inbound_started_at: datetime | None = None
    # Meetings the inbound passes left for the next run, which the outbound passes leave
    # alone (core/inbound.py ``held_back``).
    held_back: set[int] = field(default_factory=set)
    # What the run did, as the run record, the status page, the API and the CLI read it.
    report: RunReport = field(default_factory=RunReport)
    # The calendars synced now that the user can write (set once they are known): where a
    # series cut from another may go (core/placement.py).
    writable_calendar_ids: frozenset[str] = frozenset()
    # Renews the user's lease lock; called between calendars and pages of a long run.
    keep_alive: Callable[[], None] = field(default=lambda: None)
    _calendar_states: dict[str, CalendarSyncState] | None = None

    def calendar_states(self) -> dict[str, CalendarSyncState]:
        """The sync states of the account's calendars, by calendar id, read in one query
        when first asked: the settings changes (the calendars no longer picked) and each
        inbound pass (its token) read them, once per run rather than once each."""
        if self._calendar_states is None:
            self._calendar_states = {
                row.calendar_id: row
                for row in _CALENDAR_STATES.all(owner_id=self.user.pk, google_sub=self.google_sub)
            }
        return self._calendar_states

    @property
    def window_start(self) -> datetime:
        return self.now - WINDOW

    def core_settings(self, calendar: CalendarPlan) -> CoreSettings:
        return CoreSettings(
            private_sync=self.sync_private,
            is_target=calendar.target,
            read_only=not calendar.writable,
            window_start=self.window_start,
            is_inbound=calendar.inbound,
            calendar_id=calendar.calendar_id,
        )
