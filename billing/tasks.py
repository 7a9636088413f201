"""django-q2 tasks for money: each loads its row and calls a service; the queue retries."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from billing.models import Payment
from billing.services import payment_refund_execute


def refund_payment(payment_id: int) -> str:
    """Refund a card payment through Stripe (see payment_refund_execute)."""
    return payment_refund_execute(payment=Payment.objects.get(pk=payment_id))


def send_payment_refund_email(payment_id: int) -> bool:
    """Tell the customer their card payment was refunded, and why (also for a payment that never
    got a session, e.g. one completed while another session was active)."""
    payment = Payment.objects.select_related("customer__user").filter(pk=payment_id).first()
    if payment is None or not payment.customer.user.email:
        return False
    send_mail(
        subject="Auto Doctor: Your payment has been refunded",
        message=render_to_string("billing/payment_refunded_email.txt", {"payment": payment}),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[payment.customer.user.email],
    )
    return True
