"""Read-only figures for /staff/analytics/ (SPEC §4 Staff)."""

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from billing.selectors import failing_refunds, money_per_day
from mechanics.models import Mechanic

from .models import Rating, Session, SessionAssignment
from .transitions import AssignmentStatus, SessionStatus, SessionType


@dataclass
class Durations:
    count: int = 0
    median_seconds: float | None = None
    p90_seconds: float | None = None


@dataclass
class Analytics:
    since: date
    days: list[dict] = field(default_factory=list)  # {"day", "chat", "video", "diagnostic", "total"}
    max_per_day: int = 0
    queue_wait: Durations = field(default_factory=Durations)
    accept_to_start: Durations = field(default_factory=Durations)
    start_to_complete: Durations = field(default_factory=Durations)
    ended: int = 0
    expired: int = 0
    expiry_rate: float | None = None
    mechanics: list[dict] = field(default_factory=list)
    rating_counts: list[tuple[int, int]] = field(default_factory=list)
    rating_average: float | None = None
    rating_max: int = 0
    # issue 13: one row per calendar day of the period (zeros included), sessions and money
    calendar: list[dict] = field(default_factory=list)
    failing_refunds: list[Any] = field(default_factory=list)


def _durations(seconds: list[float]) -> Durations:
    if not seconds:
        return Durations()
    ordered = sorted(seconds)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return Durations(count=len(ordered), median_seconds=statistics.median(ordered), p90_seconds=p90)


def staff_analytics(*, days: int = 30) -> Analytics:
    since = timezone.now() - timedelta(days=days)
    result = Analytics(since=since.date())
    result.days = _sessions_per_day(since)
    result.max_per_day = max((d["total"] for d in result.days), default=0)
    _fill_durations(result, since)
    ended = Session.objects.filter(ended_at__gte=since).aggregate(
        ended=Count("id"), expired=Count("id", filter=Q(status=SessionStatus.EXPIRED))
    )
    result.ended, result.expired = ended["ended"], ended["expired"]
    result.expiry_rate = result.expired / result.ended if result.ended else None
    result.mechanics = _per_mechanic(since)
    ratings = Rating.objects.filter(created_at__gte=since)
    counts = dict(ratings.values_list("stars").annotate(n=Count("id")))
    result.rating_counts = [(stars, counts.get(stars, 0)) for stars in range(5, 0, -1)]
    result.rating_max = max((n for _, n in result.rating_counts), default=0)
    result.rating_average = ratings.aggregate(avg=Avg("stars"))["avg"]
    result.calendar = _calendar(since, result.days)
    result.failing_refunds = failing_refunds()
    return result


def _calendar(since: datetime, session_days: list[dict]) -> list[dict]:
    """Every day from `since` to today: sessions by type and money in cents (0 when none)."""
    sessions = {d["day"]: d for d in session_days}
    money = money_per_day(since=since)
    first, last = timezone.localdate(since), timezone.localdate()
    days = []
    for n in range((last - first).days + 1):
        day = first + timedelta(days=n)
        row = {"day": day, **{t: 0 for t in SessionType.values}, "total": 0}
        row.update({k: v for k, v in sessions.get(day, {}).items() if k != "day"})
        row.update(money.get(day, {"revenue": 0, "refunds": 0, "payouts": 0}))
        days.append(row)
    return days


def _sessions_per_day(since: datetime) -> list[dict]:
    per_day: dict[date, dict] = {}
    rows = (
        Session.objects.filter(created_at__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values("day", "type")
        .annotate(n=Count("id"))
    )
    for row in rows:
        entry = per_day.setdefault(
            row["day"], {"day": row["day"], **{t: 0 for t in SessionType.values}, "total": 0}
        )
        entry[row["type"]] += row["n"]
        entry["total"] += row["n"]
    return [per_day[d] for d in sorted(per_day)]


def _fill_durations(result: Analytics, since: datetime) -> None:
    """Queue wait (created -> accepted), accept -> start and start -> complete."""
    accepted = SessionAssignment.objects.filter(accepted_at__gte=since).values_list(
        "queued_at", "accepted_at"
    )
    result.queue_wait = _durations([(a - q).total_seconds() for q, a in accepted if a and q])
    starts = SessionAssignment.objects.filter(
        accepted_at__gte=since,
        status__in=(AssignmentStatus.ACCEPTED, AssignmentStatus.COMPLETED),
        session__started_at__isnull=False,
    ).values_list("accepted_at", "session__started_at")
    result.accept_to_start = _durations([(s - a).total_seconds() for a, s in starts if a and s and s >= a])
    completes = Session.objects.filter(
        status=SessionStatus.COMPLETED, ended_at__gte=since, started_at__isnull=False
    ).values_list("started_at", "ended_at")
    result.start_to_complete = _durations([(e - s).total_seconds() for s, e in completes if s and e])


def _per_mechanic(since: datetime) -> list[dict]:
    # Grouped separately: annotating several to-many counts on Mechanic would multiply the joins.
    done = dict(
        Session.objects.filter(status=SessionStatus.COMPLETED, ended_at__gte=since)
        .values_list("mechanic_id")
        .annotate(n=Count("id"))
    )
    stars = dict(
        Rating.objects.filter(session__ended_at__gte=since)
        .values_list("session__mechanic_id")
        .annotate(a=Avg("stars"))
    )
    claims: dict[int | None, Any] = {
        row["mechanic_id"]: row
        for row in SessionAssignment.objects.filter(accepted_at__gte=since)
        .values("mechanic_id")
        .annotate(accepted=Count("id"), released=Count("id", filter=Q(status=AssignmentStatus.RELEASED)))
    }
    return sorted(
        (
            {
                "display_name": m.display_name,
                "completed": done.get(m.pk, 0),
                "accepted": claims.get(m.pk, {}).get("accepted", 0),
                "released": claims.get(m.pk, {}).get("released", 0),
                "rating": stars.get(m.pk),
            }
            for m in Mechanic.objects.only("id", "display_name")
        ),
        key=lambda row: (-row["completed"], row["display_name"]),
    )


# --- a mechanic's own figures (issue 13: the earnings card) -----------------------------------


@dataclass
class SessionStats:
    sessions: int = 0
    average_minutes: float | None = None
    average_rating: float | None = None


def mechanic_session_stats(*, mechanic_id: int, starts: dict[str, datetime]) -> dict[str, SessionStats]:
    """Completed sessions since each named start, their average duration and rating: one query."""
    aggregates: dict[str, Any] = {}
    for name, start in starts.items():
        since = Q(ended_at__gte=start)
        aggregates[f"{name}_n"] = Count("id", filter=since)
        aggregates[f"{name}_minutes"] = Avg("duration_minutes", filter=since)
        aggregates[f"{name}_stars"] = Avg("rating__stars", filter=since)
    row = Session.objects.filter(mechanic_id=mechanic_id, status=SessionStatus.COMPLETED).aggregate(
        **aggregates
    )
    return {
        name: SessionStats(
            sessions=row[f"{name}_n"],
            average_minutes=row[f"{name}_minutes"],
            average_rating=row[f"{name}_stars"],
        )
        for name in starts
    }
