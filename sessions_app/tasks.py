"""django-q2 tasks: the scheduled sweeps, notification emails and Stripe refunds."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from customers.models import Payment
from customers.stripe_client import stripe_client, stripe_configured

from .models import Session
from .notifications import notify_payment_refunded_after_commit
from .services import sessions_expire_stale, sessions_promote_due, sessions_release_idle

log = logging.getLogger(__name__)


def expire_stale_sessions() -> int:
    return sessions_expire_stale()


def release_idle_sessions() -> int:
    return sessions_release_idle()


def promote_due_sessions() -> int:
    return sessions_promote_due()


SUBJECTS = {
    "accepted": "A mechanic has accepted your request",
    "released": "Your mechanic stepped away: you keep your place in line",
    "completed": "Your session is complete",
    "refunded": "Your payment has been refunded",
}


def send_customer_email(session_id: int, kind: str) -> bool:
    session = (
        Session.objects.select_related("customer__user", "mechanic", "plan").filter(pk=session_id).first()
    )
    if session is None or not session.customer.user.email:
        return False
    mechanic = session.mechanic.display_name if session.mechanic else "your mechanic"
    bodies = {
        "accepted": f"{mechanic} accepted your {session.plan.name} request and will start shortly.",
        "released": f"{mechanic} had to step away. Your request is back in the queue at its original place.",
        "completed": f"Your session with {mechanic} is complete.\n\nSummary:\n{session.summary or '(no summary)'}",
        "refunded": f"Session #{session.pk} ended before it went live, so we refunded it in full.",
    }
    send_mail(
        subject=f"Auto Doctor: {SUBJECTS[kind]}",
        message=f"Hello {session.customer.full_name},\n\n{bodies[kind]}\n\nAuto Doctor",
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[session.customer.user.email],
    )
    return True


def refund_payment(payment_id: int) -> str:
    """Refund a card payment through Stripe. The idempotency key makes a retried task safe."""
    payment = Payment.objects.get(pk=payment_id)
    if payment.status == Payment.Status.REFUNDED:
        return "already refunded"
    if not stripe_configured():
        log.error("payment %s needs a refund but Stripe is not configured", payment_id)
        return "stripe not configured"
    refund = stripe_client().v1.refunds.create(
        params={"payment_intent": payment.payment_intent, "metadata": {"payment_id": str(payment.pk)}},
        options={"idempotency_key": f"autodoctor-refund-{payment.pk}"},
    )
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment_id)
        if locked.status != Payment.Status.REFUNDED:
            locked.status = Payment.Status.REFUNDED
            locked.stripe_refund_id = refund.id
            locked.refunded_at = timezone.now()
            locked.save(update_fields=["status", "stripe_refund_id", "refunded_at"])
            notify_payment_refunded_after_commit(locked.pk)
    return refund.id


def send_payment_refund_email(payment_id: int) -> bool:
    """Tell the customer their card payment was refunded, and why (also for a payment that never
    got a session, e.g. one completed while another session was active)."""
    payment = Payment.objects.select_related("customer__user", "session__plan").filter(pk=payment_id).first()
    if payment is None or not payment.customer.user.email:
        return False
    what = f"session #{payment.session_id}" if payment.session_id else "your payment"
    send_mail(
        subject=f"Auto Doctor: {SUBJECTS['refunded']}",
        message=(
            f"Hello {payment.customer.full_name},\n\nWe refunded {payment.amount / 100:.2f} "
            f"{payment.currency.upper()} for {what}.\nReason: {payment.refund_reason or 'not charged'}.\n\n"
            "It can take a few days to show on your statement.\n\nAuto Doctor"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[payment.customer.user.email],
    )
    return True
