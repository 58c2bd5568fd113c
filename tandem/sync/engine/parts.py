"""What each pass of a run is built from, for one calendar: the Google side, the CRM side
and the one applier over them, with the pass's report."""

from __future__ import annotations

from dataclasses import dataclass

from tandem.sync.adapters.crm import DjangoCrm
from tandem.sync.adapters.google import GoogleCalendarSide
from tandem.sync.adapters.links import DjangoLinks
from tandem.sync.core.apply import Applier, Fetcher, SyncReport
from tandem.sync.core.state import SyncSettings
from tandem.sync.engine.context import CalendarPlan, RunContext


@dataclass(frozen=True)
class PassParts:
    side: GoogleCalendarSide
    crm: DjangoCrm
    settings: SyncSettings
    applier: Applier
    report: SyncReport


def pass_parts(ctx: RunContext, calendar: CalendarPlan, default_zone: str) -> PassParts:
    report = SyncReport()
    side = GoogleCalendarSide(
        client=ctx.client,
        calendar_id=calendar.calendar_id,
        time_min=ctx.window_start.isoformat(timespec="seconds"),
        default_zone=default_zone,
    )
    crm = DjangoCrm(user=ctx.user, all_day_zone=ctx.all_day_zone, window_start=ctx.window_start)
    settings = ctx.core_settings(calendar)
    applier = Applier(
        crm,
        side,
        DjangoLinks(user=ctx.user, google_sub=ctx.google_sub),
        settings,
        ctx.namespace,
        Fetcher(side, ctx.namespace, default_zone),
        report,
    )
    return PassParts(side, crm, settings, applier, report)
