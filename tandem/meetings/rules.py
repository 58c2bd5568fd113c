"""The rules of a meeting's fields, written once.

Two places check a meeting and both ask this module: ``tandem.meetings.services`` (every
write to the CRM: the web form, the API, the admin and the sync engine) and the sync core's
``MeetingFields`` (``tandem/sync/core/fields.py``: every meeting the sync reads from Google
or from the CRM, and every import row). So a meeting the CRM accepts is one the sync can
carry to Google, and the reverse.

Pure Python with no Django, so the sync core, which must stay free of Django, can import it.

A problem is ``(field, message)``, keyed by the Meeting model's field names: ``start`` and
``end`` for a timed meeting, ``start_date`` and ``end_date`` for an all-day one.
``meeting_problems`` lists every problem, so a form shows them all at once; the core raises
the first one. Values are cleaned before they are checked: surrounding spaces are no part
of a subject nor of a recurrence line (``clean_subject``, ``clean_recurrence``), and a
description's lines end in "\n" (``clean_description``).

Where the two places used to disagree, the rule a person would expect was kept:

- A subject with surrounding spaces: the services stripped them, the core refused the
  meeting. Both strip now (" Kick-off " is "Kick-off"); only a blank subject is refused.
- Lengths: the core counted the subject as given, the services after stripping, each with
  its own words (and the services' subject and location limits were Django's model
  validators, with Django's words). One limit per field, counted after cleaning, in one
  message that says how long the text is.
- End and start: the services compared microseconds, the core whole seconds, so a
  meeting shorter than a second was stored by the CRM and refused by the sync for ever.
  Since zero-length meetings are meetings (issue 12), both accept an end that is not
  before the start (UTC instants); the core's whole seconds read a sub-second meeting as
  a zero-length one.
- Recurrence lines: only the core checked them (non-empty strings) and trimmed them; the
  services stored anything. Both check and trim now.
- Several problems at once: the services held back "the end must be after the start"
  until every other field was right; it is reported with the others now.
- A missing bound, an all-day meeting's last day and a naive time keep the services'
  words (the form and the API show them), and the core says the same.
- Text that cannot be stored is refused with a message that says what to remove: a NUL
  (PostgreSQL refuses it) or a lone UTF-16 surrogate (no UTF-8 form: an API client can
  send ``"\ud800"``). Text from Google never meets this rule: the sync cleans it first
  (``tandem/sync/core/storable.py``) and says so in the run's warnings; a person typing
  is told instead, since silently dropping what they typed would surprise them.
- Zero-length timed meetings (end equal to start: reminders, deadlines) are meetings, as
  in Google; an end before the start is not. An all-day meeting still lasts a day at least.
- Dates: a meeting takes place between 1900 and 2200 (``FIRST_YEAR``, ``LAST_YEAR``).
  Python's dates end at year 9999 and begin at year 1, so a meeting at either edge could
  be stored and then overflow every page that shows it (a week's arrows, a time zone's
  offset); before 1900 most zones are in local mean time, whose offsets have seconds
  that RFC 3339 cannot write (issue 15).
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from importlib import resources
from typing import Literal, TypeAlias, get_args

# The Meeting model's column sizes (tandem/meetings/models.py keeps the same numbers for the
# schema; tests/meetings/test_rules.py holds them equal). Google allows longer text: the
# sync's mapping cuts it to these and says so.
SUBJECT_MAX_LENGTH = 1024
LOCATION_MAX_LENGTH = 1024
DESCRIPTION_MAX_LENGTH = 8192

# Google's values (the model's Visibility choices are the same, in the same order).
Visibility: TypeAlias = Literal["default", "public", "private", "confidential"]
VISIBILITIES: tuple[Visibility, ...] = get_args(Visibility)

Problem: TypeAlias = tuple[str, str]
"""(field name, message): what is wrong and where, in words fit to show to a person."""

SUBJECT_REQUIRED = "A meeting needs a subject."
VISIBILITY_UNKNOWN = f"Visibility must be one of: {', '.join(VISIBILITIES)}."
END_BEFORE_START = "The end cannot be before the start."
LAST_DAY_BEFORE_FIRST = "The last day cannot be before the first."
BOUNDS_MIXED = "The start and the end must both be dates or both be times."
ZONES_DIFFER = "The start and the end must be in the same time zone."
RECURRENCE_LINES = "Recurrence lines must be non-empty strings."

# The years a meeting may take place in (see the module's docstring).
FIRST_YEAR, LAST_YEAR = 1900, 2200
OUT_OF_RANGE = f"A meeting must take place between {FIRST_YEAR} and {LAST_YEAR}."
_MISSING = {
    "start": "A meeting needs a start time.",
    "end": "A meeting needs an end time.",
    "start_date": "An all-day meeting needs a first day.",
    "end_date": "An all-day meeting needs a last day.",
}


# In the tz database but no place's zone: "localtime" is whatever zone the machine is set
# to (another machine reads it otherwise), "Factory" is tzdata's placeholder ("-00",
# "Local time zone must be set"), "posixrules" the default rule of POSIX TZ strings.
_NOT_PLACES = frozenset({"localtime", "Factory", "posixrules"})


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones() - _NOT_PLACES)


@lru_cache(maxsize=1)
def _chosen_zone_names() -> frozenset[str]:
    # tzdata's zone.tab: at least one zone per country, under the names the tz database
    # recommends (no "US/Eastern", "Asia/Calcutta", "EST5EDT", "GMT+0", "Etc/…"), read from
    # the pinned tzdata package so every machine offers the same list; and UTC.
    table = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("utf-8")
    rows = (line.split("\t") for line in table.splitlines() if line and line[0] != "#")
    return frozenset(({row[2] for row in rows} | {"UTC"}) & _zone_names())


def time_zone_names() -> list[str]:
    """The zones a person chooses from, sorted: the forms' lists and the only ones the API
    takes in a meeting or a preference. Old aliases and zones of no place are left out;
    ``is_time_zone`` still knows them, because Google may send them on its events."""
    return sorted(_chosen_zone_names())


def is_time_zone(name: str) -> bool:
    """An IANA zone name this machine knows (``zoneinfo.available_timezones()`` but the
    names of no place): a meeting's ``time_zone`` and a Google event's ``timeZone``, which
    may be an old alias (``time_zone_names`` lists what people may choose)."""
    return name in _zone_names()


def time_zone_problem(name: str) -> str | None:
    return None if is_time_zone(name) else f"“{name}” is not an IANA time zone."


def time_problem(value: object) -> str | None:
    """What is wrong with ``value`` as a moment of a timed meeting: it must be a datetime
    that knows its offset (a naive one would be read in the server's zone)."""
    if not isinstance(value, datetime):
        return f"The time must be a date and time, not {value!r}."
    if value.utcoffset() is None:
        return f"The time {value.isoformat()} has no time zone."
    return None


def wall_shift(
    moment: datetime, zone: zoneinfo.ZoneInfo, *, old: datetime, new: datetime
) -> datetime:
    """``moment`` moved as far on ``zone``'s wall clock as ``old`` moved to ``new``."""
    wall = new.astimezone(zone).replace(tzinfo=None) - old.astimezone(zone).replace(tzinfo=None)
    local = moment.astimezone(zone).replace(tzinfo=None) + wall
    return local.replace(tzinfo=zone)


def original_moved(
    original: datetime,
    zone: zoneinfo.ZoneInfo,
    *,
    old: datetime,
    new: datetime,
    of_all_day: bool,
    to_all_day: bool,
) -> datetime:
    """Where an occurrence changed or cancelled alone (its row's ``original_start``) goes
    when its series moves from ``old`` to ``new``: as far on ``zone``'s wall clock, so it
    stays on the occurrence it was made for, as Google keeps its exceptions ("changes are
    preserved even if the recurring event itself is updated",
    https://gsuite-developers.googleblog.com/2011/12/calendar-v3-best-practices-recurring.html).

    The occurrences of an all-day series (``of_all_day``, the series before the move) are
    days: Google's exceptions of an all-day series carry ``originalStartTime.date``, and a
    date moves by whole days only, also when the series becomes timed. Such an exception
    then names no instance of the timed series (Google names those by ``dateTime``): it
    stands on its own, and the series shows its occurrence that day too. Google's pages say
    nothing of a series that changes kind; this follows the emulator
    (fakegoogle/events.py ``_exceptions_follow``), which the sync must agree with. Moved
    onto the timed slot, the CRM's row hid that occurrence while Google showed it
    (tests/sync/test_rules_all_day_series_made_timed.py).

    The reverse, a timed series made all-day (``to_all_day``, the series after the move):
    the emulator moves a timed exception's ``originalStartTime.dateTime`` on the wall clock
    (09:00 -> 00:00 of its day), which names no instance of the all-day series either
    (Google names those by ``date``; again the emulator's behaviour, Google's pages say
    nothing). The CRM keeps a day as its midnight, so a row moved there would name the
    all-day occurrence and hide it while Google showed it
    (tests/sync/test_rules_timed_series_made_all_day.py): the row moves by whole days
    instead and keeps its time of day, where it names no occurrence, as Google's does.
    Whenever either kind is all-day, then, the move is the one of the series' days."""
    if of_all_day or to_all_day:
        old, new = _midnight(old, zone), _midnight(new, zone)
    return wall_shift(original, zone, old=old, new=new)


def _midnight(moment: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    """The start of ``moment``'s day on ``zone``'s wall clock."""
    return datetime.combine(moment.astimezone(zone).date(), time.min, tzinfo=zone)


def instant(moment: datetime) -> datetime:
    """``moment`` as a UTC instant to whole seconds, the way it is compared and synced.

    Python compares two datetimes of one ZoneInfo on the wall clock, ignoring ``fold``, so
    02:30 CEST → 02:30 CET (an hour, the autumn change) would look empty; UTC instants do
    not. Whole seconds: Google keeps no fraction, so a meeting shorter than a second would
    be empty there."""
    at = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    return at.replace(microsecond=0) if at.microsecond else at


def clean_subject(subject: str) -> str:
    """Surrounding spaces are no part of a subject: " Kick-off " is "Kick-off"."""
    return subject.strip()


def clean_description(description: str) -> str:
    """Line ends are "\n": a browser sends a textarea's lines with "\r\n" (the HTML form
    encoding), old Mac text has "\r", and Google shows what it gets. Cleaned where the text
    enters the CRM (the services) and where the sync reads a meeting from either side (the
    core's ``MeetingFields``), so nothing leaves the CRM with another ending and a Google
    text with "\r\n" is the same description as the CRM's with "\n" (no edit to push)."""
    return (
        description.replace("\r\n", "\n").replace("\r", "\n")
        if "\r" in description
        else description
    )


def clean_recurrence(lines: Iterable[str]) -> tuple[str, ...]:
    """Recurrence lines without surrounding spaces, so a re-read line compares equal."""
    return tuple([line.strip() for line in lines]) if lines else ()


def meeting_problems(
    *,
    subject: str,
    description: str,
    location: str,
    visibility: str,
    all_day: bool,
    start: date | None,
    end: date | None,
    time_zone: str | None,
    recurrence: Sequence[object],
    end_zone: str | None = None,
) -> list[Problem]:
    """Every problem of a meeting's values, in field order; empty when it is a meeting.

    ``subject`` is checked as ``clean_subject`` leaves it. ``start``/``end`` are aware
    datetimes for a timed meeting and plain dates (end exclusive) for an all-day one.
    ``time_zone`` is the meeting's IANA zone (None: it has none to check, as an all-day
    meeting in the sync core); ``end_zone`` is the end's own zone where it can differ (the
    sync core's two bounds; the model has one ``time_zone`` for both).
    """
    problems: list[Problem] = []
    if not subject:
        problems.append(("subject", SUBJECT_REQUIRED))
    # TextField's max_length is not a model validator (Django only hands it to form
    # widgets), and the sync's bulk import skips model validation altogether: so every
    # limit is checked here.
    if len(subject) > SUBJECT_MAX_LENGTH:
        problems.append(("subject", _too_long("subject", subject, SUBJECT_MAX_LENGTH)))
    if len(location) > LOCATION_MAX_LENGTH:
        problems.append(("location", _too_long("location", location, LOCATION_MAX_LENGTH)))
    if len(description) > DESCRIPTION_MAX_LENGTH:
        problems.append(
            ("description", _too_long("description", description, DESCRIPTION_MAX_LENGTH))
        )
    for name, text in (("subject", subject), ("description", description), ("location", location)):
        problem = text_problem(name, text)
        if problem is not None:
            problems.append((name, problem))
    if visibility not in VISIBILITIES:
        problems.append(("visibility", VISIBILITY_UNKNOWN))
    zone_problem = None if time_zone is None else time_zone_problem(time_zone)
    if zone_problem is not None:
        problems.append(("time_zone", zone_problem))
    problems += bounds_problems(
        all_day=all_day, start=start, end=end, time_zone=time_zone, end_zone=end_zone
    )
    for line in recurrence:  # a loop, not any(): this runs for every event an import reads
        if not isinstance(line, str) or not line.strip():
            problems.append(("recurrence", RECURRENCE_LINES))
            break
        if _UNSTORABLE.search(line):
            problems.append(("recurrence", text_problem("recurrence", line) or ""))
            break
    return problems


def bounds_problems(
    *,
    all_day: bool,
    start: date | None,
    end: date | None,
    time_zone: str | None = None,
    end_zone: str | None = None,
) -> list[Problem]:
    """The problems of a meeting's start and end (see ``meeting_problems``)."""
    if all_day:
        # datetime is a subclass of date; an all-day bound is a date and nothing more.
        if type(start) is date and type(end) is date:
            out_of_range = _range_problems(start, end, names=("start_date", "end_date"))
            if out_of_range:
                return out_of_range
            return [] if start < end else [("end_date", LAST_DAY_BEFORE_FIRST)]
        names = ("start_date", "end_date")
    elif (
        isinstance(start, datetime) and isinstance(end, datetime) and _aware(start) and _aware(end)
    ):
        if end_zone is not None and end_zone != time_zone:
            return [("end", ZONES_DIFFER)]
        # Before instant(): converting year 1 or 9999 to UTC may overflow.
        out_of_range = _range_problems(start, end, names=("start", "end"))
        if out_of_range:
            return out_of_range
        # UTC instants (see instant()), to the microsecond: the database's constraint is
        # end >= start, and the sync's whole seconds then read a sub-second meeting as a
        # zero-length one, which Google holds too.
        return [] if start.astimezone(UTC) <= end.astimezone(UTC) else [("end", END_BEFORE_START)]
    else:
        names = ("start", "end")
    # Something is missing or of the wrong kind: say what, for each bound.
    problems: list[Problem] = []
    for name, value in zip(names, (start, end), strict=True):
        problem = _bound_problem(name, value, all_day=all_day)
        if problem is not None:
            problems.append((name, problem))
    return problems


def in_range(day: date) -> bool:
    """``day`` (a date, or a datetime on its own wall clock) falls in the years a meeting
    may take place in."""
    return FIRST_YEAR <= day.year <= LAST_YEAR


def _range_problems(start: date, end: date, *, names: tuple[str, str]) -> list[Problem]:
    if start.year >= FIRST_YEAR and end.year <= LAST_YEAR and start.year <= end.year:
        return []  # every bound in range: the common case, once per event an import reads
    # An all-day meeting's end is exclusive: one ending on the last day of LAST_YEAR has
    # end_date on January 1st of the year after.
    end_day = end - timedelta(days=1) if type(end) is date and end.year > LAST_YEAR else end
    return [
        (name, OUT_OF_RANGE)
        for name, bound in zip(names, (start, end_day), strict=True)
        if not in_range(bound)
    ]


def _aware(moment: datetime) -> bool:
    # UTC first: the sync core's instants are all in UTC, and utcoffset() costs a call.
    return moment.tzinfo is UTC or moment.utcoffset() is not None


def _bound_problem(name: str, value: object, *, all_day: bool) -> str | None:
    if value is None:
        return _MISSING[name]
    if all_day:
        return None if type(value) is date else BOUNDS_MIXED
    if isinstance(value, date) and not isinstance(value, datetime):
        return BOUNDS_MIXED
    return time_problem(value)


# NUL (PostgreSQL's text refuses it) and lone surrogates (no UTF-8 form).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def text_problem(name: str, text: str) -> str | None:
    """What makes ``text`` unstorable, in words that say what to remove; None when it can be
    stored. Cheap when it can (the common case): one scan."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    if "\x00" in text:
        return f"The {name} cannot contain NUL characters (\\0, often pasted by mistake)."
    return (
        f"The {name} contains a broken character (a lone UTF-16 surrogate, "
        f"at position {found.start() + 1}): write it again."
    )


def by_field(problems: Iterable[Problem]) -> dict[str, list[str]]:
    """The problems as ``{field: [message, ...]}`` (Django's ValidationError takes it)."""
    messages: dict[str, list[str]] = {}
    for name, message in problems:
        messages.setdefault(name, []).append(message)
    return messages


def _too_long(name: str, value: str, limit: int) -> str:
    return f"A {name} can have at most {limit} characters (it has {len(value)})."


__all__ = [
    "DESCRIPTION_MAX_LENGTH",
    "FIRST_YEAR",
    "LAST_YEAR",
    "LOCATION_MAX_LENGTH",
    "SUBJECT_MAX_LENGTH",
    "VISIBILITIES",
    "Problem",
    "Visibility",
    "bounds_problems",
    "by_field",
    "clean_description",
    "clean_recurrence",
    "clean_subject",
    "in_range",
    "instant",
    "is_time_zone",
    "meeting_problems",
    "text_problem",
    "time_problem",
    "time_zone_names",
    "time_zone_problem",
]
