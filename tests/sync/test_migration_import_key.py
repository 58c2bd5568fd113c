"""Migrations meetings 0007 and sync 0014 move each import record onto its meeting
(Meeting.import_key) and drop the table; back, the records come back from the keys. Not a
change of the meetings: their updated_at (the outbound look's start) stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.sync.migration_support import migrate_to, migrate_to_latest

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("sync", "0013_import_record_keyed_by_meeting"), ("meetings", "0006_split_from")]
AFTER = [("sync", "0014_import_key_on_meeting")]


def test_import_records_become_the_meetings_keys_and_back():
    old = migrate_to(BEFORE)
    try:
        User = old.get_model("auth", "User")
        Meeting = old.get_model("meetings", "Meeting")
        Record = old.get_model("sync", "ImportedMeeting")
        long_ago = datetime(2026, 1, 1, tzinfo=UTC)
        start = datetime.now(UTC) + timedelta(days=2)
        made = {}
        # Two users imported the same shared event; one meeting was made in the CRM.
        for username, key in (("ann", "team/ev1"), ("bob", "team/ev1"), ("cy", None)):
            user = User.objects.create(username=username)
            meeting = Meeting.objects.create(
                owner=user, subject=username, start=start, end=start, time_zone="UTC"
            )
            Meeting.objects.filter(pk=meeting.pk).update(updated_at=long_ago)
            if key is not None:
                Record.objects.create(owner=user, meeting=meeting, import_key=key)
            made[meeting.pk] = key
        new = migrate_to(AFTER)
        rows = new.get_model("meetings", "Meeting").objects.all()
        assert {row.pk: row.import_key for row in rows} == made
        assert {row.updated_at for row in rows} == {long_ago}
        back = migrate_to(BEFORE)
        records = back.get_model("sync", "ImportedMeeting").objects.all()
        assert {record.meeting_id: record.import_key for record in records} == {
            pk: key for pk, key in made.items() if key is not None
        }
        assert {record.owner_id for record in records} == {
            row.owner_id for row in rows if made[row.pk] is not None
        }
    finally:
        migrate_to_latest()
