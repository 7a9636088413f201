"""Refunds for sessions that never went live (SPEC §3): credits back to the ledger at once, card
payments through Stripe's refund API after the transaction commits. Each writes its event."""

from django.contrib.auth.models import User

from billing.models import Payment
from billing.services import credits_refund_session, payment_refund
from customers.models import PayWith
from sessions_app.events import event_record
from sessions_app.models import Session
from sessions_app.notifications import notify_customer_after_commit
from sessions_app.transitions import SessionEventType


def refund_unstarted_session(session: Session, *, actor: User | None) -> None:
    """Call inside the transition's transaction with `session` locked."""
    if session.started_at is not None:
        return
    reason = f"Session #{session.pk} ended before it went live"
    if session.payment_method == PayWith.CREDITS:
        credits = credits_refund_session(
            customer_id=session.customer_id, session_id=session.pk, note=reason, actor=actor
        )
        if credits:
            event_record(
                session=session,
                type=SessionEventType.REFUNDED,
                actor=actor,
                data={"method": PayWith.CREDITS, "credits": credits},
            )
            notify_customer_after_commit(session.pk, "refunded")
    elif session.payment_method == PayWith.CARD:
        for payment in Payment.objects.filter(
            session=session, status=Payment.Status.PAID, refund_requested_at=None
        ):
            if payment_refund(payment=payment, reason=reason):
                event_record(
                    session=session,
                    type=SessionEventType.REFUNDED,
                    actor=actor,
                    data={"method": PayWith.CARD, "amount": payment.amount, "currency": payment.currency},
                )
