"""Which calendar a CRM meeting belongs in (core/placement.py), and the planner's rows that
follow it: a series cut by "this and following" goes, and stays, beside the series it was
cut from."""

from __future__ import annotations

from msgspec.structs import replace

from tandem.sync.core.actions import InsertInGoogle, MoveToTarget, SaveLink
from tandem.sync.core.placement import home_calendar
from tandem.sync.core.planner import plan_settings_change
from tandem.sync.core.state import SyncSettings
from tests.sync_core.test_planner import BASE, PRIVATE, crm, link, plan

WRITABLE = frozenset({"primary", "team"})


def test_a_meeting_not_cut_from_a_linked_series_belongs_in_the_target() -> None:
    """No parent, or a parent whose calendar is not synced and writable: the target."""
    assert home_calendar(parent_calendar_id=None, target_calendar_id="team", writable=WRITABLE) == (
        "team"
    )
    holidays = home_calendar(
        parent_calendar_id="holidays", target_calendar_id="team", writable=WRITABLE
    )
    assert holidays == "team"


def test_a_series_cut_from_a_linked_series_belongs_beside_it() -> None:
    """Cut from a series linked in a writable synced calendar: that calendar."""
    home = home_calendar(parent_calendar_id="primary", target_calendar_id="team", writable=WRITABLE)
    assert home == "primary"


def test_the_planner_inserts_a_meeting_only_into_its_home() -> None:
    """Its home inserts it even when not the target (as a meeting we pushed); no other
    calendar does, nor its home when read-only."""
    cut = crm(home="primary")
    primary = SyncSettings(is_target=False, calendar_id="primary")
    target = SyncSettings(is_target=True, calendar_id="team")
    inserted = plan(crm=cut, settings=primary)
    assert inserted.actions == (InsertInGoogle(7, BASE), SaveLink(BASE, origin="crm"))
    elsewhere = plan(crm=cut, settings=target)
    assert (elsewhere.why, elsewhere.actions) == ("not its calendar", ())
    assert plan(crm=cut, settings=replace(primary, read_only=True)).actions == ()
    assert plan(crm=crm(PRIVATE, home="primary"), settings=primary).actions == ()


def test_a_new_target_leaves_a_cut_series_beside_its_first_part() -> None:
    """Meetings we pushed follow a new target, except a series whose home is still the
    calendar it is in; once its home is the target, it moves too."""
    pushed = link(calendar_id="primary")
    staying = plan_settings_change(
        link=pushed, crm=crm(home="primary"), calendar_synced=True, target_calendar_id="team"
    )
    assert (staying.why, staying.actions) == ("cut series stays beside its first part", ())
    moving = plan_settings_change(
        link=pushed, crm=crm(home="team"), calendar_synced=True, target_calendar_id="team"
    )
    assert moving.actions == (MoveToTarget("ev1", "team"),)
