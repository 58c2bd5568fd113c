"""What one run knows: the user, the Google account, the client, settings and counters."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.models import User

from tandem.google.calendar import CalendarClient
from tandem.sync.core.breaker import DeletedIn
from tandem.sync.core.fields import TimedMoment
from tandem.sync.core.state import CrmMeeting
from tandem.sync.core.state import SyncSettings as CoreSettings
from tandem.sync.models import Installation

WINDOW = timedelta(days=30)
HELD_SHOWN = 200  # held deletions listed in the breaker's question (the count is exact)
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


@dataclass(frozen=True)
class HeldDeletion:
    """A meeting the breaker kept from being deleted, as the user's question lists it.
    ``deleted_in``: where the user's deletion happened ("google": the meeting would leave
    the CRM; "crm": its event would leave Google)."""

    meeting_id: int
    subject: str
    start: str  # ISO date or date-time, as the meeting had it
    deleted_in: DeletedIn

    @classmethod
    def of(cls, meeting: CrmMeeting, *, deleted_in: DeletedIn) -> HeldDeletion:
        start = meeting.fields.start
        at = start.at if isinstance(start, TimedMoment) else start
        return cls(meeting.meeting_id, meeting.fields.subject, at.isoformat(), deleted_in)

    def as_json(self) -> dict[str, object]:
        return {
            "meeting_id": self.meeting_id,
            "subject": self.subject,
            "start": self.start,
            "deleted_in": self.deleted_in,
        }


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
    # Set when the inbound passes start: links they write are not looked at again in full.
    inbound_started_at: datetime | None = None
    counts: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    needs_attention: str = ""
    # The deletions the mass-delete breaker held back, for the user's question.
    held: list[HeldDeletion] = field(default_factory=list)
    # The calendars synced now that the user can write (set once they are known): where a
    # series cut from another may go (core/placement.py).
    writable_calendar_ids: frozenset[str] = frozenset()
    # Renews the user's lease lock; called between calendars and pages of a long run.
    keep_alive: Callable[[], None] = field(default=lambda: None)

    def hold(self, reason: str, deletions: list[HeldDeletion]) -> None:
        """The breaker tripped: the run asks the user, naming what it would delete."""
        self.needs_attention = self.needs_attention or reason
        self.held.extend(deletions[: HELD_SHOWN - len(self.held)])

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
