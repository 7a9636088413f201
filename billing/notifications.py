"""Money's side effects leave only after the transaction that decided them commits."""

from datetime import datetime
from functools import partial

from django.db import transaction
from django_q.models import Schedule
from django_q.tasks import async_task


def refund_execute_after_commit(refund_id: int) -> None:
    """Ask Stripe for the refund once the refund decision is committed."""
    transaction.on_commit(partial(async_task, "billing.tasks.refund_execute_task", refund_id), robust=True)


def refund_retry_at(refund_id: int, when: datetime) -> None:
    """Try a failed Stripe refund again later (a one-off schedule: the backoff survives restarts)."""
    Schedule.objects.update_or_create(
        name=f"refund-retry-{refund_id}",
        defaults={
            "func": "billing.tasks.refund_execute_task",
            "args": repr((refund_id,)),
            "schedule_type": Schedule.ONCE,
            "next_run": when,
            "repeats": 1,
        },
    )


def notify_payment_refunded_after_commit(payment_id: int) -> None:
    """Email the customer that Stripe refunded a card payment (sent once the refund is recorded)."""
    transaction.on_commit(
        partial(async_task, "billing.tasks.send_payment_refund_email", payment_id), robust=True
    )


def notify_refund_after_commit(refund_id: int) -> None:
    """Email the customer about a (partial or staff) refund once it is recorded."""
    transaction.on_commit(partial(async_task, "billing.tasks.send_refund_email", refund_id), robust=True)
