"""Calendar periods the money pages speak of, in the current time zone."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone


def period_starts(now: datetime | None = None) -> dict[str, datetime]:
    """Start of today, of this week (Monday) and of this month."""
    today = timezone.localdate(now or timezone.now())
    return {
        "today": _midnight(today),
        "week": _midnight(today - timedelta(days=today.weekday())),
        "month": _midnight(today.replace(day=1)),
    }


def month_bounds(month: date) -> tuple[datetime, datetime]:
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return _midnight(first), _midnight(following)


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
