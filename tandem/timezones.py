"""IANA time-zone helpers shared by preferences, meetings and the sync mapping."""

from __future__ import annotations

import zoneinfo
from functools import lru_cache

from django.core.exceptions import ValidationError


@lru_cache(maxsize=1)
def available_time_zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def is_time_zone(name: str) -> bool:
    return name in _zone_set()


@lru_cache(maxsize=1)
def _zone_set() -> frozenset[str]:
    return frozenset(available_time_zones())


def validate_time_zone(name: str) -> None:
    if not is_time_zone(name):
        raise ValidationError("“%(name)s” is not an IANA time zone.", params={"name": name})
