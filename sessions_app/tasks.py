"""django-q2 tasks: the scheduled sweeps and the customer's session emails (money's are in billing)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, send_mail
from django.template.loader import render_to_string
from django.utils import timezone

from autodoctor.timezones import local_time_of, zone_of
from customers.models import PayWith

from .mechanic_emails import idle_release_emails_send, queue_email_send, reminder_email_send
from .models import Session, SessionTransfer
from .presence import ABSENCE_AFTER
from .services import (
    first_look_open,
    first_looks_open_due,
    mechanics_queue_email_sweep,
    queue_notices_record,
    sessions_ask_before_expiry,
    sessions_expire_stale,
    sessions_flag_absent,
    sessions_promote_due,
    sessions_release_idle,
    sessions_remind_idle,
    transfers_lapse_due,
)
from .transitions import SessionStatus
from .wait_links import wait_link_url


def expire_stale_sessions() -> int:
    return sessions_expire_stale()


def release_idle_sessions() -> int:
    return sessions_release_idle()


def promote_due_sessions() -> int:
    return sessions_promote_due()


def flag_absent_sessions() -> int:
    return sessions_flag_absent()


def ask_before_expiry() -> int:
    return sessions_ask_before_expiry()


def open_first_look(assignment_id: int) -> bool:
    """Scheduled for the end of one request's first-look window (route, issue 14)."""
    return first_look_open(assignment_id=assignment_id)


def open_due_first_looks() -> int:
    """The every-minute safety net for the task above."""
    return first_looks_open_due()


def send_mechanic_absence_email(session_id: int) -> bool:
    """Tell the mechanic that nobody has been in their live session's room for 10 minutes."""
    session = (
        Session.objects.select_related("customer", "mechanic__user", "plan").filter(pk=session_id).first()
    )
    if session is None or session.mechanic is None or not session.mechanic.user.email:
        return False
    context = {"session": session, "minutes": int(ABSENCE_AFTER.total_seconds() // 60)}
    with local_time_of(session.mechanic.time_zone):  # times in the mechanic's own zone
        subject = render_to_string("emails/session_absent_subject.txt", context)
        message = render_to_string("emails/session_absent.txt", context)
    send_mail(
        subject=" ".join(subject.split()),
        message=message,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[session.mechanic.user.email],
    )
    return True


def send_customer_email(session_id: int, kind: str) -> bool:
    """Email the session's customer about `kind` (accepted, released, completed, refunded): the
    words are templates/emails/session_<kind>.txt and session_<kind>_subject.txt."""
    session = (
        Session.objects.select_related("customer__user", "mechanic", "plan").filter(pk=session_id).first()
    )
    if session is None or not session.customer.user.email:
        return False
    context = {"session": session}
    with local_time_of(session.customer.time_zone):  # times in the customer's own zone
        subject = render_to_string(f"emails/session_{kind}_subject.txt", context)
        message = render_to_string(f"emails/session_{kind}.txt", context)
    send_mail(
        subject=" ".join(subject.split()),  # one line, whatever the template's whitespace
        message=message,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[session.customer.user.email],
    )
    return True


def send_wait_ask_email(session_id: int) -> bool:
    """Ask before expiry: "keep waiting or cancel?", with the signed link to answer (text + HTML),
    times in the customer's own zone. Not sent when the request was taken or ended meanwhile."""
    session = Session.objects.select_related("customer__user", "plan").filter(pk=session_id).first()
    if session is None or session.status != SessionStatus.PENDING or not session.customer.user.email:
        return False
    context = {
        "session": session,
        "link": wait_link_url(session),
        "expires_at": session.expires_at,
        "keep_minutes": settings.KEEP_WAITING_MINUTES,
        "refunds": session.payment_method != PayWith.FREE,
    }
    with timezone.override(zone_of(session.customer.time_zone)):
        subject = " ".join(render_to_string("emails/session_wait_ask_subject.txt", context).split())
        message = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string("emails/session_wait_ask.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[session.customer.user.email],
        )
        message.attach_alternative(render_to_string("emails/session_wait_ask.html", context), "text/html")
    message.send()
    return True


# --- issue 14: reach -------------------------------------------------------------------------


def announce_queued_request(assignment_id: int, exclude_mechanic_id: int | None = None) -> int:
    """A request entered the queue: owe its email to the mechanics who may take it, send now to
    those not held back by the five-minute batching."""
    return queue_notices_record(assignment_id=assignment_id, exclude_mechanic_id=exclude_mechanic_id)


def send_held_request_emails() -> int:
    """Every minute: the request emails held back by the batching whose five minutes are up."""
    return mechanics_queue_email_sweep()


def remind_idle_sessions() -> int:
    """Every minute: remind mechanics of sessions accepted 20 minutes ago and not started."""
    return sessions_remind_idle()


def send_mechanic_queue_email(mechanic_id: int, new_ids: list[int], also_ids: list[int]) -> bool:
    return queue_email_send(mechanic_id=mechanic_id, new_ids=new_ids, also_ids=also_ids)


def send_mechanic_reminder_email(session_id: int, assignment_id: int) -> bool:
    return reminder_email_send(session_id=session_id, assignment_id=assignment_id)


def send_idle_release_emails(assignment_id: int) -> int:
    return idle_release_emails_send(assignment_id=assignment_id)


# --- issue 14: transfers to a colleague ----------------------------------------------------------


def lapse_transfer_offers() -> int:
    return transfers_lapse_due()


def send_transfer_email(transfer_id: int) -> bool:
    """Tell the offering mechanic what became of their offer (accepted, declined, lapsed): the
    words are templates/emails/transfer_<status>.txt and its _subject. Withdrawn: nobody to tell."""
    transfer = (
        SessionTransfer.objects.select_related(
            "session__customer", "session__plan", "from_mechanic__user", "to_mechanic"
        )
        .filter(pk=transfer_id)
        .first()
    )
    if transfer is None or transfer.status not in ("accepted", "declined", "lapsed"):
        return False
    if transfer.status != "accepted" and transfer.session.mechanic_id != transfer.from_mechanic_id:
        return False  # the session moved on without the offer (released, ended): nothing to keep
    to = transfer.from_mechanic.user.email
    if not to:
        return False
    context = {"transfer": transfer, "session": transfer.session}
    subject = render_to_string(f"emails/transfer_{transfer.status}_subject.txt", context)
    send_mail(
        subject=" ".join(subject.split()),
        message=render_to_string(f"emails/transfer_{transfer.status}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[to],
    )
    return True
