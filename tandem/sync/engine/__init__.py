"""The sync engine: one run per user over the pure core (tandem.sync.core).

``sync_user_now`` takes the user's lease lock, runs the settings pass once (calendars
un-picked, a new target, private sync toggled), then the inbound pass of every calendar
(Google → CRM, streamed page by page), then, unless the breaker asks the user first, the
outbound pass of every calendar (CRM → Google, re-planning what changed since its last
agreement): all of them the core's passes (tandem.sync.core) over the database's stores.
Every run is recorded as a SyncRun.
"""

from tandem.sync.engine.run import SyncOutcome, sync_user_now

__all__ = ["SyncOutcome", "sync_user_now"]
