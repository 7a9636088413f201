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


def notify_customer_wait_ask_after_commit(session_id: int) -> None:
    """Email the customer "keep waiting or cancel?" with a signed link (ask before expiry)."""
    transaction.on_commit(
        partial(_enqueue, "sessions_app.tasks.send_wait_ask_email", session_id), robust=True
    )
