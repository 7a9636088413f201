"""Refunds for sessions that never went live: credits back to the ledger at once, card payments
through Stripe's refund API after the transaction commits."""

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from customers.models import CreditLedger, Customer, Payment
from sessions_app.models import Session, SessionEvent
from sessions_app.notifications import notify_customer_after_commit, refund_payment_after_commit


def payment_refund(*, payment: Payment, reason: str) -> bool:
    """Mark a card payment for refund and ask Stripe after commit. False if already asked."""
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.refund_requested_at or locked.status == Payment.Status.REFUNDED:
            return False
        locked.refund_requested_at = timezone.now()
        locked.refund_reason = reason[:200]
        locked.save(update_fields=["refund_requested_at", "refund_reason"])
        refund_payment_after_commit(locked.pk)
        return True


def refund_unstarted_session(session: Session, *, actor: User | None) -> None:
    """Call inside the transition's transaction with `session` locked."""
    if session.started_at is not None:
        return
    if session.payment_method == "credits":
        Customer.objects.select_for_update().get(pk=session.customer_id)
        spent = -(CreditLedger.objects.filter(session=session).aggregate(total=Sum("amount"))["total"] or 0)
        if spent > 0:
            CreditLedger.objects.create(
                customer_id=session.customer_id,
                amount=spent,
                kind=CreditLedger.Kind.REFUND,
                session=session,
                note=f"Session #{session.pk} ended before it went live",
                created_by=actor,
            )
            SessionEvent.objects.create(
                session=session,
                type="refunded",
                actor=actor,
                from_status=session.status,
                to_status=session.status,
                data={"method": "credits", "credits": spent},
            )
            notify_customer_after_commit(session.pk, "refunded")
    elif session.payment_method == "card":
        for payment in Payment.objects.filter(
            session=session, status=Payment.Status.PAID, refund_requested_at=None
        ):
            if payment_refund(payment=payment, reason=f"Session #{session.pk} ended before it went live"):
                SessionEvent.objects.create(
                    session=session,
                    type="refunded",
                    actor=actor,
                    from_status=session.status,
                    to_status=session.status,
                    data={"method": "card", "amount": payment.amount, "currency": payment.currency},
                )
