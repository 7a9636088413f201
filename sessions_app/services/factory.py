"""The one factory: every session, free, credit or paid, is created here."""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from autodoctor.errors import DomainError
from billing.services import credits_spend
from customers.models import Customer, Intake, PayWith
from sessions_app.events import event_record
from sessions_app.models import Plan, Session, SessionAssignment, SessionParticipant
from sessions_app.notifications import notify_request_queued_after_commit
from sessions_app.transitions import SessionEventType, SessionStatus
from sessions_app.wording import active_session_refusal

from .first_look import first_look_begin


def _payment_method(plan: Plan, pay_with: str) -> PayWith:
    if plan.is_free:
        return PayWith.FREE
    if pay_with == PayWith.CREDITS and plan.credit_cost:
        return PayWith.CREDITS
    if pay_with == PayWith.CARD and plan.price_cents:
        return PayWith.CARD
    raise DomainError("invalid_input", f"The {plan.name} plan cannot be paid with {pay_with or 'nothing'}.")


def session_create(
    *,
    customer: Customer,
    plan: Plan,
    intake: Intake | None = None,
    pay_with: str = "free",
    urgent: bool = False,
    scheduled_for: datetime | None = None,
    stripe_checkout_id: str | None = None,
    actor: User | None = None,
) -> Session:
    """Create a session with its customer participant, queued assignment (unless scheduled) and
    `created` event; spend credits in the same transaction. Raises `active_session_exists` or
    `insufficient_credits` and then writes nothing."""
    method = _payment_method(plan, pay_with)
    if method == PayWith.CARD and not stripe_checkout_id:
        raise DomainError("invalid_input", "A card session is created only from a completed Stripe checkout.")
    now = timezone.now()
    scheduled = bool(
        scheduled_for and scheduled_for > now + timedelta(minutes=settings.PROMOTE_BEFORE_MINUTES)
    )
    status = SessionStatus.SCHEDULED if scheduled else SessionStatus.PENDING
    workshop_id = customer.workshop_id
    try:
        with transaction.atomic():
            # The customer row lock serialises this customer's creates and credit spends; the
            # partial unique index has the last word.
            Customer.objects.select_for_update().get(pk=customer.pk)
            if Session.objects.active().for_customer(customer).exists():
                raise active_session_refusal(customer=customer)
            session = Session.objects.create(
                type=plan.session_type,
                plan=plan,
                payment_method=method,
                status=status,
                customer=customer,
                intake=intake,
                stripe_checkout_id=stripe_checkout_id,
                urgent=urgent,
                workshop_id=workshop_id,
                scheduled_for=scheduled_for,
                queued_at=None if scheduled else now,
                duration_minutes=plan.duration_minutes,
            )
            _pay_queue_and_record(session, actor=actor)
    except IntegrityError as exc:
        if Session.objects.active().for_customer(customer).exists():
            raise active_session_refusal(customer=customer) from exc
        raise
    return session


def _pay_queue_and_record(session: Session, *, actor: User | None) -> None:
    """The rest of a new session, in its transaction: credits spent, the customer's participation,
    a queued assignment (unless scheduled) and the `created` event."""
    plan = session.plan
    if session.payment_method == PayWith.CREDITS:
        credits_spend(customer=session.customer, amount=plan.credit_cost, session_id=session.pk, actor=actor)
    SessionParticipant.objects.create(
        session=session, user_id=session.customer.user_id, role=SessionParticipant.Role.CUSTOMER
    )
    queued_at = session.queued_at
    assignment = None
    if queued_at is not None:  # pending; a scheduled session joins the queue when promoted
        assignment = SessionAssignment.objects.create(
            session=session, urgent=session.urgent, workshop_id=session.workshop_id, queued_at=queued_at
        )
        notify_request_queued_after_commit(assignment.pk)  # issue 14: request emails
    event_record(
        session=session,
        type=SessionEventType.CREATED,
        actor=actor,
        from_status="",
        data={"plan": plan.code, "payment_method": session.payment_method, "urgent": session.urgent},
    )
    if assignment is not None:
        first_look_begin(assignment=assignment, session=session)  # route: offered first to matches
