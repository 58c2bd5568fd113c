"""Whether a recurrence rule ever yields an occurrence, found in bounded time.

dateutil walks a rule period by period and compares UNTIL (and counts COUNT) only on the
occurrences it finds, so a rule whose filters never match, like
``FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30``, walks on to the year 9999 whatever its UNTIL:
seconds per event, per page and per sync run, for anyone who can send an invitation
(issue 12, finding 4). The probe restarts the rule in 9972 with COUNT=1: between two
century years the Gregorian calendar's weekdays and leap years repeat every 28 years, so a
rule whose filters match any day matches one in 9972-9999, and one that matches none there
walks at most 28 years of periods before dateutil stops at 9999 (about 20 ms for a rule of
seconds; a rule that matches stops at its first occurrence).

A rule with an INTERVAL that skips every year in which its filters match (yearly on
29 February every other year from an odd year) is taken as matching: its walk is then
yearly or monthly, which dateutil ends at 9999 in a fraction of a second.
"""

from __future__ import annotations

import warnings
from datetime import datetime

from dateutil.rrule import DAILY, rrule

PROBE_YEAR = 9972
# Parts that can leave a period without any occurrence (the others only multiply them).
_FILTERS = ("BYMONTH", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYDAY", "BYSETPOS")
_SUB_DAILY = frozenset({"SECONDLY", "MINUTELY", "HOURLY"})


def never_matches(rule: rrule, text: str, *, first: datetime) -> bool:
    """True when ``rule`` (its RRULE/EXRULE value ``text``, starting at ``first``) has no
    occurrence on any day: its walk would never end before the year 9999."""
    parts = {
        key.strip().upper(): value.strip().upper()
        for key, _, value in (part.partition("=") for part in text.split(";"))
    }
    names = set(parts)
    if not names & set(_FILTERS):
        return False
    # 9972 is a leap year: every start, 29 February too, has its day there.
    start = first.replace(year=PROBE_YEAR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if parts.get("FREQ") in _SUB_DAILY and "BYSETPOS" not in names:
            # The day filters mean the same day by day: 10,000 days to walk, not 10,000
            # days of seconds (a BYSETPOS picks within the rule's own period: kept).
            probe = rule.replace(dtstart=start, count=1, until=None, freq=DAILY)
        else:
            probe = rule.replace(dtstart=start, count=1, until=None)
    return next(iter(probe), None) is None
