"""IANA time-zone helpers shared by preferences, meetings and the sync mapping.

Which names are zones is decided once, in ``tandem.meetings.rules`` (pure Python, so the
sync core can ask it too); this module adds what Django's forms and models need."""

from __future__ import annotations

from functools import lru_cache

from django.core.exceptions import ValidationError

from tandem.meetings.rules import is_time_zone, time_zone_names


@lru_cache(maxsize=1)
def available_time_zones() -> tuple[str, ...]:
    return tuple(time_zone_names())


def validate_time_zone(name: str) -> None:
    if not is_time_zone(name):
        raise ValidationError("“%(name)s” is not an IANA time zone.", params={"name": name})


__all__ = ["available_time_zones", "is_time_zone", "validate_time_zone"]
