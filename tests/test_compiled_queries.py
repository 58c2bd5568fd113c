"""tandem.compiled_queries: a statement compiled once runs what Django would compile for the
same values, and gives the same rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db.models import Count, F, OuterRef, QuerySet, Subquery
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.compiled_queries import CompiledQuery
from tandem.meetings.models import Meeting
from tandem.sync.engine.context import _CALENDAR_STATES
from tandem.sync.engine.occurrence_rows import _OCCURRENCE_ROWS
from tandem.sync.engine.outbound import _CHANGED_SINCE, _LEAVING
from tandem.sync.engine.run import _START, _start_query

pytestmark = pytest.mark.django_db


def _meetings_of(*, owner_id: int, since: datetime) -> QuerySet[Meeting]:
    """A statement of the start read's kind: a join, an annotation with a subquery, an
    expression, the owner twice and a datetime."""
    return (
        Meeting.objects.select_related("owner")
        .annotate(
            owner_meetings=Subquery(
                Meeting.objects.filter(owner=OuterRef("owner"))
                .order_by()
                .values("owner")
                .annotate(count=Count("pk"))
                .values("count")
            ),
            length=F("end") - F("start"),
        )
        .filter(owner_id=owner_id, start__gte=since, owner__pk=owner_id)
        .order_by("start", "pk")
    )


MEETINGS_OF = CompiledQuery(Meeting, _meetings_of)
AT = datetime(2026, 12, 1, 9, tzinfo=UTC)


def _meeting(owner: User, day: int, subject: str) -> Meeting:
    start = AT + timedelta(days=day)
    return Meeting.objects.create(
        owner=owner, subject=subject, start=start, end=start + timedelta(hours=1), time_zone="UTC"
    )


@settings(max_examples=30, deadline=None)
@given(
    owner_id=st.integers(min_value=1, max_value=2**31 - 1),
    since=st.datetimes(
        min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
    ),
)
def test_the_statement_is_what_django_compiles_for_the_same_values(
    owner_id: int, since: datetime
) -> None:
    assert MEETINGS_OF.statement(owner_id=owner_id, since=since) == (
        _meetings_of(owner_id=owner_id, since=since).query.sql_with_params()
    )


@settings(max_examples=10, deadline=None)
@given(
    user_id=st.integers(min_value=1, max_value=2**31 - 1),
    since=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
)
def test_a_sync_runs_start_read_is_what_django_compiles(user_id: int, since: datetime) -> None:
    assert _START.statement(user_id=user_id, budget_since=since) == (
        _start_query(user_id=user_id, budget_since=since).query.sql_with_params()
    )


def test_the_rows_are_djangos_with_what_select_related_and_annotations_read() -> None:
    ann, bob = User.objects.create_user("ann"), User.objects.create_user("bob")
    _meeting(ann, 0, "old")
    _meeting(ann, 2, "planning")
    _meeting(ann, 3, "review")
    _meeting(bob, 2, "bob's")

    found = MEETINGS_OF.all(owner_id=ann.pk, since=AT + timedelta(days=1))

    expected = list(_meetings_of(owner_id=ann.pk, since=AT + timedelta(days=1)))
    assert [m.subject for m in found] == ["planning", "review"]
    assert [(m.pk, m.start, m.end, m.owner_meetings, m.length) for m in found] == [  # type: ignore[attr-defined]
        (m.pk, m.start, m.end, m.owner_meetings, m.length)  # type: ignore[attr-defined]
        for m in expected
    ]
    assert found[0].owner_meetings == 3  # type: ignore[attr-defined]
    assert found[0].length == timedelta(hours=1)  # type: ignore[attr-defined]
    # The owner came with the row (select_related): reading it runs no statement.
    assert found[0]._state.fields_cache["owner"].username == "ann"
    assert MEETINGS_OF.first(owner_id=bob.pk, since=AT).subject == "bob's"  # type: ignore[union-attr]
    assert MEETINGS_OF.first(owner_id=bob.pk, since=AT + timedelta(days=5)) is None


def test_a_value_the_builder_computes_with_is_refused_at_the_first_call() -> None:
    shifted = CompiledQuery(
        Meeting,
        lambda *, since: Meeting.objects.filter(start__gte=since - timedelta(minutes=1)),
    )
    with pytest.raises(ValueError, match="'since'"):
        shifted.all(since=AT)


def test_ids_and_rows_of_values_list_strings_vary_too() -> None:
    ann = User.objects.create_user("ann")
    planning, review = _meeting(ann, 2, "planning"), _meeting(ann, 3, "review")
    ids = CompiledQuery(
        Meeting,
        lambda *, owner_id: (
            Meeting.objects.filter(owner_id=owner_id).order_by("pk").values_list("pk", flat=True)
        ),
    )
    rows = CompiledQuery(
        Meeting,
        lambda *, subject, start: (
            Meeting.objects.filter(subject=subject, start__gte=start)
            .order_by("pk")
            .values_list("pk", "start")
        ),
    )

    assert ids.all(owner_id=ann.pk) == [planning.pk, review.pk]
    assert rows.all(subject="review", start=AT) == [(review.pk, review.start)]
    assert rows.all(subject="planning", start=AT) == [(planning.pk, planning.start)]
    assert rows.all(subject="planning", start=review.start) == []


@pytest.mark.parametrize(
    "build",
    [
        # Passed as given once, and once escaped for a LIKE.
        lambda *, subject: Meeting.objects.filter(subject=subject, location__contains=subject),
        # Passed as given once, and once cut to its date.
        lambda *, since: Meeting.objects.filter(start__gte=since, end__date__gte=since),
        # Passed as given once, and once computed with.
        lambda *, owner_id: Meeting.objects.filter(owner_id=owner_id, version__gt=owner_id + 1),
        lambda *, owner_id: Meeting.objects.filter(owner_id=owner_id, version__gt=owner_id // 1000),
    ],
    ids=["escaped", "cut to a date", "computed with", "divided"],
)
def test_a_value_also_used_in_another_form_is_refused(build: Any) -> None:
    """Found by the session's review: a value put where Django had put it in another form
    returned rows Django would not (``"a_b"`` matched ``"axb"``)."""
    values = {"subject": "a_b", "since": AT, "owner_id": 7}
    (name,) = [name for name in values if name in build.__code__.co_varnames]
    with pytest.raises(ValueError, match=r"another form|as given"):
        CompiledQuery(Meeting, build).all(**{name: values[name]})


def test_a_value_of_another_kind_than_at_first_is_refused() -> None:
    by_start = CompiledQuery(Meeting, lambda *, since: Meeting.objects.filter(start__gte=since))
    by_start.all(since=AT)
    with pytest.raises(TypeError, match="naive"):
        by_start.all(since=datetime(2026, 12, 1, 9))
    with pytest.raises(TypeError, match="'since' must be a datetime"):
        by_start.all(since=1)


def test_only_ints_strings_and_datetimes_can_vary() -> None:
    by_flag = CompiledQuery(Meeting, lambda *, flag: Meeting.objects.filter(read_only=flag))
    with pytest.raises(TypeError, match="not True"):
        by_flag.all(flag=True)  # type: ignore[arg-type]
    MEETINGS_OF.all(owner_id=1, since=AT)
    with pytest.raises(TypeError, match="expected the values"):
        MEETINGS_OF.all(owner_id=1)


def test_a_queryset_of_other_rows_is_refused() -> None:
    as_dicts = CompiledQuery(
        Meeting, lambda *, owner_id: Meeting.objects.filter(owner_id=owner_id).values("pk")
    )
    with pytest.raises(TypeError, match="ValuesIterable"):
        as_dicts.all(owner_id=1)


@pytest.mark.parametrize(
    ("compiled", "values"),
    [
        (_CALENDAR_STATES, {"owner_id": 3, "google_sub": "1174_%"}),
        (_LEAVING, {"owner_id": 3, "google_sub": "1174", "calendar_id": "team@group.test"}),
        (_CHANGED_SINCE, {"owner_id": 3, "since": AT}),
        (_OCCURRENCE_ROWS, {"owner_id": 3}),
        (_START, {"user_id": 3, "budget_since": AT}),
    ],
    ids=["calendar states", "leaving links", "changed since", "occurrence rows", "run start"],
)
def test_each_of_the_idle_runs_statements_is_what_django_compiles(
    compiled: CompiledQuery[Any], values: dict[str, Any]
) -> None:
    assert compiled.statement(**values) == compiled._build(**values).query.sql_with_params()
