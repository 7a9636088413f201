"""django-q2 tasks of the diagnosis: the report emailed on completion."""

from .reports import report_email_send


def send_report_email(session_id: int) -> bool:
    return report_email_send(session_id=session_id)
