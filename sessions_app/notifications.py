"""Notifications leave only after the transaction that caused them commits."""

from functools import partial

from django.db import transaction
from django_q.tasks import async_task


def _enqueue(func_path: str, *args: object) -> None:
    async_task(func_path, *args)


def notify_customer_after_commit(session_id: int, kind: str) -> None:
    """Email the session's customer about `kind` (accepted, released, completed, refunded)."""
    transaction.on_commit(
        partial(_enqueue, "sessions_app.tasks.send_customer_email", session_id, kind), robust=True
    )


def notify_mechanic_absence_after_commit(session_id: int) -> None:
    """Email the session's mechanic that nobody has been in its live room for a while."""
    transaction.on_commit(
        partial(_enqueue, "sessions_app.tasks.send_mechanic_absence_email", session_id), robust=True
    )


def notify_mechanic_transfer_after_commit(transfer_id: int) -> None:
    """Email the mechanic a transfer offer's answer concerns (issue 14): the offering mechanic
    when it was accepted, declined or lapsed."""
    transaction.on_commit(
        partial(_enqueue, "sessions_app.tasks.send_transfer_email", transfer_id), robust=True
    )
