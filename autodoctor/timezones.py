"""Users' time zones (SPEC §7: users carry a time zone). IANA names, checked against the zone
database Python ships with; an unknown or empty name reads as UTC rather than failing a page."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.core.exceptions import ValidationError
from django.utils import timezone

DEFAULT_TIME_ZONE = "UTC"


@cache
def time_zone_names() -> tuple[str, ...]:
    """Every IANA zone name, sorted (for pickers and validation)."""
    return tuple(sorted(available_timezones() | {DEFAULT_TIME_ZONE}))


def validate_time_zone(value: str) -> None:
    if value not in time_zone_names():
        raise ValidationError(
            "%(value)s is not a time zone we know. Pick one from the list, e.g. Europe/Berlin.",
            code="invalid_time_zone",
            params={"value": value},
        )


def zone_of(name: str | None) -> ZoneInfo:
    """The ZoneInfo for a stored name; UTC when it is empty or unknown."""
    try:
        return ZoneInfo(name or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIME_ZONE)


@contextmanager
def local_time_of(name: str | None) -> Iterator[None]:
    """Render what is inside in the zone `name` (an email, a PDF: someone other than the signed-in
    user reads it), e.g. `with local_time_of(session.customer.time_zone): render_to_string(...)`."""
    with timezone.override(zone_of(name)):
        yield
