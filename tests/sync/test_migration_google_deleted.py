"""Migration 0011 drops EventLink.google_deleted, which nothing sets since the one driver; a
link an older version left flagged is handed to the outbound look instead (its version no
longer agrees, its meeting counts as changed), so no pending push back is lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.sync.migration_support import migrate_to, migrate_to_latest

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("sync", "0010_link_extras"), ("meetings", "0006_split_from")]
AFTER = [("sync", "0011_link_without_google_deleted")]


def test_a_link_left_flagged_becomes_an_outbound_candidate():
    old = migrate_to(BEFORE)
    try:
        user = old.get_model("auth", "User").objects.create(username="ann")
        Meeting = old.get_model("meetings", "Meeting")
        long_ago = datetime(2026, 1, 1, tzinfo=UTC)
        start = datetime.now(UTC) + timedelta(days=2)
        made = {}
        for name, flagged in (("flagged", True), ("agreeing", False)):
            meeting = Meeting.objects.create(
                owner=user,
                subject=name,
                start=start,
                end=start + timedelta(hours=1),
                time_zone="UTC",
                version=3,
            )
            Meeting.objects.filter(pk=meeting.pk).update(updated_at=long_ago)
            old.get_model("sync", "EventLink").objects.create(
                owner=user,
                meeting=meeting,
                google_sub="sub",
                calendar_id="cal",
                event_id=f"ev-{name}",
                origin="google",
                etag='"1"',
                base={},
                base_version=3,
                google_deleted=flagged,
            )
            made[name] = meeting.pk
        new = migrate_to(AFTER)
        links = {
            link.meeting_id: link.base_version
            for link in new.get_model("sync", "EventLink").objects.all()
        }
        assert links == {made["flagged"]: 0, made["agreeing"]: 3}
        touched = new.get_model("meetings", "Meeting").objects.get(pk=made["flagged"])
        untouched = new.get_model("meetings", "Meeting").objects.get(pk=made["agreeing"])
        assert touched.updated_at > long_ago and untouched.updated_at == long_ago
    finally:
        migrate_to_latest()
