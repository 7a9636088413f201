"""Reach any session status the way production does: through the services, never by writing
`status`. Also the checks several test modules share (event replay, human sentences, snapshots)."""

import re
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from billing.models import CreditLedger
from customers.models import Customer
from mechanics.models import Mechanic
from sessions_app.models import Session, SessionAssignment, SessionEvent, SessionParticipant
from sessions_app.services import (
    session_accept,
    session_cancel,
    session_complete,
    session_expire,
    session_start,
)
from sessions_app.transitions import OPEN_ASSIGNMENT_STATUSES, SessionStatus
from tests.factories import make_customer, make_mechanic, make_session

ALL_STATUSES: list[str] = list(SessionStatus.values)
EXPIRE_AFTER = settings.EXPIRE_AFTER_MINUTES


def session_in(
    status: str,
    *,
    customer: Customer | None = None,
    mechanic: Mechanic | None = None,
    plan_code: str = "free-chat",
    pay_with: str = "free",
    urgent: bool = False,
    stripe_checkout_id: str | None = None,
) -> Session:
    """A session in `status`, reached through the services. `expired` is reached by time passing
    (what the expiry job does to it three hours on), `cancelled` by the customer cancelling while pending,
    `completed` through accept, start and complete."""
    customer = customer or make_customer()
    scheduled_for = timezone.now() + timedelta(hours=1) if status == SessionStatus.SCHEDULED else None
    session = make_session(
        customer,
        plan_code=plan_code,
        pay_with=pay_with,
        urgent=urgent,
        scheduled_for=scheduled_for,
        stripe_checkout_id=stripe_checkout_id,
    )
    if status in (SessionStatus.PENDING, SessionStatus.SCHEDULED):
        return _fresh(session)
    if status == SessionStatus.CANCELLED:
        return session_cancel(session=session, user=customer.user)
    if status == SessionStatus.EXPIRED:
        # What the expiry job does for this one session when it runs three hours from now.
        three_hours_on = timezone.now() + timedelta(hours=3)
        return session_expire(session=session, queued_before=three_hours_on - timedelta(minutes=EXPIRE_AFTER))
    mechanic = mechanic or make_mechanic()
    session = session_accept(assignment=open_assignment_of(session), mechanic=mechanic)
    if status == SessionStatus.WAITING:
        return session
    session = session_start(session=session, mechanic=mechanic)
    if status == SessionStatus.LIVE:
        return session
    assert status == SessionStatus.COMPLETED, status
    return session_complete(session=session, mechanic=mechanic, summary="Replaced the fuel cap.")


def _fresh(session: Session) -> Session:
    return Session.objects.get(pk=session.pk)


def open_assignment_of(session: Session) -> SessionAssignment | None:
    return SessionAssignment.objects.filter(session=session, status__in=OPEN_ASSIGNMENT_STATUSES).first()


def latest_assignment_of(session: Session) -> SessionAssignment | None:
    return SessionAssignment.objects.filter(session=session).order_by("-id").first()


def replay_status(session: Session) -> str:
    """Replay the event trail: it starts with `created`, and every event starts from the status the
    previous one ended in. Events that do not move the session (refunded, force_ended) have equal
    from/to. Returns the replayed status, which must be the session's own."""
    events = list(
        SessionEvent.objects.filter(session=session)
        .order_by("id")
        .values_list("type", "from_status", "to_status")
    )
    assert events, f"session #{session.pk} has no events"
    kind, from_status, current = events[0]
    assert (kind, from_status) == ("created", ""), events
    for kind, from_status, to_status in events[1:]:
        assert from_status == current, (
            f"#{session.pk}: {kind} starts from {from_status}, not {current}: {events}"
        )
        current = to_status
    return current


def event_types(session: Session) -> list[str]:
    """The session's status and refund events in order (activity such as the emailed report is
    left out)."""
    from sessions_app.transitions import STATUS_EVENTS, SessionEventType

    return list(
        SessionEvent.objects.filter(session=session, type__in=(*STATUS_EVENTS, SessionEventType.REFUNDED))
        .order_by("id")
        .values_list("type", flat=True)
    )


_SENTENCE = re.compile(r"^[A-Z][^_{}<>]*[.!?]\)?$")


def assert_human_sentence(text: str) -> None:
    """A message a customer or mechanic can read: capitalised, punctuated, several words, and no
    machine codes (snake_case) or template leftovers."""
    assert _SENTENCE.match(text), f"not a human sentence: {text!r}"
    assert len(text.split()) >= 5, f"too terse for a person: {text!r}"


def db_snapshot() -> dict[str, Any]:
    """Everything the lifecycle may write, to prove a refused step changed nothing."""
    return {
        "sessions": list(
            Session.objects.order_by("id").values_list(
                "id", "status", "mechanic_id", "queued_at", "started_at", "ended_at", "summary"
            )
        ),
        "assignments": list(
            SessionAssignment.objects.order_by("id").values_list(
                "id", "status", "mechanic_id", "accepted_at", "closed_at"
            )
        ),
        "events": list(SessionEvent.objects.order_by("id").values_list("id", flat=True)),
        "participants": list(SessionParticipant.objects.order_by("id").values_list("id", "left_at")),
        "ledger": list(CreditLedger.objects.order_by("id").values_list("id", "amount")),
    }
