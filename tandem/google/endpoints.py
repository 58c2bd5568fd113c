"""Where Google is. Only these base URLs differ between real Google and the emulator."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GoogleEndpoints:
    authorize_url: str
    token_url: str
    revoke_url: str
    userinfo_url: str
    certs_url: str
    issuer: str
    calendar_base: str
    batch_url: str


REAL_GOOGLE = GoogleEndpoints(
    authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
    token_url="https://oauth2.googleapis.com/token",
    revoke_url="https://oauth2.googleapis.com/revoke",
    userinfo_url="https://openidconnect.googleapis.com/v1/userinfo",
    certs_url="https://www.googleapis.com/oauth2/v3/certs",
    issuer="https://accounts.google.com",
    calendar_base="https://www.googleapis.com/calendar/v3",
    batch_url="https://www.googleapis.com/batch/calendar/v3",
)


def emulator_endpoints(base_url: str) -> GoogleEndpoints:
    """The emulator serves every Google host under one base (docs/emulator.md)."""
    base = base_url.rstrip("/")
    return GoogleEndpoints(
        authorize_url=f"{base}/o/oauth2/v2/auth",
        token_url=f"{base}/token",
        revoke_url=f"{base}/revoke",
        userinfo_url=f"{base}/v1/userinfo",
        certs_url=f"{base}/oauth2/v3/certs",
        issuer=base,
        calendar_base=f"{base}/calendar/v3",
        batch_url=f"{base}/batch/calendar/v3",
    )
