from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tandem.meetings.services import meeting_purge_expired_tombstones


class Command(BaseCommand):
    help = "Delete for good the meetings deleted more than 30 days ago."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Purged {meeting_purge_expired_tombstones()} meeting(s).")
