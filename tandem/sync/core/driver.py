"""``sync_once``: one run over one Google calendar on the in-memory sides, like vdirsyncer's
``sync(a, b, status)``: the inbound pass, then (unless the breaker held deletions) the
outbound pass, both the core's (core/inbound.py, core/outbound.py), which production runs
over the database's stores (tandem/sync/engine/run.py runs them for each of a user's
calendars). The property tests and the in-memory state machine drive the sync through here.
"""

from __future__ import annotations

from tandem.sync.core.apply import Applier, Fetcher, SyncReport
from tandem.sync.core.inbound import Inbound
from tandem.sync.core.memory import MemoryCrm, MemoryGoogle, MemoryLinks
from tandem.sync.core.memory_stores import MemoryInboundStore, MemoryOutboundStore
from tandem.sync.core.outbound import Outbound
from tandem.sync.core.state import SyncSettings


def sync_once(
    crm: MemoryCrm,
    google: MemoryGoogle,
    links: MemoryLinks,
    *,
    settings: SyncSettings,
    namespace: str,
    allow_mass_delete: bool = False,
) -> SyncReport:
    """Synchronises one calendar both ways and returns what happened."""
    report = SyncReport()
    calendar_id = google.calendar_id
    fetch = Fetcher(google, namespace, google.default_zone)
    applier = Applier(crm, google, links, settings, namespace, fetch, report)
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
    Outbound(
        store=MemoryOutboundStore(
            crm, links, calendar_id=calendar_id, is_target=settings.is_target
        ),
        applier=applier,
        settings=settings,
        allow_mass_delete=allow_mass_delete,
        report=report,
    ).run()
    return report
