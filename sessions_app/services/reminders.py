"""Forgotten work (issue 14): a session accepted REMIND_WAITING_MINUTES ago and still not started
gets one reminder to its mechanic (a REMINDED event, the alert on My Active Work and an email),
saying when the idle sweep will put it back in the queue (IDLE_WAITING_MINUTES after accept)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from autodoctor.errors import DomainError
from sessions_app.events import event_record
from sessions_app.models import Session, SessionAssignment, SessionEvent
from sessions_app.notifications import notify_mechanic_reminder_after_commit
from sessions_app.transitions import AssignmentStatus, SessionEventType, SessionStatus

from .lifecycle import _lock_open_assignment, _lock_session


def release_due_at(accepted_at: datetime) -> datetime:
    """When the idle sweep puts an accepted, unstarted session back in the queue."""
    return accepted_at + timedelta(minutes=settings.IDLE_WAITING_MINUTES)


def _reminded_since_accept() -> Exists:
    """A REMINDED event of the assignment's session at or after its accept: this acceptance was
    reminded (an earlier acceptance's reminder is older than the current accept)."""
    return Exists(
        SessionEvent.objects.filter(
            session_id=OuterRef("session_id"),
            type=SessionEventType.REMINDED,
            created_at__gte=OuterRef("accepted_at"),
        )
    )


def sessions_remind_idle(*, now: datetime | None = None) -> int:
    """Every minute: remind the mechanic of each session accepted at least REMIND_WAITING_MINUTES
    ago and not started, once per acceptance. Returns how many were reminded."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.REMIND_WAITING_MINUTES)
    candidates = (
        SessionAssignment.objects.filter(
            status=AssignmentStatus.ACCEPTED,
            accepted_at__lte=cutoff,
            session__status=SessionStatus.WAITING,
        )
        .exclude(_reminded_since_accept())
        .values_list("session_id", flat=True)
    )
    return sum(session_remind(session_id=pk, accepted_before=cutoff) for pk in list(candidates))


def session_remind(*, session_id: int, accepted_before: datetime) -> bool:
    """Remind the mechanic of one waiting session if, on the locked rows, it is still waiting for
    the same acceptance, accepted at or before `accepted_before`, and not reminded yet. Start,
    release and the idle sweep lock the same session row first, so the reminder is recorded once
    and never for a session that started or went back to the queue meanwhile."""
    with transaction.atomic():
        try:
            session = _lock_session(Session(pk=session_id))
        except DomainError:
            return False
        if session.status != SessionStatus.WAITING or session.mechanic_id is None:
            return False
        assignment = _lock_open_assignment(session)
        if (
            assignment is None
            or assignment.status != AssignmentStatus.ACCEPTED
            or assignment.accepted_at is None
            or assignment.accepted_at > accepted_before
        ):
            return False
        already = SessionEvent.objects.filter(
            session=session, type=SessionEventType.REMINDED, created_at__gte=assignment.accepted_at
        ).exists()
        if already:
            return False
        release_at = release_due_at(assignment.accepted_at)
        event_record(
            session=session,
            type=SessionEventType.REMINDED,
            actor=None,
            data={
                "what": "not started since accept",
                "mechanic_id": session.mechanic_id,
                "assignment_id": assignment.pk,
                "accepted_at": assignment.accepted_at.isoformat(),
                "release_at": release_at.isoformat(),
            },
        )
        notify_mechanic_reminder_after_commit(session.pk, assignment_id=assignment.pk)
        return True
