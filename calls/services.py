"""The one writer of call signals."""

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from autodoctor.errors import DomainError
from autodoctor.ratelimit import rate_limit_check
from sessions_app.hints import hint_publish
from sessions_app.models import Session

from .models import CallSignal, SignalKind
from .rules import call_party

SIGNALS_PER_MINUTE = 240  # a negotiation with trickle ICE sends a few dozen; this stops a flood
SIGNAL_TTL = timedelta(minutes=10)  # a page reads its signals within seconds; older ones are dropped


def signal_hint(*, session: Session, signal: CallSignal) -> dict[str, Any]:
    """The live hint for a new signal: routed only to its recipient (sessions_app.streams); no
    SDP in it (pg_notify payloads stop at 8,000 bytes), the page fetches the signal itself."""
    return {"kind": "signal", "session": session.pk, "to": signal.to_user_id, "signal": signal.pk}


def signal_send(
    *, session: Session, sender: User, kind: SignalKind, peer: str, data: Any = None
) -> CallSignal:
    """Store a signal from one participant of the call for the other, and tell the other's page.

    Locks the session row, so the signals of one session get their ids in commit order (a page
    that has read signal N has every one before it: it polls with ?after=N and skips none), and
    the status check holds until the signal is written. Refuses a stranger (not_found), a
    session whose call is not open (invalid_transition, 409) and a flood (rate_limited)."""
    rate_limit_check(
        recent=CallSignal.objects.filter(from_user=sender),
        limit=SIGNALS_PER_MINUTE,
        window=timedelta(minutes=1),
        what="call signals",
    )
    with transaction.atomic():
        locked = Session.objects.select_for_update(of=("self",)).select_related("customer", "mechanic")
        try:
            session.refresh_from_db(from_queryset=locked)
        except Session.DoesNotExist:
            raise DomainError("not_found", "That session does not exist.") from None
        _, other_user_id = call_party(session=session, user=sender)
        CallSignal.objects.filter(session=session, created_at__lt=timezone.now() - SIGNAL_TTL).delete()
        signal = CallSignal.objects.create(
            session=session,
            from_user=sender,
            to_user_id=other_user_id,
            kind=kind,
            payload={"peer": peer, "data": data},
        )
        hint_publish(signal_hint(session=session, signal=signal))  # delivered on commit
        return signal
