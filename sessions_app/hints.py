"""What a change announces to the open pages (SPEC §7): small hints, never private data.

A hint names the session and the people it concerns, so the per-process fan-out
(sessions_app.streams) can decide who hears it; the browser only ever gets a reduced form
("your session changed", "the queue changed") and fetches the rest through the usual views.
"""

from autodoctor.push import Hint, publish

from .models import Session
from .transitions import QUEUE_EVENTS, SESSION_ONLY_EVENTS, SessionStatus


def session_hint(*, session: Session, type: str, from_status: str, event_id: int) -> Hint:
    """An event of type `type` on `session`. `queue` says whether the queue of waiting requests
    changed: the session entered or left it, or opened to everyone while in it (QUEUE_EVENTS) —
    not a look at its details or a code the customer added. `shared` is False for the activity
    only the session's own room shows (SESSION_ONLY_EVENTS): no dashboard needs to hear it."""
    return {
        "kind": "session",
        "session": session.pk,
        "customer": session.customer_id,
        "mechanic": session.mechanic_id,
        "workshop": session.workshop_id,
        "status": session.status,
        "queue": type in QUEUE_EVENTS and SessionStatus.PENDING in (from_status, session.status),
        "shared": type not in SESSION_ONLY_EVENTS,
        "v": event_id,
    }


def message_hint(*, session: Session, message_id: int) -> Hint:
    return {
        "kind": "message",
        "session": session.pk,
        "customer": session.customer_id,
        "mechanic": session.mechanic_id,
        "message": message_id,
    }


def hint_publish(hint: Hint) -> None:
    """Announce `hint` when the caller's transaction commits (autodoctor.push.publish)."""
    publish(hint)


# --- issue 14: transfers (kept apart from session_hint: the lead changes its `queue` flag) --------


def transfer_hint(*, from_mechanic_id: int, to_mechanic_id: int) -> Hint:
    """A transfer offer was made or answered: both mechanics' dashboards refetch (the colleague
    is not the session's mechanic, so session_hint alone would not reach them)."""
    return {"kind": "transfer", "mechanics": [from_mechanic_id, to_mechanic_id]}
