"""What this app does when the session domain records something."""

from functools import partial
from typing import Any

from django.db import transaction
from django_q.tasks import async_task

from sessions_app.models import SessionEvent
from sessions_app.transitions import SessionEventType


def _enqueue_report_email(session_id: int) -> None:
    async_task("diagnostics.tasks.send_report_email", session_id)


def email_report_on_completion(sender: type, instance: SessionEvent, created: bool, **kwargs: Any) -> None:
    """A completed session's report goes to its customer as a PDF, once its transaction commits."""
    if created and instance.type == SessionEventType.COMPLETED:
        transaction.on_commit(partial(_enqueue_report_email, instance.session_id), robust=True)
