"""The pure core of the two-way sync: no Django, no HTTP, no I/O (docs/sync-rules.md).

Adapters implement ``CrmSide``, ``GoogleSide`` and ``LinkStore`` (``sides``) and call
``sync_once``; everything else here is the engine's own business.
"""

from tandem.sync.core.actions import ItemPlan
from tandem.sync.core.breaker import BreakerVerdict, breaker_check, breaker_check_plan
from tandem.sync.core.driver import SyncReport, sync_once
from tandem.sync.core.fields import (
    InvalidFields,
    MeetingFields,
    TimedMoment,
    fields_from_meeting_values,
    meeting_values_from_fields,
)
from tandem.sync.core.identity import (
    MARKER_KEY,
    event_id_for_meeting,
    marker_for_meeting,
    meeting_id_from_marker,
)
from tandem.sync.core.mapping import (
    MalformedEvent,
    event_body_from_fields,
    fields_from_event,
    patch_from_changes,
    read_event,
)
from tandem.sync.core.merge import Conflict, MergeResult, merge
from tandem.sync.core.planner import plan_item
from tandem.sync.core.sides import (
    AlreadyExists,
    CrmSide,
    EventListing,
    GoogleSide,
    LinkStore,
    NotFound,
    PreconditionFailed,
    SideError,
    SyncTokenInvalid,
)
from tandem.sync.core.state import CrmMeeting, GoogleEvent, Link, SyncSettings

__all__ = [
    "MARKER_KEY",
    "AlreadyExists",
    "BreakerVerdict",
    "Conflict",
    "CrmMeeting",
    "CrmSide",
    "EventListing",
    "GoogleEvent",
    "GoogleSide",
    "InvalidFields",
    "ItemPlan",
    "Link",
    "LinkStore",
    "MalformedEvent",
    "MeetingFields",
    "MergeResult",
    "NotFound",
    "PreconditionFailed",
    "SideError",
    "SyncReport",
    "SyncSettings",
    "SyncTokenInvalid",
    "TimedMoment",
    "breaker_check",
    "breaker_check_plan",
    "event_body_from_fields",
    "event_id_for_meeting",
    "fields_from_event",
    "fields_from_meeting_values",
    "marker_for_meeting",
    "meeting_id_from_marker",
    "meeting_values_from_fields",
    "merge",
    "patch_from_changes",
    "plan_item",
    "read_event",
    "sync_once",
]
