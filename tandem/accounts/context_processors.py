"""Template context every page gets from the accounts app."""

from __future__ import annotations

from django.http import HttpRequest

from tandem.accounts.models import GoogleConnection


def google_connection_banner(request: HttpRequest) -> dict[str, bool]:
    """``google_needs_reconnect``: the signed-in user's Google grant died (invalid_grant), so
    base.html shows a banner with a Reconnect link on every page until they reconnect."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"google_needs_reconnect": False}
    needs_reconnect = GoogleConnection.objects.filter(
        user=user, status=GoogleConnection.Status.NEEDS_RECONNECT
    ).exists()
    return {"google_needs_reconnect": needs_reconnect}
