"""The contracts bound to the database sides production runs: ``DjangoCrm`` and
``DjangoLinks`` (``tandem.sync.adapters``), on the test database."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from tandem.meetings.models import Meeting
from tandem.meetings.occurrence_edits import occurrence_change
from tandem.meetings.services import (
    meeting_changed,
    meeting_create,
    meeting_delete,
    meeting_update,
)
from tandem.sync.adapters.crm import DjangoCrm, meeting_input
from tandem.sync.adapters.links import DjangoLinks
from tandem.sync.core.fields import MeetingFields
from tandem.sync.core.sides import NotFound
from tandem.sync.core.state import Link
from tandem.sync.models import EventLink
from tests.contract.crm_side import KEY, CrmSideContract
from tests.contract.link_store import LinkStoreContract, a_link
from tests.contract.values import ZONE, in_window, timed

pytestmark = pytest.mark.django_db(transaction=True)

GOOGLE_SUB = "108518920735377711111"


def window_start() -> datetime:
    return (timezone.now() - timedelta(days=30)).replace(microsecond=0)


@dataclass
class DjangoCrmBench:
    user: User
    side: DjangoCrm
    window_start: datetime
    links: DjangoLinks
    linked: int = 0

    def person_creates(self, fields: MeetingFields) -> int:
        data = meeting_input(fields, all_day_zone=ZONE)
        return meeting_create(owner=self.user, data=data).pk

    def person_edits(self, meeting_id: int, fields: MeetingFields) -> None:
        meeting = Meeting.objects.get(pk=meeting_id)
        meeting_update(meeting=meeting, data=meeting_input(fields, all_day_zone=ZONE))

    def person_deletes(self, meeting_id: int) -> None:
        meeting_delete(meeting=Meeting.objects.get(pk=meeting_id))

    def person_changes_occurrence(self, fields: MeetingFields) -> int:
        series = meeting_create(
            owner=self.user,
            data=meeting_input(
                timed(in_window(self.window_start), recurrence=("RRULE:FREQ=WEEKLY;COUNT=4",)),
                all_day_zone=ZONE,
            ),
        )
        zone = zoneinfo.ZoneInfo(series.time_zone)
        second = (series.start.astimezone(zone) + timedelta(days=7)).astimezone(UTC)
        data = meeting_input(fields, all_day_zone=ZONE)
        return occurrence_change(series=series, original_start=second, data=data).pk

    def link(self, meeting_id: int, fields: MeetingFields) -> None:
        self.linked += 1
        self.links.save_link(
            Link(self.user.email, meeting_id, f"ev{self.linked:05d}", fields, '"1"', 1, "google")
        )


def crm_bench(username: str) -> DjangoCrmBench:
    user = User.objects.create_user(username, email=f"{username}@example.com")
    start = window_start()
    return DjangoCrmBench(
        user=user,
        side=DjangoCrm(user=user, all_day_zone=ZONE, window_start=start),
        window_start=start,
        links=DjangoLinks(user=user, google_sub=GOOGLE_SUB),
    )


class TestDjangoCrm(CrmSideContract):
    violations: dict[str, str] = {}

    @pytest.fixture
    def crm(self) -> DjangoCrmBench:
        return crm_bench("ann")

    # Beyond the contract: what only a database with many users and signals can get wrong.

    def test_another_users_meeting_is_neither_listed_nor_written(self, crm: DjangoCrmBench) -> None:
        other = crm_bench("bob")
        theirs = other.person_creates(timed(in_window(crm.window_start)))
        assert theirs not in {m.meeting_id for m in crm.side.list_meetings()}
        with pytest.raises(NotFound):
            crm.side.update_meeting(
                meeting_id=theirs,
                fields=timed(in_window(crm.window_start), subject="Hijack"),
                expected_version=None,
                restore=False,
            )
        with pytest.raises(NotFound):
            crm.side.delete_meeting(meeting_id=theirs, expected_version=1)

    def test_the_sync_writes_with_origin_sync(self, crm: DjangoCrmBench) -> None:
        """Writes announce origin "sync", so they never queue another run."""
        origins: list[str] = []

        def heard(*, origin: str, **kwargs: Any) -> None:
            origins.append(origin)

        meeting_changed.connect(heard, dispatch_uid="contract-test")
        try:
            fields = timed(in_window(crm.window_start))
            made = crm.side.create_meeting(fields=fields, import_key=KEY, read_only=False)
            updated = crm.side.update_meeting(
                meeting_id=made.meeting_id,
                fields=timed(in_window(crm.window_start), subject="New"),
                expected_version=made.version,
                restore=False,
            )
            crm.side.delete_meeting(meeting_id=made.meeting_id, expected_version=updated.version)
        finally:
            meeting_changed.disconnect(dispatch_uid="contract-test")
        assert origins == ["sync", "sync", "sync"]


@dataclass
class DjangoLinkBench:
    user: User
    store: DjangoLinks

    def new_meeting(self) -> int:
        data = meeting_input(timed(in_window(window_start())), all_day_zone=ZONE)
        return meeting_create(owner=self.user, data=data).pk


class TestDjangoLinks(LinkStoreContract):
    violations: dict[str, str] = {}

    @pytest.fixture
    def links(self) -> Iterator[DjangoLinkBench]:
        user = User.objects.create_user("ann")
        yield DjangoLinkBench(user=user, store=DjangoLinks(user=user, google_sub=GOOGLE_SUB))

    def test_links_of_another_google_account_are_not_seen(self, links: DjangoLinkBench) -> None:
        """Links are kept per connected account: a reconnect to another one starts afresh."""
        meeting = links.new_meeting()
        links.store.save_link(a_link(meeting))
        links.store.save_sync_token(calendar_id="dana@example.com", token="t")
        other = DjangoLinks(user=links.user, google_sub="another-account")
        assert list(other.links(calendar_id="dana@example.com")) == []
        assert other.linked_meeting_ids() == set()
        assert other.sync_token(calendar_id="dana@example.com") is None

    def test_the_ical_uid_is_kept_on_the_row_until_another_is_given(
        self, links: DjangoLinkBench
    ) -> None:
        """The lookup of the same event in another calendar reads it (page_lookup.py)."""
        meeting = links.new_meeting()
        links.store.save_link(a_link(meeting), ical_uid="series@google.com")
        links.store.save_link(a_link(meeting, etag='"4"'))
        row = EventLink.objects.get(owner=links.user)
        assert (row.ical_uid, row.etag) == ("series@google.com", '"4"')
        links.store.save_link(a_link(meeting), ical_uid="other@google.com")
        assert EventLink.objects.get(owner=links.user).ical_uid == "other@google.com"
