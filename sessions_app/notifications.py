"""Notifications leave only after the transaction that caused them commits."""

from functools import partial

from django.db import transaction
from django_q.tasks import async_task


def _enqueue(func_path: str, *args) -> None:
    async_task(func_path, *args)


def notify_customer_after_commit(session_id: int, kind: str) -> None:
    """Email the session's customer about `kind` (accepted, released, completed, refunded)."""
    transaction.on_commit(
        partial(_enqueue, "sessions_app.tasks.send_customer_email", session_id, kind), robust=True
    )


def refund_payment_after_commit(payment_id: int) -> None:
    """Ask Stripe for the refund once the refund decision is committed."""
    transaction.on_commit(partial(_enqueue, "sessions_app.tasks.refund_payment", payment_id), robust=True)


def notify_payment_refunded_after_commit(payment_id: int) -> None:
    """Email the customer that Stripe refunded a card payment (sent once the refund is recorded)."""
    transaction.on_commit(
        partial(_enqueue, "sessions_app.tasks.send_payment_refund_email", payment_id), robust=True
    )
