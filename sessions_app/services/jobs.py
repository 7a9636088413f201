"""The scheduled sweeps. Each picks candidates without locks, then moves each one through its
lifecycle service, which re-checks the guard on the locked row: two runs at once never move a
session twice, the loser of each race just skips it."""

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from autodoctor.errors import DomainError
from sessions_app.models import Session
from sessions_app.transitions import AssignmentStatus, SessionStatus

from .lifecycle import session_expire, session_promote, session_release

log = logging.getLogger(__name__)


def _each(ids: Iterable[int], move: Callable[[Session], object]) -> int:
    done = 0
    for session_id in ids:
        try:
            move(Session(pk=session_id))
        except DomainError as exc:
            log.info("skipped session %s: %s", session_id, exc.code)
            continue
        done += 1
    return done


def sessions_expire_stale(*, now: datetime | None = None) -> int:
    """Expire pending/waiting sessions past their deadline: queued more than EXPIRE_AFTER_MINUTES
    ago, or past the later deadline the customer kept waiting until (Session.expires_at)."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.EXPIRE_AFTER_MINUTES)
    ids = Session.objects.expiry_due(now=now).values_list("id", flat=True)
    return _each(list(ids), lambda s: session_expire(session=s, queued_before=cutoff))


def sessions_release_idle(*, now: datetime | None = None) -> int:
    """Release sessions accepted more than IDLE_WAITING_MINUTES ago that never started."""
    cutoff = (now or timezone.now()) - timedelta(minutes=settings.IDLE_WAITING_MINUTES)
    ids = Session.objects.filter(
        status=SessionStatus.WAITING,
        assignments__status=AssignmentStatus.ACCEPTED,
        assignments__accepted_at__lt=cutoff,
    ).values_list("id", flat=True)

    def release(session: Session) -> Session:
        return session_release(session=session, mechanic=None, reason="idle", accepted_before=cutoff)

    return _each(list(ids), release)


def sessions_promote_due(*, now: datetime | None = None) -> int:
    """Move scheduled sessions into the queue PROMOTE_BEFORE_MINUTES before their time."""
    horizon = (now or timezone.now()) + timedelta(minutes=settings.PROMOTE_BEFORE_MINUTES)
    ids = Session.objects.filter(status=SessionStatus.SCHEDULED, scheduled_for__lte=horizon).values_list(
        "id", flat=True
    )
    return _each(list(ids), lambda s: session_promote(session=s))
