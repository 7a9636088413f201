"""Upcoming scheduled requests for the mechanic dashboard (issue 14): read-only until promoted.

The same visibility as the queue (general requests, plus the mechanic's workshop's own), listed
by when they are due, with the moment each joins the queue (PROMOTE_BEFORE_MINUTES earlier).
Nothing here can be accepted: a scheduled session has no queued assignment yet."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q

from mechanics.models import Mechanic
from sessions_app.models import Session
from sessions_app.transitions import SessionStatus

UPCOMING_LIMIT = 20


@dataclass(frozen=True)
class UpcomingRow:
    session: Session

    @property
    def due_at(self) -> datetime | None:
        return self.session.scheduled_for

    @property
    def joins_queue_at(self) -> datetime | None:
        due = self.session.scheduled_for
        return due - timedelta(minutes=settings.PROMOTE_BEFORE_MINUTES) if due else None


def upcoming_for_mechanic(*, mechanic: Mechanic, limit: int = UPCOMING_LIMIT) -> list[UpcomingRow]:
    """Scheduled sessions this mechanic will see in the queue, soonest first (one query)."""
    visible = Q(workshop__isnull=True)
    if mechanic.workshop_id:
        visible |= Q(workshop_id=mechanic.workshop_id)
    sessions = (
        Session.objects.filter(visible, status=SessionStatus.SCHEDULED)
        .select_related("customer", "plan", "intake")
        .order_by("scheduled_for", "id")[:limit]
    )
    return [UpcomingRow(session=session) for session in sessions]
