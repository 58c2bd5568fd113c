"""Re-encrypts every stored Google token under the newest TOKEN_ENCRYPTION_KEYS key.

Put the new key first in TOKEN_ENCRYPTION_KEYS (keep the old ones after it), run this, then
drop the old keys. A second run changes nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tandem.accounts.google_services import rotate_connection_keys


class Command(BaseCommand):
    help = "Re-encrypt every stored Google token under the newest key."

    def handle(self, *args: Any, **options: Any) -> None:
        changed = rotate_connection_keys()
        self.stdout.write(f"Re-encrypted the tokens of {changed} connection(s).")
