"""Tokens at rest: encrypted with MultiFernet under keys kept apart from SECRET_KEY.

TOKEN_ENCRYPTION_KEYS is a comma-separated list of Fernet keys, newest first: the newest
encrypts, all of them decrypt, so a new key can be put in front and old tokens re-encrypted
with ``tandem manage rotate_token_keys`` before the old key is dropped. For the embedded
default a key is generated once into var/token-keys (0600).
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver


def _configured_keys() -> list[str]:
    raw: str = getattr(settings, "TOKEN_ENCRYPTION_KEYS", "") or ""
    keys = [key.strip() for key in raw.split(",") if key.strip()]
    if keys:
        return keys
    path = settings.VAR_DIR / "token-keys"
    if not path.exists():
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(Fernet.generate_key().decode())
        path.chmod(0o600)
    return [key.strip() for key in path.read_text().split(",") if key.strip()]


@lru_cache(maxsize=1)
def token_cipher() -> MultiFernet:
    keys = _configured_keys()
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured(
            "TOKEN_ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64 bytes each), "
            "comma-separated, newest first. Make one with: tandem manage generate_token_key"
        ) from error


def encrypt_token(value: str) -> str:
    return token_cipher().encrypt(value.encode()).decode()


def decrypt_token(value: str) -> str:
    try:
        return token_cipher().decrypt(value.encode()).decode()
    except InvalidToken as error:
        raise ImproperlyConfigured(
            "A stored Google token cannot be decrypted with TOKEN_ENCRYPTION_KEYS: was a key "
            "removed before rotate_token_keys ran?"
        ) from error


def rotate_token(value: str) -> str:
    """Re-encrypts under the newest key (MultiFernet.rotate)."""
    return token_cipher().rotate(value.encode()).decode()


def is_under_newest_key(value: str) -> bool:
    """True when the newest key alone decrypts ``value`` (rotation has nothing to do)."""
    try:
        Fernet(_configured_keys()[0].encode()).decrypt(value.encode())
    except InvalidToken:
        return False
    return True


@receiver(setting_changed)
def _forget_cipher(*, setting: str, **kwargs: object) -> None:
    if setting in {"TOKEN_ENCRYPTION_KEYS", "TANDEM_VAR_DIR", "VAR_DIR"}:
        token_cipher.cache_clear()
