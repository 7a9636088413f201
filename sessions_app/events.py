"""The one writer of SessionEvent rows (the audit trail of SPEC §2)."""

from typing import Any

from django.contrib.auth.models import User

from .hints import hint_publish, session_hint
from .models import Session, SessionEvent
from .transitions import SessionEventType


def event_record(
    *,
    session: Session,
    type: SessionEventType,
    actor: User | None,
    data: dict[str, Any] | None = None,
    from_status: str | None = None,
    announce: bool = True,
) -> SessionEvent:
    """Append an event for `session`, inside the caller's transaction. `to_status` is the
    session's status now; `from_status` defaults to it (events that change no status).

    Every lifecycle change comes through here, so this is also where it is announced to the open
    pages: a live hint published in the same transaction (delivered on commit, never on rollback)."""
    event = SessionEvent.objects.create(
        session=session,
        type=type,
        actor=actor,
        from_status=session.status if from_status is None else from_status,
        to_status=session.status,
        data=data or {},
    )
    if announce:  # False only for an event whose change an earlier one in the same transaction announced
        hint_publish(
            session_hint(session=session, type=type, from_status=event.from_status, event_id=event.pk)
        )
    return event
