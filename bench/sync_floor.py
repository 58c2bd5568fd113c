"""The floor under the import target: paging plus writing the rows, and nothing else.

Same set-up as ``import`` (emulator in a process of its own, same listing, same client,
the engine's prefetch thread). Each page's rows are built straight from the JSON, with no
reading, mapping, validation or planning, then written with one ``executemany`` per table
in one transaction per page: the two rows a new event costs (the meeting with its import
key, its link), then the same without the key. An import cannot be faster than this on
the same machine; its ratio to plain paging is what the engine's own work must fit under
1.5x. The rows are not meant to be read back (times are stored as Google sent them).
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

from sync_scenarios import page_through, world_process

MEETING = (
    'id, owner_id, subject, all_day, start, "end", time_zone, description, location, '
    "visibility, recurrence, is_cancelled_occurrence, read_only, created_at, updated_at, "
    "version, import_key"
)
LINK = (
    "owner_id, meeting_id, google_sub, calendar_id, event_id, ical_uid, origin, etag, base, "
    "base_version, leaving, updated_at"
)


def _insert(table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
    from django.db import connection

    marks = ", ".join(["%s"] * len(columns.split(",")))
    with connection.cursor() as cursor:
        # Table and column names are this file's constants; values are bound.
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


def _write_pages(user_id: int, calendar_id: str, *, import_keys: bool) -> float:
    from django.db import transaction
    from django.utils import timezone

    from tandem.accounts.google_services import calendar_client_for
    from tandem.accounts.models import GoogleConnection
    from tandem.bulk import pks_reserve
    from tandem.meetings.models import Meeting
    from tandem.sync.engine.context import WINDOW
    from tandem.sync.engine.prefetch import pages_ahead

    connection = GoogleConnection.objects.get(user_id=user_id)
    time_min = (timezone.now() - WINDOW).isoformat(timespec="seconds")
    now = str(timezone.now().replace(tzinfo=None))
    started = time.perf_counter()
    client = calendar_client_for(connection=connection)
    for page in pages_ahead(client.events_pages(calendar_id, time_min=time_min)):
        with transaction.atomic():
            items = page.items
            ids = pks_reserve(model=Meeting, count=len(items))
            meetings, links = [], []
            for meeting_id, event in zip(ids, items, strict=True):
                start, end = event["start"], event["end"]
                meetings.append(
                    (
                        meeting_id,
                        user_id,
                        event.get("summary", ""),
                        "date" in start,
                        start.get("dateTime") or start.get("date"),
                        end.get("dateTime") or end.get("date"),
                        start.get("timeZone", "UTC"),
                        event.get("description", ""),
                        event.get("location", ""),
                        event.get("visibility", "default"),
                        "[]",
                        False,
                        False,
                        now,
                        now,
                        1,
                        f"{calendar_id}/{event['id']}" if import_keys else None,
                    )
                )
                base = {  # the shape and size of the engine's base copy
                    "subject": event.get("summary", ""),
                    "start": {"at": start.get("dateTime"), "zone": start.get("timeZone")},
                    "end": {"at": end.get("dateTime"), "zone": end.get("timeZone")},
                    "description": event.get("description", ""),
                    "location": event.get("location", ""),
                    "visibility": event.get("visibility", "default"),
                    "recurrence": [],
                }
                links.append(
                    (
                        user_id,
                        meeting_id,
                        connection.google_sub,
                        calendar_id,
                        event["id"],
                        event.get("iCalUID", ""),
                        "google",
                        event.get("etag", ""),
                        json.dumps(base),
                        1,
                        False,
                        False,
                        now,
                    )
                )
            _insert("meetings_meeting", MEETING, meetings)
            _insert("sync_eventlink", LINK, links)
    return time.perf_counter() - started


def _empty(user_id: int) -> None:
    """Back to empty tables in a compacted file, as the import found them: the import
    grows a fresh database file, and reusing freed pages would flatter the floor."""
    from django.db import connection

    from tandem.meetings.models import Meeting

    Meeting.objects.filter(owner_id=user_id).delete()  # links cascade
    with connection.cursor() as cursor:
        cursor.execute("VACUUM")


def floor_run(*, events: int, reps: int) -> bool:
    with world_process(events=events) as (_, user):
        from django.db import connection

        if connection.vendor != "sqlite":
            # The engine writes through COPY there (bulk.py); executemany would not be its floor.
            print("  the floor is measured on SQLite only")
            return False
        page_through(user)  # warm-up
        paging = [page_through(user)[0] for _ in range(reps * 2)]
        median = statistics.median(paging)
        print(f"  plain paging median {median * 1000:.0f} ms ({len(paging)} runs)")
        for keys in (True, False):
            took = []
            for _ in range(reps):
                _empty(user.user_id)
                took.append(_write_pages(user.user_id, user.calendar_id, import_keys=keys))
            middle = statistics.median(took)
            rows = "meeting with its import key and a link" if keys else "meeting and a link"
            print(
                f"  paging + writing a {rows} per event, nothing else: median {middle * 1000:.0f}"
                f" ms (runs: {', '.join(f'{t * 1000:.0f}' for t in took)}), "
                f"ratio {middle / median:.2f}"
            )
    return True
