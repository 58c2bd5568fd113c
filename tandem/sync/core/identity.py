"""Who is who across the two sides: client-chosen event ids and our event marker.

Source of truth for the id format: google-calendar-api.md §2.5 (base32hex, a-v and 0-9,
5-1024 characters, unique per calendar including deleted events).
"""

from __future__ import annotations

import base64
import hashlib
import re

# The key we put in ``extendedProperties.private`` of every event we insert.
MARKER_KEY = "tandemMeetingId"

_EVENT_ID = re.compile(r"[a-v0-9]{5,1024}")


def event_id_for_meeting(namespace: str, meeting_id: int) -> str:
    """The event id we ask Google to use for ``meeting_id``: deterministic, so a retried
    insert gets 409 "already there" instead of a duplicate.

    ``namespace`` names the CRM installation (and, if wanted, the user), so two CRMs that
    share a Google account never pick the same id. 160 bits of SHA-256 in base32hex: 32
    characters from a-v0-9, no padding.
    """
    if not namespace:
        raise ValueError("An event id namespace cannot be empty.")
    digest = hashlib.sha256(f"{namespace}\x00{meeting_id}".encode()).digest()[:20]
    return base64.b32hexencode(digest).decode("ascii").lower()


def looks_like_ours(event_id: str) -> bool:
    """Whether the id has the shape of the ids ``event_id_for_meeting`` gives."""
    return len(event_id) == 32 and is_client_event_id(event_id)


def is_client_event_id(event_id: str) -> bool:
    """Google's rule for client-supplied ids."""
    return _EVENT_ID.fullmatch(event_id) is not None


def marker_for_meeting(namespace: str, meeting_id: int) -> str:
    """The marker value stored under MARKER_KEY: ``<namespace>:<meeting id>``."""
    return f"{namespace}:{meeting_id}"


def import_key_of(calendar_id: str, event_id: str) -> str:
    """The import key of a meeting made from a Google event (Meeting.import_key,
    CrmMeeting.import_key): ``<calendar id>/<event id>``.

    It names the event a meeting stands for while the meeting has no link (before its
    link is saved, or after a deletion dropped it), so a retried or repeated import finds
    the meeting instead of making a second one. An event id is unique only within its
    calendar (google-calendar-api.md §2.5), hence the calendar id in front; the ``/`` ends
    the calendar id, so the keys of one calendar are those with its prefix
    (``import_key_prefix``: dropping a calendar forgets them, the outbound pass finds its
    restored imports by it)."""
    return f"{import_key_prefix(calendar_id)}{event_id}"


def import_key_prefix(calendar_id: str) -> str:
    """What every import key of events of ``calendar_id`` starts with (``import_key_of``)."""
    return f"{calendar_id}/"


def meeting_id_from_marker(namespace: str, marker: str | None) -> int | None:
    """The meeting id in one of *our* markers; None for anyone else's (or none at all)."""
    if marker is None:
        return None
    prefix, _, number = marker.rpartition(":")
    if prefix != namespace or not number.isdigit():
        return None
    return int(number)
