"""The days a calendar view shows and where its arrows lead. Pure date arithmetic.

Weeks start on Monday (ISO 8601). The month view is always six weeks, so the page does
not jump in height from month to month.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from tandem.meetings.occurrences import Occurrence

VIEWS = ("month", "week", "day", "list")
LIST_DAYS = 14
MONTH_WEEKS = 6


@dataclass(frozen=True)
class Period:
    """What one calendar page covers: days [first_day, end_day) and its neighbours."""

    view: str
    anchor: date
    first_day: date
    end_day: date
    previous: date
    next: date

    @property
    def days(self) -> list[date]:
        return [
            self.first_day + timedelta(days=n) for n in range((self.end_day - self.first_day).days)
        ]

    @property
    def last_day(self) -> date:
        return self.end_day - timedelta(days=1)


@dataclass
class Day:
    day: date
    is_today: bool
    in_focus: bool  # in the shown month (month view); always true otherwise
    occurrences: list[Occurrence] = field(default_factory=list)

    @property
    def iso(self) -> str:
        """``2026-12-01``: the templates' data-date and links (cheaper than |date per use)."""
        return self.day.isoformat()


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_for(*, view: str, anchor: date) -> Period:
    if view == "month":
        first_of_month = anchor.replace(day=1)
        first_day = week_start(first_of_month)
        return Period(
            view=view,
            anchor=anchor,
            first_day=first_day,
            end_day=first_day + timedelta(weeks=MONTH_WEEKS),
            previous=_add_months(first_of_month, -1),
            next=_add_months(first_of_month, 1),
        )
    if view == "week":
        first_day = week_start(anchor)
        return Period(
            view=view,
            anchor=anchor,
            first_day=first_day,
            end_day=first_day + timedelta(weeks=1),
            previous=first_day - timedelta(weeks=1),
            next=first_day + timedelta(weeks=1),
        )
    if view == "day":
        return Period(
            view=view,
            anchor=anchor,
            first_day=anchor,
            end_day=anchor + timedelta(days=1),
            previous=anchor - timedelta(days=1),
            next=anchor + timedelta(days=1),
        )
    if view == "list":
        return Period(
            view=view,
            anchor=anchor,
            first_day=anchor,
            end_day=anchor + timedelta(days=LIST_DAYS),
            previous=anchor - timedelta(days=LIST_DAYS),
            next=anchor + timedelta(days=LIST_DAYS),
        )
    raise ValueError(f"Unknown calendar view {view!r}; expected one of {', '.join(VIEWS)}.")


def days_of(*, period: Period, occurrences: list[Occurrence], today: date) -> list[Day]:
    """Each day of the period with the occurrences covering it (a meeting over several days
    appears on each of them)."""
    days = [
        Day(
            day=day,
            is_today=day == today,
            in_focus=period.view != "month" or day.month == period.anchor.month,
        )
        for day in period.days
    ]
    for occurrence in occurrences:
        for entry_day in days:
            if occurrence.covers(entry_day.day):
                entry_day.occurrences.append(occurrence)
    return days


def weeks_of(days: list[Day]) -> list[list[Day]]:
    return [days[n : n + 7] for n in range(0, len(days), 7)]
