"""``tandem manage sync`` (the same as ``tandem sync``): a sync run now, for one user or
every user who is due; the work and the exit status are tandem.sync.run_command's."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tandem.cli import add_sync_arguments
from tandem.sync.run_command import EXIT_SYNCED, run_sync_command


class Command(BaseCommand):
    help = "Sync now: one user (--user), or every user whose sync is due."

    def add_arguments(self, parser: CommandParser) -> None:
        add_sync_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        code = run_sync_command(
            username=options["username"],
            as_json=options["as_json"],
            answer=options["answer"] or "",
            out=self.stdout,
            err=self.stderr,
        )
        if code != EXIT_SYNCED:
            raise CommandError("tandem sync did not succeed for every user.", returncode=code)
