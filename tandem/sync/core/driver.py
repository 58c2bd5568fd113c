"""``sync_once``: one run over one Google calendar on the in-memory sides, like vdirsyncer's
``sync(a, b, status)``: the settings pass (core/settings_changes.py), the inbound pass, then
(unless the breaker held deletions) the outbound pass, all the core's (core/inbound.py,
core/outbound.py), which production runs over the database's stores (tandem/sync/engine/
run.py runs the settings pass once, then the other two for each of a user's calendars). The
property tests and the in-memory state machine drive the sync through here.
"""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Set as AbstractSet

from msgspec.structs import replace

from tandem.sync.core.apply import Applier, Fetcher, SyncReport
from tandem.sync.core.inbound import Inbound
from tandem.sync.core.memory import MemoryCrm, MemoryGoogle, MemoryLinks
from tandem.sync.core.memory_stores import (
    MemoryInboundStore,
    MemoryOutboundStore,
    MemorySettingsStore,
)
from tandem.sync.core.outbound import Outbound
from tandem.sync.core.settings_changes import SettingsChanges
from tandem.sync.core.state import SyncSettings


def sync_once(
    crm: MemoryCrm,
    google: MemoryGoogle,
    links: MemoryLinks,
    *,
    settings: SyncSettings,
    namespace: str,
    allow_mass_delete: bool = False,
    picked: Collection[str] = (),
    target_calendar_id: str | None = None,
) -> SyncReport:
    """Synchronises one calendar both ways and returns what happened. ``picked``: the
    user's other calendars synced now (this one always is); ``target_calendar_id``: the
    target (this calendar unless said). Any other calendar of ``google.account`` the link
    store knows is one the user un-picked: the settings pass takes it out first."""
    report = SyncReport()
    calendar_id = google.calendar_id
    target = target_calendar_id or calendar_id
    fetch = Fetcher(google, namespace, google.default_zone)
    applier = Applier(crm, google, links, settings, namespace, fetch, report)

    def applier_for(other_id: str) -> Applier:
        if other_id == calendar_id:
            return applier
        other = google.account[other_id]
        # The memory calendars are all writable; another calendar is written only to move
        # our events from it or to push before it leaves.
        other_settings = replace(
            settings,
            is_target=other_id == target,
            is_inbound=False,
            read_only=False,
            calendar_id=other_id,
        )
        return Applier(
            crm,
            other,
            links,
            other_settings,
            namespace,
            Fetcher(other, namespace, other.default_zone),
            report,
        )

    def outbound(applier: Applier, held_back: AbstractSet[int] = frozenset()) -> Outbound:
        """The outbound pass over the calendar ``applier`` writes."""
        pass_ = Outbound(
            store=MemoryOutboundStore(
                crm, links, calendar_id=applier.calendar_id, is_target=applier.settings.is_target
            ),
            applier=applier,
            settings=applier.settings,
            allow_mass_delete=allow_mass_delete,
            report=report,
            held_back=held_back,
        )
        pass_.run()
        return pass_

    def leave(unpicked_id: str) -> bool:
        pushed = outbound(applier_for(unpicked_id))
        return pushed.clean and not pushed.tripped

    SettingsChanges(
        store=MemorySettingsStore(crm, links, synced={calendar_id, target, *picked}, target=target),
        applier_for=applier_for,
        leave=leave,
        target_calendar_id=target,
    ).run()
    inbound = Inbound(
        store=MemoryInboundStore(
            crm, links, calendar_id=calendar_id, namespace=namespace, report=report
        ),
        crm=crm,
        google=google,
        applier=applier,
        settings=settings,
        namespace=namespace,
        default_zone=google.default_zone,
        allow_mass_delete=allow_mass_delete,
        report=report,
        keep_plans=True,
    )
    inbound.run()
    if inbound.tripped:
        return report  # the user answers first (DESIGN.md §3, the breaker)
    outbound(applier, inbound.held_back)
    return report
