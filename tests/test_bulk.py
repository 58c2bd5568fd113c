"""tandem.bulk: a page's rows in one statement (executemany on SQLite, COPY on PostgreSQL)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from tandem.bulk import rows_insert
from tandem.meetings.models import Meeting
from tandem.sync.models import ImportedMeeting

pytestmark = pytest.mark.django_db


def _meetings(owner: User, count: int) -> list[Meeting]:
    now = timezone.now()
    return [
        Meeting.objects.create(owner=owner, subject=f"M{n}", start=now, end=now, time_zone="UTC")
        for n in range(count)
    ]


def test_rows_are_inserted_with_their_values_and_the_defaults_of_the_others():
    owner = User.objects.create_user("ann")
    first, second = _meetings(owner, 2)
    with transaction.atomic():
        rows_insert(
            model=ImportedMeeting,
            rows=[
                {"owner_id": owner.pk, "meeting_id": first.pk, "import_key": "cal/a"},
                {"owner_id": owner.pk, "meeting_id": second.pk, "import_key": "cal/b"},
            ],
        )
    assert dict(ImportedMeeting.objects.values_list("import_key", "meeting_id")) == {
        "cal/a": first.pk,
        "cal/b": second.pk,
    }


def test_a_unique_key_written_twice_is_djangos_integrity_error_on_every_database():
    """The COPY path wrote through psycopg's own cursor, so PostgreSQL's unique violation
    came out as psycopg.IntegrityError, which code catching Django's error missed."""
    owner = User.objects.create_user("ann")
    first, second = _meetings(owner, 2)
    twice = [
        {"owner_id": owner.pk, "meeting_id": first.pk, "import_key": "cal/same"},
        {"owner_id": owner.pk, "meeting_id": second.pk, "import_key": "cal/same"},
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        rows_insert(model=ImportedMeeting, rows=twice)
    assert not ImportedMeeting.objects.exists()  # all or nothing
