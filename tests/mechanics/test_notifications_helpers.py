"""Helpers of the notification tests: which emails a mechanic got, and what they link to."""

from django.core import mail
from django.core.mail import EmailMessage

REQUEST_SUBJECT = "waiting for you"


def request_emails() -> list[EmailMessage]:
    return [m for m in mail.outbox if m.subject.endswith(REQUEST_SUBJECT)]


def emails_to(mechanic) -> list[EmailMessage]:
    """The request emails `mechanic` got, oldest first."""
    return [m for m in request_emails() if m.to == [mechanic.user.email]]


def details_path(assignment) -> str:
    return f"/mechanic/requests/{assignment.pk}/"
