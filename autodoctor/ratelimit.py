"""Per-user rate limits, counted from the rows the user wrote (shared by every process and machine,
exact, and nothing new to run): at most `limit` rows in the last `window`, else a 429 domain error
that says when to try again."""

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from autodoctor.errors import DomainError


def rate_limit_check(
    *,
    recent: QuerySet,
    limit: int,
    window: timedelta,
    adding: int = 1,
    what: str,
    timestamp: str = "created_at",
) -> None:
    """Refuse (`rate_limited`, 429, `retry_after` seconds) when adding `adding` rows to the user's
    rows in `recent` would pass `limit` within `window`. One query: the newest `limit` timestamps."""
    now = timezone.now()
    if adding > limit:
        raise DomainError("rate_limited", f"You can add at most {limit} {what} at a time.", retry_after=0)
    newest = list(
        recent.filter(**{f"{timestamp}__gte": now - window})
        .order_by(f"-{timestamp}")
        .values_list(timestamp, flat=True)[:limit]
    )
    room = limit - len(newest)
    if adding <= room:
        return
    # Room comes back as the oldest counted rows age out of the window; once the one at
    # `limit - adding` (newest first) is out, there is room for `adding` more.
    frees_at = newest[limit - adding] + window
    retry_after = max(1, int((frees_at - now).total_seconds()) + 1)
    raise DomainError(
        "rate_limited",
        f"You have reached the limit of {limit} {what} per {_span(window)}. "
        f"Please try again in {_span(timedelta(seconds=retry_after))}.",
        retry_after=retry_after,
    )


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds >= 3600 and seconds % 3600 == 0:
        hours = seconds // 3600
        return "hour" if hours == 1 else f"{hours} hours"
    if seconds >= 60:
        minutes = -(-seconds // 60)
        return "minute" if minutes == 1 else f"{minutes} minutes"
    return "a few seconds" if seconds < 10 else f"{seconds} seconds"
