"""``tandem manage api_token <username> [--rotate]``: the user's API token, for scripts.

The operator asks for the token explicitly, so this is the one place that prints one.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = (
        "Print a user's API token (created if missing); --rotate replaces it. "
        "Send it as 'Authorization: Token <token>'."
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
        if rotate:
            Token.objects.filter(user=user).delete()
        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
