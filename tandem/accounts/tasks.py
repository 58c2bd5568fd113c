from __future__ import annotations

from celery import shared_task

from tandem.accounts.google_services import pending_revokes_retry


@shared_task(name="tandem.accounts.tasks.retry_pending_revokes")
def retry_pending_revokes() -> int:
    """Revokes that could not reach Google when the user clicked Revoke Token."""
    return pending_revokes_retry()
