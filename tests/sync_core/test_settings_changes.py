"""The settings pass of the one driver (core/settings_changes.py) through ``sync_once`` over
two in-memory calendars of one Google account: DESIGN.md §3 "Settings changes" (a calendar
un-picked, a new target; private sync turned off is the state machine's, test_convergence.py).
Production runs the same pass over the database (tests/sync/test_rules_settings.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from msgspec.structs import replace

from tandem.sync.core.actions import DeleteInCrm, ItemPlan
from tandem.sync.core.apply import SyncReport
from tandem.sync.core.driver import sync_once
from tandem.sync.core.fields import MeetingFields
from tandem.sync.core.identity import event_id_for_meeting
from tandem.sync.core.mapping import fields_from_event
from tandem.sync.core.memory import Clock, MemoryCrm, MemoryGoogle, MemoryLinks
from tandem.sync.core.sides import Event, Refused
from tandem.sync.core.state import SyncSettings
from tests.sync_core.strategies import timed as timed_at

NAMESPACE = "test"
PRIMARY, TEAM = "primary", "team"


def timed(hour: int, subject: str) -> MeetingFields:
    return replace(timed_at(hour), subject=subject)


class RefusingMoves(MemoryGoogle):
    """A calendar whose events Google will not move (as for an instance or a special type)."""

    def move_event(self, *, event_id: str, destination: str) -> Event:
        raise Refused("400 cannotChangeOrganizerOfInstance")


@dataclass
class Account:
    clock: Clock = field(default_factory=Clock)
    links: MemoryLinks = field(default_factory=MemoryLinks)
    refuse_moves: bool = False

    def __post_init__(self) -> None:
        self.crm = MemoryCrm(self.clock)
        kind = RefusingMoves if self.refuse_moves else MemoryGoogle
        self.primary = kind(self.clock, calendar_id=PRIMARY)
        self.team = MemoryGoogle(self.clock, calendar_id=TEAM, account=self.primary.account)
        self.team._next_server_id = 500  # person-made ids differ between the calendars

    def sync(
        self, *, picked: set[str], target: str = PRIMARY, allow_mass_delete: bool = False
    ) -> SyncReport:
        """One run as production's: every synced calendar, the target among them; one
        report."""
        total = SyncReport()
        synced = sorted(picked | {target})
        for calendar_id in synced:
            report = sync_once(
                self.crm,
                self.primary.account[calendar_id],
                self.links,
                settings=SyncSettings(
                    is_target=calendar_id == target,
                    is_inbound=calendar_id in picked,
                    calendar_id=calendar_id,
                ),
                namespace=NAMESPACE,
                allow_mass_delete=allow_mass_delete,
                picked=synced,
                target_calendar_id=target,
            )
            total.plans += report.plans
            total.counts.update(report.counts)
            total.crm_writes += report.crm_writes
            total.google_writes += report.google_writes
            total.errors += report.errors
            total.needs_attention = total.needs_attention or report.needs_attention
        return total

    def subjects(self) -> list[str]:
        return sorted(fields.subject for fields in self.crm.alive().values())

    def google_subjects(self, calendar: MemoryGoogle) -> list[str]:
        return sorted(fields_from_event(e).subject for e in calendar.alive().values())

    def meeting_of(self, subject: str) -> int:
        """The live meeting of that subject."""
        [found] = [mid for mid, fields in self.crm.alive().items() if fields.subject == subject]
        return found


@pytest.fixture
def account() -> Account:
    return Account()


def both_synced(account: Account) -> tuple[int, int]:
    """A meeting made in the CRM (in the target, primary) and one made in the team
    calendar, both synced; their ids."""
    mine = account.crm.user_create(timed(9, "Mine"))
    account.team.user_create(timed(10, "Team offsite"))
    report = account.sync(picked={PRIMARY, TEAM})
    assert not report.errors and account.subjects() == ["Mine", "Team offsite"]
    return mine, account.meeting_of("Team offsite")


def test_an_unpicked_calendar_takes_its_meetings_out_of_the_crm_and_google_keeps_them(
    account: Account,
) -> None:
    mine, theirs = both_synced(account)
    report = account.sync(picked={PRIMARY})
    assert not report.errors
    assert account.subjects() == ["Mine"]
    assert account.crm.rows[theirs].deleted  # a tombstone, as a deletion leaves
    assert account.crm.rows[theirs].import_key is None  # forgotten with its calendar
    assert report.counts["crm_removed_with_calendar"] == 1
    assert report.counts["crm_deleted"] == 0
    assert account.google_subjects(account.team) == ["Team offsite"]
    assert account.links.links(calendar_id=TEAM) == []
    assert TEAM not in account.links.tokens
    assert [link.meeting_id for link in account.links.links(calendar_id=PRIMARY)] == [mine]
    assert account.sync(picked={PRIMARY}).writes == 0


def test_a_removal_with_its_calendar_is_not_a_deletion_the_breaker_counts(
    account: Account,
) -> None:
    """Un-picking a calendar of many meetings asks nothing: the user chose it, and Google
    keeps every event."""
    for hour in range(12):
        account.team.user_create(timed(hour, f"Team {hour}"))
    account.sync(picked={PRIMARY, TEAM})
    report = account.sync(picked={PRIMARY})
    assert not report.needs_attention
    assert account.subjects() == []
    assert report.counts["crm_removed_with_calendar"] == 12
    [plan] = [p for p in report.plans if p.why == "calendar no longer synced"][:1]
    assert plan.deletes == 0 and plan.deletes_in_crm == 0
    assert ItemPlan(1, "ev", (DeleteInCrm(1, 1),), "").deletes_in_crm == 1


def test_a_crm_edit_reaches_google_before_its_calendar_leaves(account: Account) -> None:
    _, theirs = both_synced(account)
    account.crm.user_edit(theirs, timed(11, "Team offsite, moved"))
    report = account.sync(picked={PRIMARY})
    assert not report.errors
    assert report.counts["google_updated"] == 1
    assert account.google_subjects(account.team) == ["Team offsite, moved"]
    assert account.subjects() == ["Mine"]


def test_a_push_that_fails_keeps_the_calendar_until_the_next_run(account: Account) -> None:
    """The edit would be lost if the meeting left before Google had it."""
    _, theirs = both_synced(account)
    account.crm.user_edit(theirs, timed(11, "Edited in the CRM"))
    account.team.inject("before")
    report = account.sync(picked={PRIMARY})
    assert report.errors
    assert account.subjects() == ["Edited in the CRM", "Mine"]
    assert len(account.links.links(calendar_id=TEAM)) == 1
    again = account.sync(picked={PRIMARY})
    assert not again.errors
    assert account.google_subjects(account.team) == ["Edited in the CRM"]
    assert account.subjects() == ["Mine"]


def test_deletions_the_breaker_holds_keep_the_calendar_until_the_user_answers(
    account: Account,
) -> None:
    """Meetings of the calendar deleted in the CRM in bulk: the push asks first; the
    calendar leaves once the user let the deletions through."""
    for hour in range(12):
        account.team.user_create(timed(hour, f"Team {hour}"))
    account.sync(picked={PRIMARY, TEAM})
    for meeting_id in list(account.crm.alive()):
        account.crm.user_delete(meeting_id)
    held = account.sync(picked={PRIMARY})
    assert held.needs_attention
    assert len(account.google_subjects(account.team)) == 12
    assert len(account.links.links(calendar_id=TEAM)) == 12
    answered = account.sync(picked={PRIMARY}, allow_mass_delete=True)
    assert not answered.needs_attention and not answered.errors
    assert account.google_subjects(account.team) == []
    assert account.links.links(calendar_id=TEAM) == []
    assert TEAM not in account.links.tokens


def test_picked_again_its_events_come_back_as_new_meetings(account: Account) -> None:
    _, theirs = both_synced(account)
    account.sync(picked={PRIMARY})
    report = account.sync(picked={PRIMARY, TEAM})
    assert report.counts["crm_created"] == 1
    assert account.subjects() == ["Mine", "Team offsite"]
    assert account.meeting_of("Team offsite") != theirs  # the tombstone stays one


def test_a_meeting_restored_after_its_calendar_left_is_a_crm_one(account: Account) -> None:
    """Its import record went with the calendar: restored, it goes to the target."""
    _, theirs = both_synced(account)
    account.sync(picked={PRIMARY})
    account.crm.user_restore(theirs)
    report = account.sync(picked={PRIMARY})
    assert report.counts["google_created"] == 1
    assert account.google_subjects(account.primary) == ["Mine", "Team offsite"]
    assert account.primary.events[event_id_for_meeting(NAMESPACE, theirs)]


def test_a_new_target_receives_the_pushed_meetings_by_moving_them(account: Account) -> None:
    mine, _ = both_synced(account)
    event_id = event_id_for_meeting(NAMESPACE, mine)
    report = account.sync(picked={PRIMARY, TEAM}, target=TEAM)
    assert not report.errors
    assert report.counts["google_moved"] == 1
    assert report.counts["google_created"] == 0
    assert account.team.events[event_id]["status"] == "confirmed"
    assert account.primary.events[event_id]["status"] == "cancelled"
    [link] = [link for link in account.links.links(calendar_id=TEAM) if link.meeting_id == mine]
    assert link.event_id == event_id
    assert account.links.links(calendar_id=PRIMARY) == []
    assert account.google_subjects(account.team) == ["Mine", "Team offsite"]
    assert account.subjects() == ["Mine", "Team offsite"]
    assert account.sync(picked={PRIMARY, TEAM}, target=TEAM).writes == 0


def test_a_new_target_that_is_not_picked_still_gets_them(account: Account) -> None:
    """The old target stays picked: its own events stay, ours move."""
    mine = account.crm.user_create(timed(9, "Mine"))
    account.primary.user_create(timed(10, "Primary event"))
    account.sync(picked={PRIMARY})
    report = account.sync(picked={PRIMARY}, target=TEAM)
    assert report.counts["google_moved"] == 1
    assert account.google_subjects(account.team) == ["Mine"]
    assert account.google_subjects(account.primary) == ["Primary event"]
    assert [link.meeting_id for link in account.links.links(calendar_id=TEAM)] == [mine]


def test_a_meeting_google_will_not_move_is_inserted_anew_in_the_new_target() -> None:
    """Google keeps the old event where it is (the sync could not write it either, as when
    the user lost write access to the old calendar): paired, it stays unlinked."""
    account = Account(refuse_moves=True)
    mine = account.crm.user_create(timed(9, "Mine"))
    account.sync(picked={PRIMARY})
    report = account.sync(picked={PRIMARY}, target=TEAM)
    assert not report.errors
    assert report.counts["google_moved"] == 0
    assert report.counts["google_created"] == 1
    assert account.google_subjects(account.team) == ["Mine"]
    assert [link.meeting_id for link in account.links.links(calendar_id=TEAM)] == [mine]
    assert account.google_subjects(account.primary) == ["Mine"]
    assert account.links.links(calendar_id=PRIMARY) == []
    assert account.subjects() == ["Mine"]
    assert account.sync(picked={PRIMARY}, target=TEAM).writes == 0


def test_picked_again_after_a_leave_that_failed_part_way_its_events_all_come_back(
    account: Account,
) -> None:
    """The first removal fails (a CRM fault), the second goes through: the calendar stays
    for the next run, without the second event's link. Picked again before that run, the
    calendar lists in full (its token went when its leaving began), so the event whose
    link went comes back as a new meeting rather than staying out of the CRM for good."""
    account.team.user_create(timed(9, "Team A"))
    account.team.user_create(timed(10, "Team B"))
    account.sync(picked={PRIMARY, TEAM})
    account.crm.inject("before")
    failed = account.sync(picked={PRIMARY})
    assert failed.errors
    assert account.subjects() == ["Team A"]
    assert len(account.links.links(calendar_id=TEAM)) == 1
    report = account.sync(picked={PRIMARY, TEAM})
    assert not report.errors
    assert account.subjects() == ["Team A", "Team B"]
    assert len(account.links.links(calendar_id=TEAM)) == 2
    assert account.sync(picked={PRIMARY, TEAM}).writes == 0
