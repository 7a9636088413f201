"""django-q2 tasks: the scheduled sweeps and the customer's session emails (money's are in billing)."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from .models import Session, SessionTransfer
from .presence import ABSENCE_AFTER
from .services import (
    sessions_expire_stale,
    sessions_flag_absent,
    sessions_promote_due,
    sessions_release_idle,
    transfers_lapse_due,
)


def expire_stale_sessions() -> int:
    return sessions_expire_stale()


def release_idle_sessions() -> int:
    return sessions_release_idle()


def promote_due_sessions() -> int:
    return sessions_promote_due()


def flag_absent_sessions() -> int:
    return sessions_flag_absent()


def send_mechanic_absence_email(session_id: int) -> bool:
    """Tell the mechanic that nobody has been in their live session's room for 10 minutes."""
    session = (
        Session.objects.select_related("customer", "mechanic__user", "plan").filter(pk=session_id).first()
    )
    if session is None or session.mechanic is None or not session.mechanic.user.email:
        return False
    context = {"session": session, "minutes": int(ABSENCE_AFTER.total_seconds() // 60)}
    subject = render_to_string("emails/session_absent_subject.txt", context)
    send_mail(
        subject=" ".join(subject.split()),
        message=render_to_string("emails/session_absent.txt", context),
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
    subject = render_to_string(f"emails/session_{kind}_subject.txt", context)
    send_mail(
        subject=" ".join(subject.split()),  # one line, whatever the template's whitespace
        message=render_to_string(f"emails/session_{kind}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[session.customer.user.email],
    )
    return True


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
