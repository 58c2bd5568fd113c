"""What a run changed of Google's text to store it is reported with the run, as warnings
(the event syncs: no error, the run succeeds)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.sync.harness import HOUR, SyncWorld, connect_user, run_clean, soon

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(google_in_process, client: Client) -> SyncWorld:  # type: ignore[no-untyped-def]
    return connect_user(google_in_process, client)


def test_text_cleaned_on_the_way_in_is_reported_with_the_run(world: SyncWorld) -> None:
    start = soon(days=2)
    event = world.google.create_event(
        world.primary, "Pitch\x00 review", start, start + HOUR, location="Room 4"
    )

    outcome = run_clean(world)

    assert outcome.run is not None
    outcome.run.refresh_from_db()
    assert outcome.counts["text_changed"] == 1
    (warning,) = outcome.run.report.warnings
    assert (warning.subject, warning.event_id) == ("“Pitch review”", event["id"])
    assert "NUL" in warning.message
    assert outcome.run.errors == []
    again = run_clean(world)
    assert again.run is not None and again.run.warnings == []  # reported once, not each run
