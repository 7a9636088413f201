"""Card refunds: decided in a transaction, asked of Stripe after it commits, recorded when
Stripe answers. The idempotency key makes a retried request safe."""

import logging

from django.db import transaction
from django.utils import timezone

from billing.models import Payment
from billing.notifications import notify_payment_refunded_after_commit, refund_payment_after_commit
from billing.stripe_client import stripe_client, stripe_configured

log = logging.getLogger(__name__)


def payment_refund(*, payment: Payment, reason: str) -> bool:
    """Mark a card payment for refund and ask Stripe after commit. False if already asked."""
    with transaction.atomic():
        payment.refresh_from_db(from_queryset=Payment.objects.select_for_update())
        if payment.refund_requested_at or payment.status == Payment.Status.REFUNDED:
            return False
        payment.refund_requested_at = timezone.now()
        payment.refund_reason = reason[:200]
        payment.save(update_fields=["refund_requested_at", "refund_reason"])
        refund_payment_after_commit(payment.pk)
        return True


def payment_refund_execute(*, payment: Payment) -> str:
    """Refund a card payment through Stripe and record it (the refund task's work). Returns the
    Stripe refund id, or why nothing was asked."""
    if payment.status == Payment.Status.REFUNDED:
        return "already refunded"
    if not stripe_configured():
        log.error("payment %s needs a refund but Stripe is not configured", payment.pk)
        return "stripe not configured"
    refund = stripe_client().v1.refunds.create(
        params={"payment_intent": payment.payment_intent, "metadata": {"payment_id": str(payment.pk)}},
        options={"idempotency_key": f"autodoctor-refund-{payment.pk}"},
    )
    with transaction.atomic():
        payment.refresh_from_db(from_queryset=Payment.objects.select_for_update())
        if payment.status != Payment.Status.REFUNDED:
            payment.status = Payment.Status.REFUNDED
            payment.stripe_refund_id = refund.id
            payment.refunded_at = timezone.now()
            payment.save(update_fields=["status", "stripe_refund_id", "refunded_at"])
            notify_payment_refunded_after_commit(payment.pk)
    return refund.id
