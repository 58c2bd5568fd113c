"""IANA time-zone helpers shared by preferences, meetings and the sync mapping.

Which names are zones, and which of them a person may choose, is decided once, in
``tandem.meetings.rules`` (pure Python, so the sync core can ask it too); this module adds
what Django's forms and models need: the picker's choices, common zones first, each labelled
with its country and its offset today, so a person finds "Berlin", "Germany" or "+01:00".
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources

from django.core.exceptions import ValidationError

from tandem.meetings.rules import is_time_zone, time_zone_names

# What most sales teams pick, offered first (a person finds the rest in the full list).
COMMON_TIME_ZONES = (
    "America/Los_Angeles", "America/Denver", "America/Chicago", "America/Mexico_City",
    "America/New_York", "America/Toronto", "America/Sao_Paulo", "UTC", "Europe/London",
    "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin", "Europe/Madrid",
    "Europe/Rome", "Europe/Amsterdam", "Europe/Zurich", "Europe/Warsaw", "Europe/Athens",
    "Europe/Istanbul", "Africa/Johannesburg", "Asia/Dubai", "Asia/Kolkata", "Asia/Singapore",
    "Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland",
)  # fmt: skip

Choices = list[tuple[str, str]]


@lru_cache(maxsize=1)
def available_time_zones() -> tuple[str, ...]:
    return tuple(time_zone_names())


def validate_time_zone(name: str) -> None:
    if not is_time_zone(name):
        raise ValidationError("“%(name)s” is not an IANA time zone.", params={"name": name})


def _tzdata_text(name: str) -> str:
    return resources.files("tzdata").joinpath("zoneinfo", name).read_text("utf-8")


@lru_cache(maxsize=1)
def _countries() -> dict[str, str]:
    """Zone name → the country it is in (tzdata's zone.tab and iso3166.tab)."""
    names = dict(
        line.split("\t", 1) for line in _tzdata_text("iso3166.tab").splitlines() if line[:1] != "#"
    )
    rows = (line.split("\t") for line in _tzdata_text("zone.tab").splitlines() if line[:1] != "#")
    return {row[2]: names.get(row[0], row[0]) for row in rows if len(row) > 2}


@lru_cache(maxsize=1)
def _links() -> dict[str, str]:
    """Old name → the zone it is now a link to (tzdata.zi's "L target alias" lines)."""
    pairs = (line.split() for line in _tzdata_text("tzdata.zi").splitlines() if line[:2] == "L ")
    return {alias: target for _, target, alias in pairs}


def chosen_form_of(name: str) -> str:
    """The name a picker shows for ``name``: itself, or the zone an old alias now links to
    ("US/Eastern" is "America/New_York": the same clock), so a meeting Google gave an old
    name is edited without changing its times."""
    if name in _chosen():
        return name
    target = _links().get(name, "")
    return target if target in _chosen() else name


@lru_cache(maxsize=1)
def _chosen() -> frozenset[str]:
    return frozenset(time_zone_names())


def _offset(name: str, now: datetime) -> str:
    offset = now.astimezone(zoneinfo.ZoneInfo(name)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    sign = "+" if minutes >= 0 else "-"  # the sign people type when they search
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def label(name: str, now: datetime | None = None) -> str:
    """ "Europe/Berlin · Germany · UTC+01:00": the name, its country, its offset today."""
    country = _countries().get(name)
    parts = [name.replace("_", " "), *([country] if country else [])]
    return " · ".join([*parts, _offset(name, now or datetime.now(UTC))])


def time_zone_choices(now: datetime | None = None) -> list[tuple[str, Choices]]:
    """The picker's groups: common zones (west to east), then every zone by name; with
    today's offsets (built once a day: 419 labels)."""
    if now is None:
        today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
        return _choices_of_the_day(today)
    return _choices_of_the_day(now)


@lru_cache(maxsize=2)
def _choices_of_the_day(moment: datetime) -> list[tuple[str, Choices]]:
    common = sorted(
        (zone for zone in COMMON_TIME_ZONES if zone in _chosen()),
        key=lambda zone: (moment.astimezone(zoneinfo.ZoneInfo(zone)).utcoffset(), zone),
    )
    return [
        ("Common time zones", [(zone, label(zone, moment)) for zone in common]),
        ("All time zones", [(zone, label(zone, moment)) for zone in available_time_zones()]),
    ]


__all__ = [
    "available_time_zones",
    "chosen_form_of",
    "is_time_zone",
    "label",
    "time_zone_choices",
    "validate_time_zone",
]
