"""The key-rotation command (issue #4, point 7): every token re-encrypted under the newest
key; a second run changes nothing; old keys can then be dropped."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import Client

from tandem.accounts.crypto import decrypt_token
from tests.accounts.helpers import REVOKE, connection_of, stored_tokens
from tests.conftest import GoogleHarness


def _rotate() -> str:
    out = StringIO()
    call_command("rotate_token_keys", stdout=out)
    return out.getvalue()


def _ciphertexts(user: User) -> tuple[str, str, str]:
    connection = connection_of(user)
    return (
        connection.access_token_encrypted,
        connection.refresh_token_encrypted,
        connection.pending_revoke_encrypted,
    )


def test_rotation_re_encrypts_under_the_newest_key_and_a_second_run_changes_nothing(
    google_in_process: GoogleHarness,
    client_ann: Client,
    ann: User,
    settings: Any,
    token_encryption_key: str,
) -> None:
    """New key in front: the command re-encrypts Ann's tokens (same plaintext), the old key
    can be dropped afterwards, and running it again leaves every byte as it was."""
    google_in_process.connect(client_ann)
    tokens = stored_tokens(ann)
    new_key = Fernet.generate_key().decode()
    settings.TOKEN_ENCRYPTION_KEYS = f"{new_key},{token_encryption_key}"
    assert "1 connection(s)" in _rotate()
    rotated = _ciphertexts(ann)
    for ciphertext in rotated[:2]:
        Fernet(new_key.encode()).decrypt(ciphertext.encode())  # the new key alone opens it
    assert "0 connection(s)" in _rotate()
    assert _ciphertexts(ann) == rotated
    settings.TOKEN_ENCRYPTION_KEYS = new_key
    assert stored_tokens(ann) == tokens


def test_rotation_covers_a_queued_revoke(
    google_in_process: GoogleHarness,
    client_ann: Client,
    ann: User,
    settings: Any,
    token_encryption_key: str,
) -> None:
    """A revoke waiting for Google is re-encrypted too, so dropping the old key loses none."""
    google_in_process.connect(client_ann)
    _, refresh = stored_tokens(ann)
    google_in_process.emulator.inject_fault(route="POST /revoke", status=503, times=-1)
    client_ann.post(REVOKE)
    new_key = Fernet.generate_key().decode()
    settings.TOKEN_ENCRYPTION_KEYS = f"{new_key},{token_encryption_key}"
    assert "1 connection(s)" in _rotate()
    settings.TOKEN_ENCRYPTION_KEYS = new_key
    assert decrypt_token(connection_of(ann).pending_revoke_encrypted) == refresh


def test_without_the_key_a_token_cannot_be_read_and_the_message_says_why(
    google_in_process: GoogleHarness, client_ann: Client, ann: User, settings: Any
) -> None:
    """Dropping a key before rotating makes the tokens unreadable, with a message naming
    the rotation command (never a silent garbage token)."""
    google_in_process.connect(client_ann)
    settings.TOKEN_ENCRYPTION_KEYS = Fernet.generate_key().decode()
    with pytest.raises(ImproperlyConfigured, match="rotate_token_keys"):
        stored_tokens(ann)


def test_keys_that_are_not_fernet_keys_are_refused_clearly(settings: Any, db: None) -> None:
    """A malformed TOKEN_ENCRYPTION_KEYS stops with a message naming the setting."""
    settings.TOKEN_ENCRYPTION_KEYS = "not-a-fernet-key"
    with pytest.raises(ImproperlyConfigured, match="TOKEN_ENCRYPTION_KEYS"):
        decrypt_token("gAAAAA")
