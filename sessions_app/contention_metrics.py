"""Contention figures for /staff/analytics/ (issue 14): who loses races, what goes back to the
queue and why, transfers, expiries, the customers' answers to "keep waiting?", and how long a
request waits to be looked at and to be taken. Per day and per mechanic, in four queries however
many events there are.

Everything is computed from the audit trail (SessionEvent types) plus AcceptMiss (a lost race
leaves no event: its transaction rolled back). Days are local dates in the active time zone."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone

from mechanics.models import Mechanic

from .analytics import Durations, _durations
from .models import AcceptMiss, SessionAssignment, SessionEvent
from .transitions import SessionEventType

E = SessionEventType
# The RELEASED event's data.reason, and how the page names it.
RELEASE_REASONS = {"mechanic": "by the mechanic", "idle": "by the idle sweep", "force_end": "by force end"}
TRANSFER_TYPES = {
    E.TRANSFER_OFFERED: "offered",
    E.TRANSFER_ACCEPTED: "accepted",
    E.TRANSFER_DECLINED: "declined",
    E.TRANSFER_LAPSED: "lapsed",
}
EVENT_TYPES = (
    E.RELEASED,
    *TRANSFER_TYPES,
    E.EXPIRED,
    E.WAIT_ASKED,
    E.WAIT_EXTENDED,
    E.CANCELLED,
    E.REQUEST_VIEWED,
)
# One row's counters (a day's or a mechanic's), in the order of the CSV's columns.
COUNTERS = (
    "accepts_lost",
    "released_mechanic",
    "released_idle",
    "released_force_end",
    "transfers_offered",
    "transfers_accepted",
    "transfers_declined",
    "transfers_lapsed",
    "expired",
    "asked",
    "kept_waiting",
    "cancelled_after_ask",
    "expired_after_ask",
)


@dataclass
class ContentionRow:
    """One day's or one mechanic's figures. Counts, plus the two waits (seconds)."""

    label: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    to_first_view: Durations = field(default_factory=Durations)
    to_accept: Durations = field(default_factory=Durations)

    @property
    def released(self) -> int:
        return (
            self.counts["released_mechanic"]
            + self.counts["released_idle"]
            + self.counts["released_force_end"]
        )


@dataclass
class Contention:
    since: datetime
    days: list[tuple[date, ContentionRow]]  # every day of the period, oldest first, zeros included
    mechanics: list[ContentionRow]  # every mechanic with anything to show, busiest first
    total: ContentionRow


@dataclass
class _Waits:
    first_view: list[float] = field(default_factory=list)
    accept: list[float] = field(default_factory=list)


def contention_metrics(*, since: datetime) -> Contention:
    """The figures for everything from `since` to now."""
    people = list(Mechanic.objects.values_list("id", "user_id", "display_name"))
    names = {mechanic_id: name for mechanic_id, _, name in people}
    mechanic_of_user = {user_id: mechanic_id for mechanic_id, user_id, _ in people}
    first, last = timezone.localdate(since), timezone.localdate()
    days = {first + timedelta(days=n): ContentionRow(label="") for n in range((last - first).days + 1)}
    per_mechanic: dict[int, ContentionRow] = defaultdict(lambda: ContentionRow(label=""))
    total = ContentionRow(label="All")
    day_waits: dict[date, _Waits] = defaultdict(_Waits)
    mechanic_waits: dict[int, _Waits] = defaultdict(_Waits)
    all_waits = _Waits()

    def count(name: str, at: datetime, mechanic_id: int | None) -> None:
        day = days.get(timezone.localdate(at))
        if day is not None:
            day.counts[name] += 1
        if mechanic_id is not None:
            per_mechanic[mechanic_id].counts[name] += 1
        total.counts[name] += 1

    for mechanic_id, at in AcceptMiss.objects.filter(at__gte=since).values_list("mechanic_id", "at"):
        count("accepts_lost", at, mechanic_id)

    asked_at: dict[int, datetime] = {}
    first_view: dict[int, tuple[datetime, datetime | None, int]] = {}
    events = (
        SessionEvent.objects.filter(created_at__gte=since, type__in=EVENT_TYPES)
        .order_by("created_at", "id")
        .values_list("session_id", "type", "actor_id", "data", "created_at", "session__queued_at")
    )
    for session_id, kind, actor_id, data, at, queued_at in events:
        actor = mechanic_of_user.get(actor_id) if actor_id else None
        if kind == E.RELEASED:
            reason = data.get("reason", "mechanic")
            if reason not in RELEASE_REASONS:
                reason = "mechanic"
            count(f"released_{reason}", at, data.get("mechanic_id") or actor)
        elif kind in TRANSFER_TYPES:
            count(f"transfers_{TRANSFER_TYPES[E(kind)]}", at, actor or data.get("from_mechanic_id"))
        elif kind == E.EXPIRED:
            count("expired", at, None)
            if session_id in asked_at:
                count("expired_after_ask", at, None)
        elif kind == E.WAIT_ASKED:
            asked_at.setdefault(session_id, at)
            count("asked", at, None)
        elif kind == E.WAIT_EXTENDED:
            count("kept_waiting", at, None)
        elif kind == E.CANCELLED:
            if session_id in asked_at:
                count("cancelled_after_ask", at, None)
        elif kind == E.REQUEST_VIEWED and session_id not in first_view and actor is not None:
            first_view[session_id] = (at, queued_at, actor)

    for at, queued_at, viewer_id in first_view.values():
        if queued_at is None or at < queued_at:
            continue
        seconds = (at - queued_at).total_seconds()
        _add_wait(
            seconds,
            "first_view",
            timezone.localdate(queued_at),
            viewer_id,
            day_waits,
            mechanic_waits,
            all_waits,
        )
    accepts = SessionAssignment.objects.filter(accepted_at__gte=since, mechanic__isnull=False).values_list(
        "mechanic_id", "queued_at", "accepted_at"
    )
    for mechanic_id, queued_at, accepted_at in accepts:
        if queued_at is None or accepted_at is None or accepted_at < queued_at:
            continue
        seconds = (accepted_at - queued_at).total_seconds()
        _add_wait(
            seconds,
            "accept",
            timezone.localdate(accepted_at),
            mechanic_id,
            day_waits,
            mechanic_waits,
            all_waits,
        )

    for day, row in days.items():
        row.label = day.isoformat()
        _set_durations(row, day_waits.get(day))
    for mechanic_id in mechanic_waits:
        per_mechanic[mechanic_id]  # noqa: B018 - a mechanic with only waits still gets a row
    mechanics = []
    for mechanic_id, row in per_mechanic.items():
        row.label = names.get(mechanic_id, f"Mechanic #{mechanic_id}")
        _set_durations(row, mechanic_waits.get(mechanic_id))
        mechanics.append(row)
    mechanics.sort(key=lambda r: (-sum(r.counts.values()), r.label))
    _set_durations(total, all_waits)
    return Contention(since=since, days=sorted(days.items()), mechanics=mechanics, total=total)


def _add_wait(
    seconds: float,
    kind: str,
    day: date,
    mechanic_id: int | None,
    day_waits: dict[date, _Waits],
    mechanic_waits: dict[int, _Waits],
    all_waits: _Waits,
) -> None:
    targets = [day_waits[day], all_waits]
    if mechanic_id is not None:
        targets.append(mechanic_waits[mechanic_id])
    for waits in targets:
        getattr(waits, kind).append(seconds)


def _set_durations(row: ContentionRow, waits: _Waits | None) -> None:
    if waits is not None:
        row.to_first_view = _durations(waits.first_view)
        row.to_accept = _durations(waits.accept)
