"""Who may take part in a session's call, and when (pure checks on a loaded session)."""

from django.contrib.auth.models import User

from autodoctor.errors import DomainError
from sessions_app.models import Session
from sessions_app.transitions import SessionStatus

# Live, or waiting for the mechanic to start (the pre-call camera check: both sides may already
# see each other).
CALL_STATUSES: tuple[str, ...] = (SessionStatus.WAITING, SessionStatus.LIVE)


def call_party(*, session: Session, user: User) -> tuple[str, int]:
    """("customer" or "mechanic", the other participant's user id) while the call is open.

    Anyone but the session's customer and its mechanic (staff included) is not in the call:
    not_found (404), so a stranger learns nothing. A session that is not waiting or live:
    invalid_transition (409) with the reason."""
    customer_user = session.customer.user_id
    mechanic_user = session.mechanic.user_id if session.mechanic is not None else None
    if user.pk == customer_user:
        role = "customer"
    elif mechanic_user is not None and user.pk == mechanic_user:
        role = "mechanic"
    else:
        raise DomainError("not_found", "That session does not exist.")
    if session.status in (SessionStatus.PENDING, SessionStatus.SCHEDULED):
        raise DomainError(
            "invalid_transition", "The video call opens once a mechanic has accepted the request."
        )
    if session.status not in CALL_STATUSES or mechanic_user is None:
        raise DomainError("invalid_transition", f"This session is {session.status}, so its call is over.")
    return role, (mechanic_user if role == "customer" else customer_user)
