"""The sync engine: one run per user over the pure core (tandem.sync.core).

``sync_user_now`` takes the user's lease lock, then for each calendar (inbound ones and the
target) runs the inbound pass (Google → CRM, streamed page by page) and then the outbound
pass (CRM → Google, re-planning every meeting changed since its last agreement). Every run
is recorded as a SyncRun.
"""

from tandem.sync.engine.run import SyncOutcome, sync_user_now

__all__ = ["SyncOutcome", "sync_user_now"]
