"""Which calendar a new CRM meeting goes to (core/placement.py), and the planner's rows that
follow it: a series cut by "this and following" goes beside the series it was cut from."""

from __future__ import annotations

from dataclasses import replace

from tandem.sync.core.actions import InsertInGoogle, SaveLink
from tandem.sync.core.placement import Home, ParentSeries, home_of_new_meeting
from tandem.sync.core.state import SyncSettings
from tests.sync_core.test_planner import BASE, PRIVATE, crm, plan

WRITABLE = frozenset({"primary", "team"})


def test_a_meeting_with_no_parent_goes_to_the_target_as_ours() -> None:
    """A meeting not cut from a linked series goes to the target calendar, pushed as ours."""
    home = home_of_new_meeting(parent=None, target_calendar_id="team", writable=WRITABLE)
    assert home == Home("team", "crm")


def test_a_series_cut_from_a_linked_series_goes_to_its_calendar_as_its_kin() -> None:
    """Cut from a series linked in a writable calendar: that calendar, the parent's origin."""
    parent = ParentSeries("primary", "google")
    home = home_of_new_meeting(parent=parent, target_calendar_id="team", writable=WRITABLE)
    assert home == Home("primary", "google")
    ours = ParentSeries("team", "crm")
    assert home_of_new_meeting(parent=ours, target_calendar_id="team", writable=WRITABLE) == Home(
        "team", "crm"
    )


def test_a_parent_in_a_calendar_not_writable_or_not_synced_sends_it_to_the_target() -> None:
    """A parent whose calendar the user can no longer write (or un-picked): the target."""
    parent = ParentSeries("holidays", "google")
    home = home_of_new_meeting(parent=parent, target_calendar_id="team", writable=WRITABLE)
    assert home == Home("team", "crm")


def test_the_planner_inserts_a_meeting_only_into_its_home() -> None:
    """Its home calendar inserts it even when not the target; no other calendar does."""
    cut = crm(home=Home("primary", "google"))
    primary = SyncSettings(is_target=False, calendar_id="primary")
    target = SyncSettings(is_target=True, calendar_id="team")
    inserted = plan(crm=cut, settings=primary)
    assert inserted.actions == (InsertInGoogle(7, BASE), SaveLink(BASE, origin="google"))
    assert plan(crm=cut, settings=target).actions == ()
    assert plan(crm=cut, settings=replace(primary, read_only=True)).actions == ()


def test_a_private_series_cut_from_a_google_series_stays_in_google() -> None:
    """Private sync is for the meetings we push: the second half of the user's own Google
    series goes to Google like its first half, private or not."""
    primary = SyncSettings(is_target=False, calendar_id="primary")
    cut = crm(PRIVATE, home=Home("primary", "google"))
    assert plan(crm=cut, settings=primary).actions[0] == InsertInGoogle(7, PRIVATE)
    ours = crm(PRIVATE, home=Home("primary", "crm"))
    assert plan(crm=ours, settings=primary).actions == ()
