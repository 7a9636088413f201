"""Every lifecycle transition of SPEC §3. Each one: lock, check the guard on the locked rows,
write, record the event, then notify after commit.

Lock order, everywhere: mechanic, then session, then assignment, then customer. Keeping one
order is what makes concurrent transitions deadlock-free.
"""

import math
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from autodoctor.errors import DomainError
from autodoctor.timezones import zone_of
from billing.services import earnings_record_completion
from mechanics.models import Mechanic
from sessions_app.capacity import capacity_use
from sessions_app.events import event_record
from sessions_app.models import Session, SessionAssignment, SessionEvent, SessionParticipant
from sessions_app.notifications import (
    notify_customer_after_commit,
    notify_idle_release_after_commit,
    notify_request_queued_after_commit,
)
from sessions_app.routing import RouteRequest, audience
from sessions_app.transitions import (
    OPEN_ASSIGNMENT_STATUSES,
    STATUS_EVENTS,
    TRANSITIONS,
    WORKING_STATUSES,
    AssignmentStatus,
    SessionEventType,
    SessionStatus,
    can,
)
from sessions_app.wording import capacity_refusal_message, first_look_refusal_message, invalid_transition

from .contention import records_accept_miss  # issue 14 (tz): accepts lost to a race
from .first_look import first_look_begin
from .refunds import refund_unstarted_session

# What callers read from a session after a transition (the API's session payload): loaded with
# the lock, so nobody re-reads the row afterwards. of=("self",) locks the session row only.
_SESSION_LOCK_RELATED = ("plan", "customer", "mechanic")


def _lock_session(session: Session) -> Session:
    """Lock the caller's session row and refresh it in place: the caller keeps its object."""
    locking = Session.objects.select_for_update(of=("self",)).select_related(*_SESSION_LOCK_RELATED)
    try:
        session.refresh_from_db(from_queryset=locking)
    except Session.DoesNotExist:
        raise DomainError("not_found", "That session does not exist.") from None
    return session


def _lock_mechanic(mechanic: Mechanic) -> Mechanic:
    # of=("self",): lock the mechanic row only. Without it PostgreSQL also locks the joined user
    # row FOR UPDATE, and a start/complete/release that holds one of this mechanic's sessions and
    # writes its event (actor = that user, an FK check) deadlocks with force end / accept waiting
    # for that session.
    mechanic.refresh_from_db(
        from_queryset=Mechanic.objects.select_for_update(of=("self",)).select_related("user")
    )
    return mechanic


def _lock_open_assignment(session: Session) -> SessionAssignment | None:
    return (
        SessionAssignment.objects.select_for_update()
        .filter(session=session, status__in=OPEN_ASSIGNMENT_STATUSES)
        .first()
    )


def _move(
    session: Session,
    action: str,
    *,
    actor: User | None,
    data: dict[str, Any] | None = None,
    fields: dict[str, Any] | None = None,
) -> SessionEvent:
    """Apply `action` to the locked `session`: guard, write the fields, record the event."""
    transition = TRANSITIONS[action]
    if not can(action, session.status):
        raise invalid_transition(action, session.status)
    from_status = session.status
    session.status = transition.target
    changed = ["status", "updated_at"]
    for name, value in (fields or {}).items():
        setattr(session, name, value)
        changed.append(name)
    session.save(update_fields=changed)
    return event_record(
        session=session, type=transition.event, actor=actor, from_status=from_status, data=data
    )


def _close_assignment(session: Session, status: str) -> SessionAssignment | None:
    assignment = _lock_open_assignment(session)
    if assignment is not None:
        assignment.status = status
        assignment.closed_at = timezone.now()
        assignment.save(update_fields=["status", "closed_at"])
    return assignment


def _requeue(session: Session, *, released_by: int | None = None) -> SessionAssignment:
    """A new queued assignment at the session's original place in the queue. The mechanics who
    may take it hear of it after commit (issue 14), but the one who just released it."""
    assignment = SessionAssignment.objects.create(
        session=session,
        urgent=session.urgent,
        workshop_id=session.workshop_id,
        queued_at=session.queued_at or timezone.now(),
    )
    notify_request_queued_after_commit(assignment.pk, exclude_mechanic_id=released_by)
    return assignment


def _require_mechanic(session: Session, mechanic: Mechanic | None, action: str) -> None:
    # The state guard comes first: a stale "Start" on a session that was released, cancelled or
    # expired meanwhile is a wrong state (409, "the session is pending"), not someone else's
    # session (403); those sessions have no mechanic, or still name the one who had them.
    if not can(action, session.status):
        raise invalid_transition(action, session.status)
    if mechanic is not None and session.mechanic_id != mechanic.pk:
        raise DomainError("forbidden", f"Only the mechanic assigned to this session can {action} it.")


def _is_repeat(session: Session, action: str, mechanic: Mechanic | None) -> bool:
    """A second start/complete/release by the mechanic who just did it (a double click, a retried
    request): nothing to do, like a repeated accept. Checked on the locked row."""
    if mechanic is None or session.status != TRANSITIONS[action].target:
        return False
    if action != "release":
        return session.mechanic_id == mechanic.pk
    last = (
        session.events.filter(type__in=STATUS_EVENTS).order_by("-id").only("type", "actor_id", "data").first()
    )
    return (
        last is not None
        and last.type == SessionEventType.RELEASED
        and last.actor_id == mechanic.user_id
        and last.data.get("mechanic_id") == mechanic.pk
    )


def _require_capacity(mech: Mechanic, session: Session) -> None:
    """Refuse (409 at_capacity) when `mech` taking `session` would go over their capacity budget:
    the weights of their waiting and live sessions' plans plus this one's (sessions_app.capacity;
    an empty plate always fits one). Call it with the mechanic row locked (_lock_mechanic): that
    lock is what serialises every path that adds work to one mechanic (accept, and any
    hand-over), so two of them cannot both pass."""
    use = capacity_use(mechanic=mech)
    weight = session.plan.capacity_weight
    if not use.fits(weight):
        raise DomainError(
            "at_capacity",
            capacity_refusal_message(session_type=session.type, weight=weight, use=use),
            active=use.count,
            capacity=mech.max_active_sessions,
            used=use.used,
            weight=weight,
        )


def _require_first_look(assignment: SessionAssignment, mech: Mechanic, session: Session) -> None:
    """Refuse (409 first_look) a mechanic the locked `assignment` is not offered to while its
    first-look window lasts (sessions_app.services.first_look); after it, anyone may."""
    until = assignment.first_look_until
    now = timezone.now()
    if until is None or assignment.opened_at is not None or until <= now:
        return
    if assignment.offered_to.filter(pk=mech.pk).exists():
        return
    seconds_left = math.ceil((until - now).total_seconds())
    raise DomainError(
        "first_look",
        first_look_refusal_message(
            audience=audience(RouteRequest.of(session)),
            until=until.astimezone(zone_of(mech.time_zone)),
            seconds_left=seconds_left,
        ),
        first_look_until=until.isoformat(),
        seconds_left=seconds_left,
    )


def _require_customer_or_staff(session: Session, user: User, action: str) -> None:
    if not (user.is_staff or session.customer.user_id == user.pk):
        raise DomainError("forbidden", f"Only the session's customer or staff can {action} it.")


def _user_of(mechanic: Mechanic | None) -> Any:
    return mechanic.user if mechanic is not None else None


# --- promote, accept, start ------------------------------------------------------------------


def session_promote(*, session: Session) -> Session:
    """System: a scheduled session enters the queue (15 min before its time)."""
    with transaction.atomic():
        locked = _lock_session(session)
        now = timezone.now()
        _move(locked, "promote", actor=None, fields={"queued_at": now})
        first_look_begin(assignment=_requeue(locked), session=locked)  # route: a new request
    return locked


@records_accept_miss  # issue 14 (tz): a lost race is recorded after the rollback
def session_accept(*, assignment: SessionAssignment, mechanic: Mechanic) -> Session:
    """A mechanic claims a queued assignment. Exactly one of many concurrent callers wins."""
    with transaction.atomic():
        mech = _lock_mechanic(mechanic)
        session_id = (
            SessionAssignment.objects.filter(pk=assignment.pk).values_list("session_id", flat=True).first()
        )
        if session_id is None:
            raise DomainError("not_found", "That request does not exist.")
        session = _lock_session(Session(pk=session_id))
        locked = SessionAssignment.objects.select_for_update().get(pk=assignment.pk)
        # Visibility first: whatever its state, a workshop's request does not exist for outsiders.
        if locked.workshop_id is not None and locked.workshop_id != mech.workshop_id:
            raise DomainError("not_found", "That request does not exist.")
        if locked.status == AssignmentStatus.ACCEPTED and locked.mechanic_id == mech.pk:
            return session  # a second click by the mechanic who already holds it: nothing to do
        if locked.status != AssignmentStatus.QUEUED or not can("accept", session.status):
            raise DomainError(
                "already_taken", "Another mechanic just took this request. The queue has been refreshed."
            )
        _require_first_look(locked, mech, session)
        _require_capacity(mech, session)
        now = timezone.now()
        locked.status = AssignmentStatus.ACCEPTED
        locked.mechanic = mech
        locked.accepted_at = now
        locked.save(update_fields=["status", "mechanic", "accepted_at"])
        _move(
            session,
            "accept",
            actor=mech.user,
            data={"mechanic_id": mech.pk, "assignment_id": locked.pk},
            fields={"mechanic": mech},
        )
        SessionParticipant.objects.update_or_create(
            session=session,
            user_id=mech.user_id,
            defaults={"role": SessionParticipant.Role.MECHANIC, "left_at": None},
        )
        notify_customer_after_commit(session.pk, "accepted")
    return session


def session_start(*, session: Session, mechanic: Mechanic | None) -> Session:
    """The assigned mechanic goes live (mechanic=None: staff)."""
    with transaction.atomic():
        locked = _lock_session(session)
        if _is_repeat(locked, "start", mechanic):
            return locked
        _require_mechanic(locked, mechanic, "start")
        _move(locked, "start", actor=_user_of(mechanic), fields={"started_at": timezone.now()})
    return locked


# --- release ---------------------------------------------------------------------------------


def _release_locked(session: Session, *, actor: User | None, reason: str) -> None:
    mechanic_id = session.mechanic_id
    if not can("release", session.status):
        raise invalid_transition("release", session.status)
    released = _close_assignment(session, AssignmentStatus.RELEASED)
    _move(
        session,
        "release",
        actor=actor,
        data={"mechanic_id": mechanic_id, "reason": reason},
        fields={"mechanic": None},
    )
    _requeue(session, released_by=mechanic_id)
    if mechanic_id is not None:
        SessionParticipant.objects.filter(
            session=session, role=SessionParticipant.Role.MECHANIC, left_at=None
        ).update(left_at=timezone.now())
    if reason == "idle" and released is not None:
        # issue 14: both are told what happened ("you accepted … at 14:02 and did not start it")
        notify_idle_release_after_commit(released.pk)
    else:
        notify_customer_after_commit(session.pk, "released")


def session_release(
    *,
    session: Session,
    mechanic: Mechanic | None,
    reason: str = "mechanic",
    accepted_before: datetime | None = None,
) -> Session:
    """Back to the queue at its original place ("Cancel / Unlock"); mechanic=None: system or staff.
    With `accepted_before` (the idle sweep), only if the current acceptance is that old."""
    with transaction.atomic():
        locked = _lock_session(session)
        if _is_repeat(locked, "release", mechanic):
            return locked
        _require_mechanic(locked, mechanic, "release")
        if accepted_before is not None:
            open_assignment = _lock_open_assignment(locked)
            accepted_at = open_assignment.accepted_at if open_assignment else None
            if accepted_at is None or accepted_at >= accepted_before:
                raise invalid_transition("release", locked.status)
        _release_locked(locked, actor=_user_of(mechanic), reason=reason)
    return locked


# --- complete, end ---------------------------------------------------------------------------


def _complete_locked(session: Session, *, actor: User | None, summary: str, by: str) -> None:
    if not can("complete", session.status):
        raise invalid_transition("complete", session.status)
    now = timezone.now()
    started = session.started_at or now
    minutes = max(1, math.ceil((now - started).total_seconds() / 60))
    _close_assignment(session, AssignmentStatus.COMPLETED)
    fields: dict[str, Any] = {"ended_at": now, "duration_minutes": minutes}
    if summary.strip():
        fields["summary"] = summary.strip()
    _move(session, "complete", actor=actor, data={"by": by}, fields=fields)
    earnings_record_completion(session=session)  # issue 13: the mechanic's share, exactly once
    SessionParticipant.objects.filter(session=session, left_at=None).update(left_at=now)
    notify_customer_after_commit(session.pk, "completed")


def session_complete(*, session: Session, mechanic: Mechanic | None, summary: str = "") -> Session:
    """The assigned mechanic completes a live session with a summary of the findings."""
    with transaction.atomic():
        locked = _lock_session(session)
        if _is_repeat(locked, "complete", mechanic):
            return locked
        _require_mechanic(locked, mechanic, "complete")
        _complete_locked(locked, actor=_user_of(mechanic), summary=summary, by="mechanic")
    return locked


def session_end_by_customer(*, session: Session, user: User) -> Session:
    """The customer's "End Session": completes a live session, cancels one that is not live yet."""
    with transaction.atomic():
        locked = _lock_session(session)
        _require_customer_or_staff(locked, user, "end")
        if locked.status == SessionStatus.LIVE:
            _complete_locked(locked, actor=user, summary="", by="customer")
        else:
            _cancel_locked(locked, actor=user, reason="customer")
    return locked


# --- cancel, expire --------------------------------------------------------------------------


def _cancel_locked(session: Session, *, actor: User | None, reason: str) -> None:
    if not can("cancel", session.status):
        raise invalid_transition("cancel", session.status)
    _close_assignment(session, AssignmentStatus.CANCELLED)
    _move(session, "cancel", actor=actor, data={"reason": reason}, fields={"ended_at": timezone.now()})
    SessionParticipant.objects.filter(session=session, left_at=None).update(left_at=timezone.now())
    refund_unstarted_session(session, actor=actor)


def session_cancel(*, session: Session, user: User | None, reason: str = "customer") -> Session:
    """The customer or staff cancel a session that has not gone live; it is refunded.
    user=None: the system."""
    with transaction.atomic():
        locked = _lock_session(session)
        if user is not None:
            _require_customer_or_staff(locked, user, "cancel")
        _cancel_locked(locked, actor=user, reason=reason)
    return locked


def session_expire(*, session: Session, queued_before: datetime | None = None) -> Session:
    """System: a pending/waiting session that sat too long ends as expired and is refunded.
    With `queued_before` (the scheduled job's cutoff: its now − EXPIRE_AFTER_MINUTES), the deadline
    is re-checked on the locked row: Session.expires_at, which a keep-waiting may have moved after
    the job picked its candidates (sessions_app.services.waiting locks the same row)."""
    with transaction.atomic():
        locked = _lock_session(session)
        if not can("expire", locked.status):
            raise invalid_transition("expire", locked.status)
        if queued_before is not None:
            swept_at = queued_before + timedelta(minutes=settings.EXPIRE_AFTER_MINUTES)
            deadline = locked.expires_at
            if deadline is None or deadline >= swept_at:
                raise DomainError(
                    "invalid_transition", "This session has not been waiting long enough to expire."
                )
        now = timezone.now()
        _close_assignment(locked, AssignmentStatus.EXPIRED)
        _move(locked, "expire", actor=None, fields={"ended_at": now})
        SessionParticipant.objects.filter(session=locked, left_at=None).update(left_at=now)
        refund_unstarted_session(locked, actor=None)
    return locked


# --- force end all ---------------------------------------------------------------------------


def session_force_end_all(*, mechanic: Mechanic) -> dict[str, int]:
    """Emergency exit: release the mechanic's waiting sessions, complete the live ones."""
    counts = {"released": 0, "completed": 0}
    with transaction.atomic():
        mech = _lock_mechanic(mechanic)
        ids = list(Session.objects.working().for_mechanic(mech).order_by("id").values_list("id", flat=True))
        for session_id in ids:
            session = _lock_session(Session(pk=session_id))
            if session.mechanic_id != mech.pk or session.status not in WORKING_STATUSES:
                continue
            event_record(
                session=session,
                type=SessionEventType.FORCE_ENDED,
                actor=mech.user,
                data={"mechanic_id": mech.pk},
            )
            if session.status == SessionStatus.WAITING:
                _release_locked(session, actor=mech.user, reason="force_end")
                counts["released"] += 1
            else:
                _complete_locked(session, actor=mech.user, summary="", by="force_end")
                counts["completed"] += 1
    return counts
