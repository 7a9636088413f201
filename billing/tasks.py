"""django-q2 tasks for money: each loads its row and calls a service."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from autodoctor.timezones import local_time_of
from billing.models import Payment, Refund
from billing.services import refund_execute


def refund_execute_task(refund_id: int) -> str:
    """Ask Stripe for a card refund (see refund_execute: it schedules its own retries)."""
    return refund_execute(refund=Refund.objects.select_related("payment").get(pk=refund_id))


def refund_payment(payment_id: int) -> list[str]:
    """Tasks queued before Refund rows existed named the payment: run its pending refunds."""
    pending = Refund.objects.select_related("payment").filter(
        payment_id=payment_id, status=Refund.Status.PENDING
    )
    return [refund_execute(refund=refund) for refund in pending]


def send_payment_refund_email(payment_id: int) -> bool:
    """Tell the customer their card payment was refunded, and why (also for a payment that never
    got a session, e.g. one completed while another session was active)."""
    payment = Payment.objects.select_related("customer__user").filter(pk=payment_id).first()
    if payment is None or not payment.customer.user.email:
        return False
    with local_time_of(payment.customer.time_zone):
        message = render_to_string("billing/payment_refunded_email.txt", {"payment": payment})
    send_mail(
        subject="Auto Doctor: Your payment has been refunded",
        message=message,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[payment.customer.user.email],
    )
    return True


def send_refund_email(refund_id: int) -> bool:
    """Tell the customer about a refund (card or credits, whole or partial) and its reason."""
    refund = Refund.objects.select_related("customer__user").filter(pk=refund_id).first()
    if refund is None or not refund.customer.user.email:
        return False
    with local_time_of(refund.customer.time_zone):
        message = render_to_string("billing/refund_email.txt", {"refund": refund})
    send_mail(
        subject="Auto Doctor: We refunded your session"
        if refund.session_id
        else "Auto Doctor: Your payment has been refunded",
        message=message,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[refund.customer.user.email],
    )
    return True
