"""``tandem manage api_token <username> [--rotate]``: a new API token for the user, for scripts.

The operator asks for the token explicitly, so this is the one place that prints one. The
database keeps its hash only (tandem/api/tokens.py), so a token is shown once, when it is
made: a user who has one gets another with ``--rotate`` (the old one stops working).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from tandem.api.tokens import has_token, issue_token


class Command(BaseCommand):
    help = (
        "Print a new API token for a user (shown once: only its hash is kept); --rotate "
        "replaces the user's token. Send it as 'Authorization: Token <token>'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="revoke the current token and issue a new one",
        )

    @transaction.atomic
    def handle(self, *args: Any, username: str, rotate: bool, **options: Any) -> None:
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive; tokens would not work.")
        if has_token(user) and not rotate:
            raise CommandError(
                f"{username} has an API token already. It was shown when it was made and only "
                "its hash is kept; --rotate makes a new one (the old one stops working)."
            )
        self.stdout.write(issue_token(user))
