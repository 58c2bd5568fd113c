"""What the synchronization settings show ticked: the saved choice once there is one, and
before that what most people want, so the first visit can be saved as it stands.

- Into the CRM: the account's primary calendar, and the dedicated CRM calendar if there is
  one (the CRM's meetings come back from it, edited in Google or not).
- The CRM's meetings go to: the dedicated calendar once it exists (the product recommends
  it, so a person can hide it), else the primary calendar.
- A dedicated calendar just created on this page is proposed as target and inbound until
  the settings are saved, reload or not (the view keeps its id in the session).
"""

from __future__ import annotations

from typing import Any

from tandem.accounts.google_services import DEDICATED_CALENDAR_NAME, WRITABLE_ROLES
from tandem.accounts.models import SyncSettings


def settings_initial(
    *, sync_settings: SyncSettings, calendars: list[dict[str, Any]], just_created: str = ""
) -> dict[str, Any]:
    writable = [c["id"] for c in calendars if c["access_role"] in WRITABLE_ROLES]
    dedicated = just_created if just_created in writable else ""
    if not dedicated:
        dedicated = next(
            (
                c["id"]
                for c in calendars
                if c["summary"] == DEDICATED_CALENDAR_NAME and c["id"] in writable
            ),
            "",
        )
    initial: dict[str, Any] = {"sync_private": sync_settings.sync_private}
    if sync_settings.target_calendar_id:  # saved before: their choice, plus a new calendar
        inbound = list(sync_settings.inbound_calendar_ids)
        target = sync_settings.target_calendar_id
        if just_created and just_created == dedicated:
            target = just_created
            inbound += [] if just_created in inbound else [just_created]
        return initial | {"inbound_calendar_ids": inbound, "target_calendar_id": target}
    primary = next((c["id"] for c in calendars if c.get("primary")), "")
    inbound = [calendar_id for calendar_id in (primary, dedicated) if calendar_id]
    target = dedicated or (primary if primary in writable else "")
    return initial | {"inbound_calendar_ids": inbound, "target_calendar_id": target}
