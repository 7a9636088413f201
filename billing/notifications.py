"""Money's side effects leave only after the transaction that decided them commits."""

from functools import partial

from django.db import transaction
from django_q.tasks import async_task


def refund_payment_after_commit(payment_id: int) -> None:
    """Ask Stripe for the refund once the refund decision is committed."""
    transaction.on_commit(partial(async_task, "billing.tasks.refund_payment", payment_id), robust=True)


def notify_payment_refunded_after_commit(payment_id: int) -> None:
    """Email the customer that Stripe refunded a card payment (sent once the refund is recorded)."""
    transaction.on_commit(
        partial(async_task, "billing.tasks.send_payment_refund_email", payment_id), robust=True
    )
