"""The colour source the sync app hands the meetings app (tandem.meetings.colours): which
Google calendar each meeting is in, read from the owner's links, and that calendar's colour
(the user's choice in the CRM, else Google's; accounts' SyncSettings.colour_of).

Two queries whatever the owner's total: the settings, and the links of the meetings the
page shows (through the links' meeting index). A meeting in several calendars (the same
event in two inbound calendars) takes the colour of the first of them in the user's list.
Links of another Google account than the one connected now have no colour, nor have
calendars the user no longer syncs: every colour on a page is in its legend.
"""

from __future__ import annotations

from collections.abc import Collection

from django.contrib.auth.models import User

from tandem.accounts.models import GoogleConnection, SyncSettings
from tandem.meetings.colours import NOT_IN_GOOGLE, Colours, LegendEntry, colour_class
from tandem.sync.models import EventLink


def calendar_colours(owner: User, meeting_ids: Collection[int]) -> Colours:
    settings = (
        SyncSettings.objects.filter(connection__user=owner)
        .select_related("connection")
        .only(
            "connection__google_sub",
            "known_calendars",
            "calendar_colours",
            "inbound_calendar_ids",
            "target_calendar_id",
        )
        .first()
    )
    if settings is None or not settings.known_calendars:
        return Colours()
    connection: GoogleConnection = settings.connection
    # The calendars the user syncs, in the order of their list: the legend's, so that every
    # colour on the page is explained there.
    shown = set(settings.inbound_calendar_ids) | {settings.target_calendar_id}
    calendars = [c for c in settings.known_calendars if c["id"] in shown]
    order = {c["id"]: position for position, c in enumerate(calendars)}
    classes = {c["id"]: colour_class(settings.colour_of(c)) for c in calendars}
    by_meeting: dict[int, str] = {}
    if meeting_ids:
        links = EventLink.objects.filter(
            owner=owner, google_sub=connection.google_sub, meeting_id__in=list(meeting_ids)
        ).values_list("meeting_id", "calendar_id")
        best: dict[int, int] = {}
        for meeting_id, calendar_id in links:
            position = order.get(calendar_id)
            if position is None or best.get(meeting_id, len(order)) <= position:
                continue
            best[meeting_id] = position
            by_meeting[meeting_id] = classes[calendar_id]
    legend = [LegendEntry(name=c["summary"], css_class=classes[c["id"]]) for c in calendars]
    if legend:
        legend.append(LegendEntry(name=NOT_IN_GOOGLE, css_class=colour_class(None)))
    return Colours(by_meeting=by_meeting, legend=legend)
