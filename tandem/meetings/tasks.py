from __future__ import annotations

from celery import shared_task

from tandem.meetings.services import meeting_purge_expired_tombstones


@shared_task(name="tandem.meetings.tasks.purge_tombstones")
def purge_tombstones() -> int:
    return meeting_purge_expired_tombstones()
