"""The report emailed to the customer when the session completes: the PDF attached, the sending
recorded as a REPORT_SENT event (once: a retried task finds the event and sends nothing)."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string

from autodoctor.timezones import local_time_of
from sessions_app.events import event_record
from sessions_app.models import Session, SessionEvent
from sessions_app.transitions import SessionEventType, SessionStatus

from .pdf import report_pdf
from .selectors import report_for, report_session


def report_email_send(*, session_id: int) -> bool:
    """Email a completed session's report to its customer; False when there is nothing to send
    (no such session, not completed, no email address, already sent)."""
    session = report_session(session_id=session_id)
    if session is None or session.status != SessionStatus.COMPLETED or not session.customer.user.email:
        return False
    if SessionEvent.objects.filter(session=session, type=SessionEventType.REPORT_SENT).exists():
        return False
    pdf = report_pdf(report_for(session=session, user=session.customer.user))
    context = {"session": session}
    with local_time_of(session.customer.time_zone):
        subject = " ".join(render_to_string("diagnostics/email_report_subject.txt", context).split())
        body = render_to_string("diagnostics/email_report.txt", context)
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[session.customer.user.email],
    )
    message.attach(f"autodoctor-report-{session.pk}.pdf", pdf, "application/pdf")
    message.send()
    with transaction.atomic():
        session.refresh_from_db(from_queryset=Session.objects.select_for_update())
        event_record(
            session=session,
            type=SessionEventType.REPORT_SENT,
            actor=None,
            data={"attachment": f"autodoctor-report-{session.pk}.pdf", "bytes": len(pdf)},
        )
    return True
