"""Refunds for sessions that never went live (SPEC §3): credits back to the ledger at once, card
payments through Stripe's refund API after the transaction commits. Each writes its event."""

from django.contrib.auth.models import User
from django.db import transaction

from autodoctor.errors import DomainError
from billing.models import Payment, Refund
from billing.services import credits_refund_session, payment_refund, refund_card, refund_credits
from billing.services.earnings import credit_value_cents
from customers.models import PayWith
from sessions_app.events import event_record
from sessions_app.models import Session
from sessions_app.notifications import notify_customer_after_commit
from sessions_app.transitions import SessionEventType, SessionStatus


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


# --- issue 13: staff refund a completed session (full or partial, card or credits) ------------


def session_refund(
    *, session: Session, method: str, reason: str, actor: User | None, amount_cents: int = 0, credits: int = 0
) -> Refund:
    """Staff give money back for a completed session that went badly: card (cents, asked of
    Stripe after commit) or credits (at once). The mechanic's earnings get reversing entries when
    the refund succeeds; the customer is emailed. Refuses more than is left."""
    reason = reason.strip()
    if not reason:
        raise DomainError("invalid_input", "Say why the session is refunded (the customer reads it).")
    with transaction.atomic():
        session.refresh_from_db(
            from_queryset=Session.objects.select_for_update(of=("self",)).select_related("plan")
        )
        if session.status != SessionStatus.COMPLETED:
            raise DomainError("invalid_transition", "Only a completed session can be refunded here.")
        if method == PayWith.CARD:
            payment = Payment.objects.filter(session=session).order_by("id").first()
            if payment is None:
                raise DomainError("invalid_input", "This session was not paid by card.")
            refund = refund_card(
                payment=payment, amount_cents=amount_cents, reason=reason, actor=actor, session_id=session.pk
            )
            data: dict = {"method": PayWith.CARD, "amount": amount_cents, "currency": payment.currency}
        elif method == PayWith.CREDITS:
            refund = refund_credits(
                customer_id=session.customer_id,
                session_id=session.pk,
                credits=credits,
                value_cents=credit_value_cents(credits=credits, plan=session.plan),
                currency=session.plan.currency,
                reason=reason,
                actor=actor,
            )
            data = {"method": PayWith.CREDITS, "credits": credits}
        else:
            raise DomainError("invalid_input", "Refund by card or in credits.")
        event_record(
            session=session,
            type=SessionEventType.REFUNDED,
            actor=actor,
            data={**data, "refund_id": refund.pk, "reason": reason[:200]},
        )
    return refund
