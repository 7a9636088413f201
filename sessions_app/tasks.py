"""django-q2 tasks: the scheduled sweeps and the customer's session emails (money's are in billing)."""

from django.conf import settings
from django.core.mail import send_mail

from .models import Session
from .services import sessions_expire_stale, sessions_promote_due, sessions_release_idle


def expire_stale_sessions() -> int:
    return sessions_expire_stale()


def release_idle_sessions() -> int:
    return sessions_release_idle()


def promote_due_sessions() -> int:
    return sessions_promote_due()


SUBJECTS = {
    "accepted": "A mechanic has accepted your request",
    "released": "Your mechanic stepped away: you keep your place in line",
    "completed": "Your session is complete",
    "refunded": "Your payment has been refunded",
}


def send_customer_email(session_id: int, kind: str) -> bool:
    session = (
        Session.objects.select_related("customer__user", "mechanic", "plan").filter(pk=session_id).first()
    )
    if session is None or not session.customer.user.email:
        return False
    mechanic = session.mechanic.display_name if session.mechanic else "your mechanic"
    bodies = {
        "accepted": f"{mechanic} accepted your {session.plan.name} request and will start shortly.",
        "released": f"{mechanic} had to step away. Your request is back in the queue at its original place.",
        "completed": f"Your session with {mechanic} is complete.\n\nSummary:\n{session.summary or '(no summary)'}",
        "refunded": f"Session #{session.pk} ended before it went live, so we refunded it in full.",
    }
    send_mail(
        subject=f"Auto Doctor: {SUBJECTS[kind]}",
        message=f"Hello {session.customer.full_name},\n\n{bodies[kind]}\n\nAuto Doctor",
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[session.customer.user.email],
    )
    return True
