"""A run's own records, and a listing that changed nothing, commit without waiting for the
disk on PostgreSQL; nothing else does (tandem/sync/run_records.py)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from tandem.sync.run_records import run_records_transaction, unwaited_if_nothing_written

pytestmark = pytest.mark.django_db(transaction=True)


def _commit_mode() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return str(cursor.fetchone()[0])


@pytest.fixture
def postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "PostgreSQL only (.ci/run's second pass): SQLite in WAL mode with "
            "synchronous=NORMAL never waits for the disk at a commit"
        )


def test_a_runs_records_commit_without_waiting_and_the_next_transaction_waits(postgresql):
    assert _commit_mode() == "on"
    with run_records_transaction():
        assert _commit_mode() == "off"
    with transaction.atomic():
        assert _commit_mode() == "on"  # SET LOCAL ended with its transaction


def test_inside_another_transaction_the_outer_commit_waits_as_it_would(postgresql):
    """A run inside a caller's transaction (a test, a command wrapping one) must not make
    the caller's own writes commit without waiting."""
    with transaction.atomic():
        with run_records_transaction():
            assert _commit_mode() == "on"
        assert _commit_mode() == "on"


def test_a_transaction_that_wrote_nothing_yet_commits_without_waiting(postgresql):
    with transaction.atomic():
        unwaited_if_nothing_written()
        assert _commit_mode() == "off"


def test_inside_a_callers_transaction_nothing_written_still_waits(postgresql):
    """The listing's transaction is the outermost one in production; inside a caller's
    (found by the session's review), the caller's later writes must still wait."""
    with transaction.atomic(), transaction.atomic():
        unwaited_if_nothing_written()
        assert _commit_mode() == "on"


def test_a_transaction_that_wrote_commits_waiting(postgresql):
    """A listing's last page with changes: the token commits with them, and waits."""
    from django.contrib.auth.models import User

    with transaction.atomic():
        User.objects.create(username="a-change-of-the-listing")
        unwaited_if_nothing_written()
        assert _commit_mode() == "on"


def test_a_runs_records_are_one_transaction_all_or_none():
    from django.contrib.auth.models import User

    with pytest.raises(RuntimeError), run_records_transaction():
        User.objects.create(username="kept-only-if-committed")
        raise RuntimeError("the second write failed")
    assert not User.objects.filter(username="kept-only-if-committed").exists()
