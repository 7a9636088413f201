"""Handing a waiting or live session to a named colleague (issue 14; SPEC §7: "transfer = offer to
a named colleague who accepts or declines").

The session's mechanic offers it (TRANSFER_OFFERED); the colleague accepts (TRANSFER_ACCEPTED:
the session becomes theirs) or declines (TRANSFER_DECLINED: it stays where it was); an offer
nobody answers within settings.TRANSFER_OFFER_MINUTES falls back to the offering mechanic
(TRANSFER_LAPSED, the sweep `transfers_lapse_due`); the offering mechanic may withdraw it
(recorded as TRANSFER_DECLINED with `"by": "offerer"`). At most one open offer per session
(a partial unique index).

Locks follow lifecycle's order: the mechanics (both, in id order: the only place two mechanic
rows are locked), then the session, then the transfer row, then the assignment. Accepting checks
capacity with `lifecycle._require_capacity` on the colleague's locked row, the same check (and
the same lock) as a queue accept, so the two cannot both take the colleague's last place.

An offer that can no longer be answered (its time is up, or the session was meanwhile released,
completed or ended) is closed as lapsed by whoever finds it, in its own committed transaction,
and the answer is a 409 `transfer_closed` saying so.
"""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from autodoctor.errors import DomainError
from mechanics.models import Mechanic
from sessions_app.events import event_record
from sessions_app.hints import hint_publish, transfer_hint
from sessions_app.models import Session, SessionAssignment, SessionParticipant, SessionTransfer
from sessions_app.notifications import notify_customer_after_commit, notify_mechanic_transfer_after_commit
from sessions_app.transitions import WORKING_STATUSES, AssignmentStatus, SessionEventType

from .lifecycle import _lock_mechanic, _lock_open_assignment, _lock_session, _require_capacity

Status = SessionTransfer.Status


def offer_lifetime() -> timedelta:
    return timedelta(minutes=settings.TRANSFER_OFFER_MINUTES)


def offer_lapses_at(transfer: SessionTransfer) -> datetime:
    return transfer.created_at + offer_lifetime()


def may_take(colleague: Mechanic, session: Session, *, offering_id: int) -> bool:
    """The workshop rule: a colleague is another active mechanic, of the session's workshop when
    it is a workshop's session (the same rule as who sees it in the queue)."""
    if colleague.pk == offering_id or not colleague.user.is_active:
        return False
    return session.workshop_id is None or colleague.workshop_id == session.workshop_id


def _not_found() -> DomainError:
    return DomainError("not_found", "No such transfer offer for you.")


def _closed(transfer: SessionTransfer, *, why: str = "") -> DomainError:
    """The 409 for an offer that is no longer open, saying what became of it."""
    offering = transfer.from_mechanic.display_name
    minutes = settings.TRANSFER_OFFER_MINUTES
    sentences = {
        Status.ACCEPTED: "This transfer was already accepted.",
        Status.DECLINED: "This transfer was declined; the session stayed with "
        f"{offering}. Ask them to offer it again if needed.",
        Status.WITHDRAWN: f"{offering} withdrew this offer; the session stays with them.",
        Status.LAPSED: why
        or f"This offer lapsed: nobody answered within {minutes} minutes, so the session stayed "
        f"with {offering}. Ask them to offer it again.",
    }
    return DomainError("transfer_closed", sentences[Status(transfer.status)], status=transfer.status)


def _stale(transfer: SessionTransfer, session: Session) -> bool:
    """The session no longer is the offering mechanic's waiting or live session."""
    return session.status not in WORKING_STATUSES or session.mechanic_id != transfer.from_mechanic_id


def _due(transfer: SessionTransfer, now: datetime) -> bool:
    return now >= offer_lapses_at(transfer)


def _lock_transfer(pk: int) -> SessionTransfer:
    return SessionTransfer.objects.select_for_update(of=("self",)).select_related("from_mechanic").get(pk=pk)


def _data(transfer: SessionTransfer, **extra: Any) -> dict[str, Any]:
    # Ids only: the session's events are readable by its customer, the note and reason are not.
    return {
        "transfer_id": transfer.pk,
        "from_mechanic_id": transfer.from_mechanic_id,
        "to_mechanic_id": transfer.to_mechanic_id,
        **extra,
    }


def _announce(transfer: SessionTransfer) -> None:
    """Both mechanics' open dashboards hear it (published with the writing transaction)."""
    hint_publish(
        transfer_hint(from_mechanic_id=transfer.from_mechanic_id, to_mechanic_id=transfer.to_mechanic_id)
    )


def _close(
    transfer: SessionTransfer,
    session: Session,
    *,
    status: str,
    event: SessionEventType,
    actor: Any,
    now: datetime,
    reason: str = "",
    **data: Any,
) -> None:
    """Answer the locked open `transfer` without moving the session (declined, withdrawn, lapsed)."""
    transfer.status = status
    transfer.answered_at = now
    transfer.reason = reason
    transfer.save(update_fields=["status", "answered_at", "reason"])
    event_record(session=session, type=event, actor=actor, data=_data(transfer, **data))
    _announce(transfer)
    notify_mechanic_transfer_after_commit(transfer.pk)


def _lapse_locked(transfer: SessionTransfer, session: Session, *, now: datetime) -> None:
    why = "session_changed" if _stale(transfer, session) else "unanswered"
    _close(
        transfer,
        session,
        status=Status.LAPSED,
        event=SessionEventType.TRANSFER_LAPSED,
        actor=None,
        now=now,
        why=why,
    )


# --- offer -------------------------------------------------------------------------------------


def transfer_offer(
    *, session: Session, mechanic: Mechanic, to_mechanic_id: int, note: str = ""
) -> SessionTransfer:
    """The session's mechanic offers their waiting or live session to a named colleague."""
    with transaction.atomic():
        locked = _lock_session(session)
        if locked.status not in WORKING_STATUSES or locked.mechanic_id != mechanic.pk:
            raise DomainError(
                "not_transferable",
                "Only a waiting or live session assigned to you can be transferred. "
                f"(The session is {locked.status}.)",
            )
        colleague = Mechanic.objects.select_related("user").filter(pk=to_mechanic_id).first()
        if colleague is None or not may_take(colleague, locked, offering_id=mechanic.pk):
            where = "of this session's workshop " if locked.workshop_id else ""
            raise DomainError(
                "invalid_input",
                f"Choose another active mechanic {where}to offer this session to.",
                field="to_mechanic",
            )
        now = timezone.now()
        current = (
            SessionTransfer.objects.select_for_update(of=("self",))
            .filter(session=locked, status=Status.OFFERED)
            .first()
        )
        if current is not None:
            if not (_stale(current, locked) or _due(current, now)):
                raise DomainError(
                    "transfer_open",
                    "This session already has an open transfer offer. Wait for the answer or "
                    "withdraw it first.",
                )
            _lapse_locked(current, locked, now=now)  # a leftover the sweep has not reached yet
        try:
            with transaction.atomic():
                transfer = SessionTransfer.objects.create(
                    session=locked,
                    from_mechanic=mechanic,
                    to_mechanic=colleague,
                    note=note.strip(),
                    created_at=now,
                )
        except IntegrityError:
            raise DomainError(
                "transfer_open", "This session already has an open transfer offer. Wait for the answer."
            ) from None
        event_record(
            session=locked, type=SessionEventType.TRANSFER_OFFERED, actor=mechanic.user, data=_data(transfer)
        )
        _announce(transfer)
    return transfer


# --- the colleague's answer ----------------------------------------------------------------------


def transfer_accept(*, transfer: SessionTransfer, mechanic: Mechanic) -> Session:
    """The named colleague takes the session over: it becomes theirs, with a new accepted
    assignment; the offering mechanic leaves the room and the customer is told."""
    refusal: DomainError | None = None  # raised after the lapse it records has committed
    with transaction.atomic():
        row = (
            SessionTransfer.objects.filter(pk=transfer.pk)
            .values("session_id", "from_mechanic_id", "to_mechanic_id")
            .first()
        )
        if row is None or row["to_mechanic_id"] != mechanic.pk:
            raise _not_found()
        # The two mechanics in id order (lifecycle's order: mechanics first).
        offering = Mechanic(pk=row["from_mechanic_id"])
        for each in sorted((mechanic, offering), key=lambda m: m.pk):
            _lock_mechanic(each)
        session = _lock_session(Session(pk=row["session_id"]))
        locked = _lock_transfer(transfer.pk)
        if locked.status == Status.ACCEPTED and session.mechanic_id == mechanic.pk:
            return session  # a second click by the colleague who already took it
        if locked.status != Status.OFFERED:
            raise _closed(locked)
        now = timezone.now()
        if _stale(locked, session) or _due(locked, now):
            stale = _stale(locked, session)
            _lapse_locked(locked, session, now=now)
            why = (
                f"This offer lapsed: the session is no longer {locked.from_mechanic.display_name}'s "
                "to hand over (it was released, completed or ended meanwhile)."
                if stale
                else ""
            )
            refusal = _closed(locked, why=why)
        else:
            if not may_take(mechanic, session, offering_id=locked.from_mechanic_id):
                raise DomainError("forbidden", "Only a mechanic of this session's workshop can take it over.")
            _require_capacity(mechanic, session)
            _hand_over(session, locked, to=mechanic, now=now)
    if refusal is not None:
        raise refusal
    return session


def _hand_over(session: Session, transfer: SessionTransfer, *, to: Mechanic, now: datetime) -> None:
    """Locked session, open transfer, colleague within capacity: move the session to them."""
    old = _lock_open_assignment(session)
    queued_at = session.queued_at or now
    if old is not None:
        queued_at = old.queued_at
        old.status = AssignmentStatus.TRANSFERRED
        old.closed_at = now
        old.save(update_fields=["status", "closed_at"])
    # A new accepted assignment rather than re-pointing the old one: each assignment row keeps
    # the one mechanic who held it and when they took it (history, analytics), and the idle-release
    # clock starts again from the colleague's acceptance.
    assignment = SessionAssignment.objects.create(
        session=session,
        status=AssignmentStatus.ACCEPTED,
        mechanic=to,
        workshop_id=session.workshop_id,
        urgent=session.urgent,
        queued_at=queued_at,
        accepted_at=now,
    )
    session.mechanic = to
    session.save(update_fields=["mechanic", "updated_at"])
    transfer.status = Status.ACCEPTED
    transfer.answered_at = now
    transfer.save(update_fields=["status", "answered_at"])
    SessionParticipant.objects.filter(
        session=session,
        role=SessionParticipant.Role.MECHANIC,
        user_id=transfer.from_mechanic.user_id,
        left_at=None,
    ).update(left_at=now)
    SessionParticipant.objects.update_or_create(
        session=session,
        user_id=to.user_id,
        defaults={"role": SessionParticipant.Role.MECHANIC, "left_at": None},
    )
    event_record(
        session=session,
        type=SessionEventType.TRANSFER_ACCEPTED,
        actor=to.user,
        data=_data(transfer, assignment_id=assignment.pk),
    )
    _announce(transfer)
    notify_customer_after_commit(session.pk, "transferred")
    notify_mechanic_transfer_after_commit(transfer.pk)


def _answer_open(
    transfer: SessionTransfer, *, mechanic: Mechanic, as_offerer: bool, status: str, reason: str = ""
) -> SessionTransfer:
    """Decline (the colleague) or withdraw (the offering mechanic) an open offer."""
    refusal: DomainError | None = None  # raised after the lapse it records has committed
    with transaction.atomic():
        row = (
            SessionTransfer.objects.filter(pk=transfer.pk)
            .values("session_id", "from_mechanic_id", "to_mechanic_id")
            .first()
        )
        if row is None:
            raise _not_found()
        party = row["from_mechanic_id"] if as_offerer else row["to_mechanic_id"]
        if party != mechanic.pk:
            raise _not_found()
        session = _lock_session(Session(pk=row["session_id"]))
        locked = _lock_transfer(transfer.pk)
        if locked.status == status:
            return locked  # the same answer again: nothing to do
        if locked.status != Status.OFFERED:
            raise _closed(locked)
        now = timezone.now()
        if _stale(locked, session) or _due(locked, now):
            _lapse_locked(locked, session, now=now)
            refusal = _closed(locked)
        else:
            _close(
                locked,
                session,
                status=status,
                event=SessionEventType.TRANSFER_DECLINED,
                actor=mechanic.user,
                now=now,
                reason=reason.strip(),
                by="offerer" if as_offerer else "colleague",
            )
    if refusal is not None:
        raise refusal
    return locked


def transfer_decline(*, transfer: SessionTransfer, mechanic: Mechanic, reason: str = "") -> SessionTransfer:
    """The colleague says no (with an optional reason): the offering mechanic keeps the session
    and is told."""
    return _answer_open(transfer, mechanic=mechanic, as_offerer=False, status=Status.DECLINED, reason=reason)


def transfer_withdraw(*, transfer: SessionTransfer, mechanic: Mechanic) -> SessionTransfer:
    """The offering mechanic takes an unanswered offer back."""
    return _answer_open(transfer, mechanic=mechanic, as_offerer=True, status=Status.WITHDRAWN)


# --- the lapse sweep ---------------------------------------------------------------------------


def transfer_lapse(*, transfer: SessionTransfer, now: datetime | None = None) -> SessionTransfer:
    """System: an open offer past its time (or whose session moved on) falls back to the offering
    mechanic. Re-checked on the locked rows: an offer answered meanwhile is left alone."""
    with transaction.atomic():
        session_id = (
            SessionTransfer.objects.filter(pk=transfer.pk).values_list("session_id", flat=True).first()
        )
        if session_id is None:
            raise _not_found()
        session = _lock_session(Session(pk=session_id))
        locked = _lock_transfer(transfer.pk)
        now = now or timezone.now()
        if locked.status != Status.OFFERED:
            raise _closed(locked)
        if not (_stale(locked, session) or _due(locked, now)):
            raise DomainError("transfer_open", "This offer is still open.")
        _lapse_locked(locked, session, now=now)
    return locked


def transfers_lapse_due(*, now: datetime | None = None) -> int:
    """Every minute: lapse the open offers older than TRANSFER_OFFER_MINUTES, and those whose
    session is no longer the offering mechanic's waiting or live one."""
    now = now or timezone.now()
    open_offers = SessionTransfer.objects.filter(status=Status.OFFERED)
    due = open_offers.filter(created_at__lte=now - offer_lifetime())
    stale = open_offers.filter(
        ~Q(session__status__in=WORKING_STATUSES) | ~Q(session__mechanic_id=F("from_mechanic_id"))
    )
    ids = sorted(set(due.values_list("id", flat=True)) | set(stale.values_list("id", flat=True)))
    done = 0
    for pk in ids:
        try:
            transfer_lapse(transfer=SessionTransfer(pk=pk), now=now)
        except DomainError:
            continue  # answered or withdrawn meanwhile: the other side won
        done += 1
    return done
