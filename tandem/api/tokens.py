"""API tokens are stored as a hash, never as themselves (issue 15, finding 9: a copy of
the database, a ``dumpdata`` or the admin gave every user's token, and with it that user's
private meetings through the API).

Django REST framework's ``Token`` row keeps the hash in its ``key`` column (the first 40
hexadecimal digits of the token's SHA-256: 160 bits, the column's width); the token itself
is shown once, when it is made (``tandem manage api_token``). A token is 160 random bits,
so a plain hash suffices: there is nothing to guess from it. Authentication hashes the
token a request presents and looks the hash up (tandem/api/throttles.py).
"""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token

STORED_LENGTH = 40  # Token.key's column


def stored_form(token: str) -> str:
    """What the database keeps of ``token``."""
    return hashlib.sha256(token.encode()).hexdigest()[:STORED_LENGTH]


def issue_token(user: User) -> str:
    """A new token for ``user``, replacing any other (which stops working); returned once."""
    token = secrets.token_hex(20)
    Token.objects.filter(user=user).delete()
    Token.objects.create(user=user, key=stored_form(token))
    return token


def has_token(user: User) -> bool:
    return Token.objects.filter(user=user).exists()
