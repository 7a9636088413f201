"""The emails of issue 14 (reach): request emails to mechanics, the reminder of an unstarted
session, and what the idle release tells its mechanic and customer. Each is HTML plus text from
templates/emails/<name>.{txt,html} (and <name>_subject.txt); times are the recipient's local time.
The tasks in sessions_app.tasks call these after the transaction that decided them committed."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from autodoctor.timezones import zone_of
from mechanics.models import Mechanic
from sessions_app.models import Session, SessionAssignment
from sessions_app.services.reminders import release_due_at
from sessions_app.transitions import AssignmentStatus

ALSO_WAITING_SHOWN = 10  # a request email lists at most this many requests it is not about


def local_clock(moment: datetime, zone_name: str) -> str:
    """ "14:32": `moment` on the wall clock of the zone named `zone_name`."""
    return moment.astimezone(zone_of(zone_name)).strftime("%H:%M")


def site_link(path: str) -> str:
    return settings.SITE_URL + path


def _send(*, to: str, template: str, context: dict[str, object], html: bool = True) -> None:
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"emails/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    if html:
        message.attach_alternative(render_to_string(f"emails/{template}.html", context), "text/html")
    message.send()


@dataclass(frozen=True)
class RequestLine:
    """One waiting request as a request email lists it."""

    assignment: SessionAssignment
    details_url: str
    queued_at: str  # local wall-clock time

    @property
    def session(self) -> Session:
        return self.assignment.session


def queue_email_send(*, mechanic_id: int, new_ids: list[int], also_ids: list[int]) -> bool:
    """The request email: the requests `new_ids` (and, below them, the others waiting for the
    mechanic), each with its Details link. Only those still queued are listed; if none of the new
    ones is, nothing is sent (they were taken meanwhile)."""
    mechanic = Mechanic.objects.select_related("user").filter(pk=mechanic_id).first()
    if mechanic is None or not mechanic.user.email:
        return False
    rows = {
        a.pk: a
        for a in SessionAssignment.objects.filter(
            pk__in=[*new_ids, *also_ids], status=AssignmentStatus.QUEUED
        ).select_related("session__plan", "session__customer", "session__intake")
    }

    def lines(ids: list[int]) -> list[RequestLine]:
        return [
            RequestLine(
                assignment=rows[pk],
                details_url=site_link(reverse("mechanic_request_details", args=[pk])),
                queued_at=local_clock(rows[pk].queued_at, mechanic.time_zone),
            )
            for pk in ids
            if pk in rows
        ]

    new = lines(new_ids)
    if not new:
        return False
    also = lines(also_ids)
    context = {
        "mechanic": mechanic,
        "new": new,
        "also": also[:ALSO_WAITING_SHOWN],
        "also_more": max(0, len(also) - ALSO_WAITING_SHOWN),
        "dashboard_url": site_link(reverse("mechanic_dashboard")),
        "settings_url": site_link(reverse("mechanic_settings")),
        "every_minutes": settings.QUEUE_EMAIL_EVERY_MINUTES,
    }
    _send(to=mechanic.user.email, template="mechanic_requests", context=context)
    return True


def _accepted(assignment_id: int) -> SessionAssignment | None:
    return (
        SessionAssignment.objects.select_related(
            "mechanic__user", "session__plan", "session__customer__user", "session__mechanic"
        )
        .filter(pk=assignment_id, mechanic__isnull=False, accepted_at__isnull=False)
        .first()
    )


def reminder_email_send(*, session_id: int, assignment_id: int) -> bool:
    """ "Start it or release it: it goes back to the queue at 14:32", to the session's mechanic,
    if the session still waits for that acceptance and they take emails."""
    assignment = _accepted(assignment_id)
    if assignment is None or assignment.session_id != session_id or assignment.mechanic is None:
        return False
    mechanic = assignment.mechanic
    session = assignment.session
    if assignment.status != AssignmentStatus.ACCEPTED or session.mechanic_id != mechanic.pk:
        return False  # started, released or handed on since: the reminder is moot
    if not mechanic.email_notifications or not mechanic.user.email:
        return False
    accepted_at = assignment.accepted_at
    assert accepted_at is not None  # noqa: S101 - filtered above
    context = {
        "mechanic": mechanic,
        "session": session,
        "accepted_at": local_clock(accepted_at, mechanic.time_zone),
        "release_at": local_clock(release_due_at(accepted_at), mechanic.time_zone),
        "room_url": site_link(session.get_absolute_url()),
        "dashboard_url": site_link(reverse("mechanic_dashboard")),
    }
    _send(to=mechanic.user.email, template="mechanic_reminder", context=context)
    return True


def idle_release_emails_send(*, assignment_id: int) -> int:
    """The idle sweep put a session back in the queue: its mechanic (if they take emails) and its
    customer are told what happened, each in their own local time. Returns how many were sent."""
    assignment = _accepted(assignment_id)
    if assignment is None or assignment.mechanic is None:
        return 0
    mechanic, session = assignment.mechanic, assignment.session
    accepted_at = assignment.accepted_at
    assert accepted_at is not None  # noqa: S101 - filtered above
    context = {
        "mechanic": mechanic,
        "session": session,
        "minutes": settings.IDLE_WAITING_MINUTES,
        "dashboard_url": site_link(reverse("mechanic_dashboard")),
    }
    sent = 0
    if mechanic.email_notifications and mechanic.user.email:
        mine = {**context, "accepted_at": local_clock(accepted_at, mechanic.time_zone)}
        _send(to=mechanic.user.email, template="mechanic_released", context=mine)
        sent += 1
    customer = session.customer
    if customer.user.email:
        theirs = {**context, "accepted_at": local_clock(accepted_at, customer.time_zone)}
        _send(to=customer.user.email, template="session_released_idle", context=theirs, html=False)
        sent += 1
    return sent
