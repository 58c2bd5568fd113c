"""tandem.bulk: a page's rows in one statement (executemany on SQLite, COPY on PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone

from tandem.bulk import pks_reserve, rows_insert
from tandem.meetings.models import Meeting
from tandem.sync.models import EventLink

pytestmark = pytest.mark.django_db


def _meetings(owner: User, count: int) -> list[Meeting]:
    now = timezone.now()
    return [
        Meeting.objects.create(owner=owner, subject=f"M{n}", start=now, end=now, time_zone="UTC")
        for n in range(count)
    ]


def _link_row(owner: User, meeting: Meeting) -> dict[str, object]:
    """The columns of an EventLink row that ``rows_insert`` needs, for one Google event."""
    return {
        "owner_id": owner.pk,
        "meeting_id": meeting.pk,
        "google_sub": "sub",
        "calendar_id": "cal",
        "event_id": "e1",
        "origin": "google",
        "updated_at": timezone.now(),
    }


def _imported(owner: User, keys: list[str]) -> list[dict[str, object]]:
    """Meeting rows the sync imports, each with its event's key (unique per owner)."""
    now = timezone.now()
    return [
        {
            "owner_id": owner.pk,
            "import_key": key,
            "start": now,
            "end": now,
            "created_at": now,
            "updated_at": now,
        }
        for key in keys
    ]


def test_rows_are_inserted_with_their_values_and_the_defaults_of_the_others():
    owner = User.objects.create_user("ann")
    with transaction.atomic():
        rows_insert(model=Meeting, rows=_imported(owner, ["cal/a", "cal/b"]))
    assert sorted(
        Meeting.objects.values_list("import_key", "subject", "time_zone", "version", "recurrence")
    ) == [("cal/a", "", "UTC", 1, []), ("cal/b", "", "UTC", 1, [])]


def test_a_unique_key_written_twice_is_djangos_integrity_error_on_every_database():
    """The COPY path wrote through psycopg's own cursor, so PostgreSQL's unique violation
    came out as psycopg.IntegrityError, which code catching Django's error missed."""
    owner = User.objects.create_user("ann")
    with pytest.raises(IntegrityError), transaction.atomic():
        rows_insert(model=Meeting, rows=_imported(owner, ["cal/same", "cal/same"]))
    assert not Meeting.objects.exists()  # all or nothing


def test_json_columns_read_back_as_written_whatever_their_text():
    """JSON values are encoded by msgspec (SQLite: as text; PostgreSQL: by binary COPY's
    jsonb dumper, set to msgspec): quotes,
    backslashes, tabs and newlines (COPY's own escapes), non-ASCII text, nesting, JSON null
    and an empty object all read back equal through the ORM, on SQLite and PostgreSQL."""
    owner = User.objects.create_user("ann")
    (meeting,) = _meetings(owner, 1)
    tricky = {
        "subject": 'Quote " backslash \\ tab \t newline \n return \r',
        "location": "Zürich, 東京 🗓",
        "nested": {"list": [1, 2.5, True, None, ""], "empty": {}},
        "null": None,
    }
    with transaction.atomic():
        rows_insert(
            model=EventLink,
            rows=[_link_row(owner, meeting) | {"base": tricky, "extras": {}}],
        )
    link = EventLink.objects.get()
    assert link.base == tricky
    assert link.extras == {}
    # The columns hold JSON the database itself reads: PostgreSQL's jsonb operators and
    # SQLite's JSON functions both see the nested key.
    assert EventLink.objects.filter(base__nested__empty={}).count() == 1
    assert EventLink.objects.filter(base__location="Zürich, 東京 🗓").count() == 1


def test_reserved_keys_are_fresh_distinct_and_never_handed_out_again():
    """The keys ``pks_reserve`` hands out, and the rows written with them, are new, in
    order, and never given to a later row, even once those rows are deleted (PostgreSQL: the
    table's sequence; SQLite: past the highest key and AUTOINCREMENT's record)."""
    owner = User.objects.create_user("ann")
    (made,) = _meetings(owner, 1)
    now = timezone.now()
    with transaction.atomic():
        keys = pks_reserve(model=Meeting, count=5)
        rows_insert(
            model=Meeting,
            rows=[
                {
                    "id": key,
                    "owner_id": owner.pk,
                    "start": now,
                    "end": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for key in keys
            ],
        )
    assert len(set(keys)) == 5 and keys == sorted(keys) and min(keys) > made.pk
    Meeting.objects.filter(pk__in=keys).delete()
    (after,) = _meetings(owner, 1)
    assert after.pk > max(keys)
    with transaction.atomic():
        assert min(pks_reserve(model=Meeting, count=3)) > after.pk
        assert pks_reserve(model=Meeting, count=0) == []


def test_every_kind_of_column_reads_back_as_written():
    """Binary COPY on PostgreSQL (each column's type named), executemany on SQLite: aware
    datetimes in another zone with microseconds, dates, booleans, NULLs, a 64-bit key, text
    at its column's full length and JSON lists read back equal through the ORM."""
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    owner = User.objects.create_user("ann")
    start = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=ZoneInfo("Europe/Berlin"))
    row = {
        "id": 2**40 + 7,
        "owner_id": owner.pk,
        "subject": "S" * Meeting._meta.get_field("subject").max_length,
        "all_day": True,
        "start": start,
        "end": start,
        "start_date": date(2026, 3, 29),
        "end_date": date(2026, 3, 30),
        "time_zone": "Europe/Berlin",
        "description": "",
        "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3", "EXDATE:20260405"],
        "original_start": None,
        "read_only": True,
        "created_at": start,
        "updated_at": start,
    }
    with transaction.atomic():
        rows_insert(model=Meeting, rows=[row])
    stored = Meeting.objects.values(*row).get()
    assert stored == row
    assert Meeting.objects.get().version == 1  # an absent column takes its default


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite does not check a varchar's length"
)
def test_text_longer_than_its_column_is_refused_and_nothing_is_written():
    """Binary COPY's varchar input checks the column's length, as the text one did."""
    owner = User.objects.create_user("ann")
    now = timezone.now()
    too_long = {
        "owner_id": owner.pk,
        "time_zone": "x" * 65,
        "start": now,
        "end": now,
        "created_at": now,
        "updated_at": now,
    }
    with pytest.raises((DataError, IntegrityError)), transaction.atomic():
        rows_insert(model=Meeting, rows=[too_long])
    assert not Meeting.objects.exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite stores any integer and any value"
)
@pytest.mark.parametrize(
    ("column", "value"),
    [("base_version", 2**32 + 5), ("base_version", -(2**31) - 1), ("leaving", "false")],
)
def test_binary_copy_refuses_what_the_text_input_refused(column: str, value: object) -> None:
    """psycopg's binary dumpers would write 2**32 + 5 as 5 and "false" as true (review of
    b1affd4): such values are refused, as the text COPY refused them, and nothing is written."""
    owner = User.objects.create_user("ann")
    (meeting,) = _meetings(owner, 1)
    row = _link_row(owner, meeting) | {column: value}
    with pytest.raises(DataError, match=column), transaction.atomic():
        rows_insert(model=EventLink, rows=[row])
    assert not EventLink.objects.exists()


def test_none_in_a_json_column_is_sql_null_on_both_databases():
    """As Django saves None; the recurrence column refuses NULL on SQLite too, as it does on
    PostgreSQL (SQLite's bulk path wrote JSON null)."""
    owner = User.objects.create_user("ann")
    now = timezone.now()
    row = {"owner_id": owner.pk, "start": now, "end": now, "created_at": now, "updated_at": now}
    with pytest.raises(IntegrityError), transaction.atomic():
        rows_insert(model=Meeting, rows=[row | {"recurrence": None}])
    assert not Meeting.objects.exists()


def test_the_two_half_past_twos_of_the_autumn_change_keep_their_hour():
    """On 25 October 2026 Berlin's clocks go from 03:00 CEST back to 02:00 CET, so 02:30
    comes twice, an hour apart. Python compares the two (one ZoneInfo) on the wall clock and
    calls them equal; the rows keep their own instants all the same (SQLite's datetime text
    was cached by value and gave the second the first's hour)."""
    owner = User.objects.create_user("ann")
    berlin = ZoneInfo("Europe/Berlin")
    summer = datetime(2026, 10, 25, 0, 30, tzinfo=UTC).astimezone(berlin)  # 02:30 CEST
    winter = datetime(2026, 10, 25, 1, 30, tzinfo=UTC).astimezone(berlin)  # 02:30 CET
    assert summer == winter and (summer.hour, winter.hour) == (2, 2)  # to Python's eye
    rows = _imported(owner, ["cal/summer", "cal/winter"])
    for row, start in zip(rows, (summer, winter), strict=True):
        row.update(start=start, end=start + timedelta(hours=1), time_zone="Europe/Berlin")
    with transaction.atomic():
        rows_insert(model=Meeting, rows=rows)
    stored = dict(Meeting.objects.values_list("import_key", "start"))
    assert stored == {
        "cal/summer": datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        "cal/winter": datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
    }
