"""The Celery app. Tasks live next to the services they call (tandem/*/tasks.py)."""

import gc
import os
from typing import Any

from celery import Celery
from celery.signals import worker_init, worker_process_init

from tandem.meetings.rules import is_time_zone

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

# Celery's Django fix-up, keeping the database connection between tasks
# (config/celery_connections.py says why).
app = Celery("tandem", fixups=["config.celery_connections:fixup"])
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def startup_objects_freeze() -> int:
    """Moves every object alive now (Django, the models, the modules: over 100,000) out of
    the garbage collector's sight; returns how many. They live as long as the process, yet
    each full collection scans them all, and an import's 10,000 events set off several
    (60 ms of a 10,000-event import's CPU, docs/benchmarks.md). Before the pool forks, it
    also keeps the children from writing to the pages they share with the parent.
    https://docs.python.org/3/library/gc.html#gc.freeze"""
    # The IANA zone names every event's time zone is checked against: a walk of tzdata's
    # files (about 25 ms) that the worker's first sync would otherwise pay, made once here
    # and frozen with the rest.
    is_time_zone("UTC")
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


@worker_init.connect
def _worker_started(**_: Any) -> None:
    startup_objects_freeze()  # the main process, before the pool starts


@worker_process_init.connect
def _pool_child_started(**_: Any) -> None:
    startup_objects_freeze()  # what a prefork child set up after the fork
