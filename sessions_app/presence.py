"""Presence in the room, in words, read from the participant rows (last_seen_at, left_at) that
sessions_app.services.room writes."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

# A heartbeat every 25 s (static/js/room.js); after this long without one the person is gone.
PRESENCE_TIMEOUT = timedelta(seconds=70)
# A live session nobody has been in for this long is flagged to its mechanic (and staff).
ABSENCE_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class Presence:
    """Where the other person is, in words: "in the room", "left 3 min ago", "not joined yet"."""

    state: str  # in | left | none
    since: datetime | None  # last seen (in) or left (left)

    @property
    def text(self) -> str:
        if self.state == "in":
            return "in the room"
        if self.state == "none" or self.since is None:
            return "not joined yet"
        minutes = int((timezone.now() - self.since).total_seconds() // 60)
        if minutes < 1:
            return "left just now"
        if minutes < 60:
            return f"left {minutes} min ago"
        hours = minutes // 60
        return f"left {hours} h ago" if hours < 24 else "left over a day ago"


def presence_of(
    last_seen_at: datetime | None, left_at: datetime | None, *, now: datetime | None = None
) -> Presence:
    """In the room: joined (seen) and not left since, with a heartbeat within PRESENCE_TIMEOUT."""
    now = now or timezone.now()
    if last_seen_at is None:
        return Presence("none", None)
    if left_at is None and now - last_seen_at <= PRESENCE_TIMEOUT:
        return Presence("in", last_seen_at)
    return Presence("left", left_at if left_at is not None else last_seen_at)


def absent_since(
    *, started_at: datetime | None, seen: list[datetime | None], now: datetime | None = None
) -> datetime | None:
    """When a live session's room was last occupied (or when it started, if nobody came), if that
    is at least ABSENCE_AFTER ago; None while somebody has been there more recently."""
    now = now or timezone.now()
    if started_at is None:
        return None
    last = max([started_at, *[s for s in seen if s is not None]])
    return last if now - last >= ABSENCE_AFTER else None
