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


# --- issue 14: reach (request emails, reminders, the idle release) ----------------------------


def notify_request_queued_after_commit(assignment_id: int, *, exclude_mechanic_id: int | None = None) -> None:
    """A request entered the queue: the mechanics who may take it are owed an email
    (sessions_app.services.digests); `exclude_mechanic_id` just released it and is not told."""
    transaction.on_commit(
        partial(_enqueue, "sessions_app.tasks.announce_queued_request", assignment_id, exclude_mechanic_id),
        robust=True,
    )


def notify_mechanic_queue_email_after_commit(
    mechanic_id: int, *, new_ids: list[int], also_ids: list[int]
) -> None:
    """Email the mechanic the requests waiting for them (`new_ids` not told before)."""
    transaction.on_commit(
        partial(_enqueue, "sessions_app.tasks.send_mechanic_queue_email", mechanic_id, new_ids, also_ids),
        robust=True,
    )


def notify_mechanic_reminder_after_commit(session_id: int, *, assignment_id: int) -> None:
    """Email the mechanic that their accepted session is not started and when it goes back."""
    transaction.on_commit(
        partial(_enqueue, "sessions_app.tasks.send_mechanic_reminder_email", session_id, assignment_id),
        robust=True,
    )


def notify_idle_release_after_commit(assignment_id: int) -> None:
    """The idle sweep released a session: tell its mechanic and its customer what happened."""
    transaction.on_commit(
        partial(_enqueue, "sessions_app.tasks.send_idle_release_emails", assignment_id), robust=True
    )


def notify_mechanic_transfer_after_commit(transfer_id: int) -> None:
    """Email the mechanic a transfer offer's answer concerns (issue 14): the offering mechanic
    when it was accepted, declined or lapsed."""
    transaction.on_commit(
        partial(_enqueue, "sessions_app.tasks.send_transfer_email", transfer_id), robust=True
    )
