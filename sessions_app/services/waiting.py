"""Ask before expiry (SPEC §7): a request nobody has taken ASK_BEFORE_EXPIRY_MINUTES after it
joined the queue asks its customer "keep waiting or cancel?" (once: WAIT_ASKED, the banner and an
email with a signed link). Keeping waiting moves the session's expiry, once, by
KEEP_WAITING_MINUTES (WAIT_EXTENDED); cancelling is the ordinary session_cancel (refunded).

Race with the expiry job: both lock the session row and decide on the locked row. The job
re-checks Session.expires_at there (lifecycle.session_expire), so an expiry that picked the
session before an extension committed does not expire it after; a keep-waiting that locks after
the expiry committed finds it expired and says so."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from autodoctor.errors import DomainError
from sessions_app.events import event_record
from sessions_app.models import Session
from sessions_app.notifications import notify_customer_wait_ask_after_commit
from sessions_app.transitions import SessionEventType, SessionStatus

from .lifecycle import _lock_session, session_cancel

CANCEL_REASON = "wait_ask"  # the cancelled event's data: the customer answered the ask


def wait_ask_due(*, now: datetime) -> QuerySet[Session]:
    """Pending sessions queued at least ASK_BEFORE_EXPIRY_MINUTES ago and not yet past their
    deadline, never asked and never extended: the ask sweep's candidates."""
    asked_by = now - timedelta(minutes=settings.ASK_BEFORE_EXPIRY_MINUTES)
    expired_by = now - timedelta(minutes=settings.EXPIRE_AFTER_MINUTES)
    return Session.objects.filter(
        status=SessionStatus.PENDING,
        wait_asked_at__isnull=True,
        wait_extended_until__isnull=True,
        queued_at__lte=asked_by,
        queued_at__gt=expired_by,
    )


def sessions_ask_before_expiry(*, now: datetime | None = None) -> int:
    """The every-minute sweep: ask each due session's customer once. Returns how many were asked."""
    now = now or timezone.now()
    asked = 0
    for session_id in list(wait_ask_due(now=now).values_list("id", flat=True)):
        if session_wait_ask(session=Session(pk=session_id), now=now):
            asked += 1
    return asked


def session_wait_ask(*, session: Session, now: datetime | None = None) -> bool:
    """Ask the customer of a still-pending session whether to keep waiting: wait_asked_at, a
    WAIT_ASKED event (which also moves the banner's stamp) and, after commit, the email. False
    when there is nothing to ask (taken, over, already asked or extended, not yet due)."""
    now = now or timezone.now()
    with transaction.atomic():
        try:
            locked = _lock_session(session)
        except DomainError:
            return False
        due = locked.queued_at is not None and locked.queued_at <= now - timedelta(
            minutes=settings.ASK_BEFORE_EXPIRY_MINUTES
        )
        if (
            locked.status != SessionStatus.PENDING
            or locked.wait_asked_at is not None
            or locked.wait_extended_until is not None
            or not due
        ):
            return False
        locked.wait_asked_at = now
        locked.save(update_fields=["wait_asked_at", "updated_at"])
        expires_at = locked.expires_at
        event_record(
            session=locked,
            type=SessionEventType.WAIT_ASKED,
            actor=None,
            data={"expires_at": expires_at.isoformat() if expires_at else None},
        )
        notify_customer_wait_ask_after_commit(locked.pk)
    return True


@dataclass(frozen=True)
class KeepWaiting:
    """A keep-waiting answer: the session (locked, refreshed) and whether this call extended it
    (False: it had been extended before, a no-op)."""

    session: Session
    extended: bool

    @property
    def message(self) -> str:
        until = timezone.localtime(self.session.wait_extended_until)
        when = f"{until:%H:%M} ({until:%Z})" if until.tzname() else f"{until:%H:%M}"
        if self.extended:
            return f"Thanks for waiting. We keep your request in the queue until {when}."
        return f"You already chose to keep waiting: your request stays in the queue until {when}."


def _not_pending(session: Session) -> DomainError:
    """Why a keep-waiting cannot be answered any more, in the customer's words."""
    if session.status == SessionStatus.EXPIRED:
        return DomainError(
            "already_expired",
            "Your request already expired because no mechanic took it in time; anything you paid is "
            "refunded. Start a new request whenever you are ready.",
        )
    if session.status in (SessionStatus.WAITING, SessionStatus.LIVE):
        return DomainError(
            "already_taken",
            "A mechanic already took your request, so there is nothing to wait for. Return to your session.",
            session_url=session.get_absolute_url(),
        )
    if session.status == SessionStatus.SCHEDULED:
        return DomainError(
            "not_pending", "Your request is scheduled and has not joined the queue yet, so it cannot expire."
        )
    return DomainError(
        "not_pending",
        f"This request is {session.get_status_display().lower()}, so there is nothing to wait for.",
    )


def _require_customer(session: Session, user: User) -> None:
    if session.customer.user_id != user.pk:
        raise DomainError("not_found", "That session does not exist.")


def session_keep_waiting(*, session: Session, user: User) -> KeepWaiting:
    """The customer keeps waiting: the expiry moves KEEP_WAITING_MINUTES later, once. A second
    answer is a no-op (extended=False). Refused (409) once the session is no longer pending: a
    mechanic took it, it expired, or it was cancelled. Only the session's customer may answer."""
    with transaction.atomic():
        locked = _lock_session(session)
        _require_customer(locked, user)
        if locked.status != SessionStatus.PENDING:
            raise _not_pending(locked)
        if locked.wait_extended_until is not None:
            return KeepWaiting(session=locked, extended=False)
        deadline = locked.expires_at
        if deadline is None:  # pending always has queued_at; guard the type, not a real case
            raise _not_pending(locked)
        locked.wait_extended_until = deadline + timedelta(minutes=settings.KEEP_WAITING_MINUTES)
        locked.save(update_fields=["wait_extended_until", "updated_at"])
        event_record(
            session=locked,
            type=SessionEventType.WAIT_EXTENDED,
            actor=user,
            data={
                "expired_at_before": deadline.isoformat(),
                "expires_at": locked.wait_extended_until.isoformat(),
                "asked": locked.wait_asked_at is not None,
            },
        )
    return KeepWaiting(session=locked, extended=True)


def session_wait_cancel(*, session: Session, user: User) -> Session:
    """The customer answers the ask with Cancel: the ordinary cancel (refunded), only while the
    request is still pending (a mechanic who took it meanwhile keeps it)."""
    with transaction.atomic():
        locked = _lock_session(session)
        _require_customer(locked, user)
        if locked.status != SessionStatus.PENDING:
            raise _not_pending(locked)
        return session_cancel(session=locked, user=user, reason=CANCEL_REASON)
