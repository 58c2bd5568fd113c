"""Celery's Django fix-up, changed to keep a worker's database connection between tasks.

The installed Celery's fix-up (celery/fixups/django.py, ``DjangoWorkerFixup``) closes every
database connection before and after every task that is not run eagerly. Its only way
out, ``CELERY_DB_REUSE_MAX``, keeps a connection for that many tasks without asking
whether it still works, so a connection the server dropped fails the next task. On
PostgreSQL each reopening cost 0.85 ms of the worker's CPU and 6.7 ms of wall time, paid
by every push and edit task (docs/benchmarks.md, "Issue 11, sixth session: the idle
cycle's Celery cost").

Here a task's start and end do what Django does at a request's (``request_started`` and
``request_finished``): ``close_old_connections``. It closes a connection older than
``CONN_MAX_AGE`` (0: every time, as before), one left outside autocommit, and one an error
left unusable; with ``CONN_HEALTH_CHECKS`` the next query first checks that the server has
not dropped the connection meanwhile, and opens a new one if it has.
https://docs.djangoproject.com/en/5.2/ref/databases/#persistent-connections

Everything else is Celery's fix-up as installed: connections are still closed when the
worker starts, in a prefork child after the fork, and before embedded beat.
``CELERY_DB_REUSE_MAX`` no longer plays a part between tasks (``CONN_MAX_AGE`` does).
"""

from __future__ import annotations

from typing import Any

from celery import Celery, Task
from celery.fixups.django import DjangoFixup, DjangoWorkerFixup
from django.db import close_old_connections


class ConnectionKeepingWorkerFixup(DjangoWorkerFixup):
    def on_task_prerun(self, sender: Task, **kwargs: Any) -> None:
        # An eager task runs inside its caller, whose connections are not the task's.
        if not getattr(sender.request, "is_eager", False):
            close_old_connections()

    def on_task_postrun(self, sender: Task, **kwargs: Any) -> None:
        if not getattr(sender.request, "is_eager", False):
            close_old_connections()
            self.close_cache()


class ConnectionKeepingFixup(DjangoFixup):
    _worker_fixup: DjangoWorkerFixup | None

    # The worker fix-up is made when a worker starts (it reads the app's configuration,
    # which is not loaded yet when the app is made), as in DjangoFixup; ``getter`` keeps
    # DjangoFixup's setter.
    @DjangoFixup.worker_fixup.getter
    def worker_fixup(self) -> DjangoWorkerFixup:
        if self._worker_fixup is None:
            self._worker_fixup = ConnectionKeepingWorkerFixup(self.app)
        return self._worker_fixup


def fixup(app: Celery) -> ConnectionKeepingFixup:
    """Installed in place of Celery's own (``Celery(fixups=[...])``, config/celery.py)."""
    return ConnectionKeepingFixup(app).install()
