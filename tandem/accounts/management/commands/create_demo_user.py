"""Creates (or refreshes) the demo user of the embedded default and prints its login."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand

from tandem.accounts.selectors import preferences_for

DEMO_USERNAME = "demo"
COLLEAGUE_USERNAME = "colleague"


def _demo_password() -> str:
    """Generated once per checkout and kept in var/, so the printed login stays valid."""
    path = settings.VAR_DIR / "demo-password"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(9))
        path.chmod(0o600)
    return path.read_text().strip()


class Command(BaseCommand):
    help = "Create the demo user (and a colleague) for the embedded default; print the login."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--time-zone", default="Europe/Berlin")

    def handle(self, *args: Any, time_zone: str, **options: Any) -> None:
        password = _demo_password()
        for username in (DEMO_USERNAME, COLLEAGUE_USERNAME):
            user, created = User.objects.get_or_create(
                username=username, defaults={"email": f"{username}@tandem.example"}
            )
            if created or not user.check_password(password):
                user.set_password(password)
                user.save(update_fields=["password"])
            preferences = preferences_for(user=user)
            if created:
                preferences.time_zone = time_zone
                # A new user's preferences are unsaved defaults (selectors.preferences_for):
                # a plain save makes the row (update_fields would demand one, and fail).
                preferences.save()
        self.stdout.write(f"{DEMO_USERNAME} {password}")
