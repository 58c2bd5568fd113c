"""What every endpoint module of the API uses: the signed-in user, and the schema's words
for a 400 answer."""

from __future__ import annotations

from django.contrib.auth.models import User
from drf_spectacular.utils import OpenApiResponse
from rest_framework.request import Request

BAD_INPUT = OpenApiResponse(description='Invalid input: {"field": ["message"]} for each bad field.')


def signed_in_user(request: Request) -> User:
    """The request's user: IsAuthenticated (the default permission) made sure of one."""
    user = request.user
    assert isinstance(user, User)
    return user
