"""The one way to change a diagnosis: lock the session, check who may edit it now, write, bump
the version and record a DIAGNOSIS_EDITED event saying what changed (the event also pushes the
"session changed" hint to the open room, on commit).

Who may edit: the session's mechanic while it is live and for EDIT_WINDOW after it completed;
the customer may list trouble codes from their reader before the session goes live. Everyone
else who can see the session reads it."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from autodoctor.errors import DomainError
from sessions_app.events import event_record
from sessions_app.models import Session
from sessions_app.transitions import SessionEventType, SessionStatus

from .codes import code_lookup
from .models import CodeStatus, Diagnosis, DiagnosticCode, Finding, System

EDIT_WINDOW = timedelta(hours=24)
BEFORE_LIVE = (SessionStatus.PENDING, SessionStatus.SCHEDULED, SessionStatus.WAITING)
FINDING_FIELDS = ("system", "severity", "observed", "recommendation", "cost_min_cents", "cost_max_cents")


@dataclass(frozen=True)
class FindingData:
    system: str
    severity: str
    observed: str
    recommendation: str = ""
    cost_min_cents: int | None = None
    cost_max_cents: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FINDING_FIELDS}


@dataclass(frozen=True)
class EditRights:
    findings: bool  # findings, checklist, code status and notes: the mechanic's
    codes: bool  # adding and removing codes: also the customer's, before live
    reason: str  # why not, when neither


def _is_mechanic(session: Session, user: User) -> bool:
    return session.mechanic is not None and session.mechanic.user_id == user.pk


def edit_rights(*, session: Session, user: User) -> EditRights:
    """What `user` may change in `session`'s diagnosis now, and why not."""
    now = timezone.now()
    if _is_mechanic(session, user):
        if session.status == SessionStatus.LIVE:
            return EditRights(findings=True, codes=True, reason="")
        if (
            session.status == SessionStatus.COMPLETED
            and session.ended_at
            and now - session.ended_at < EDIT_WINDOW
        ):
            return EditRights(findings=True, codes=True, reason="")
        if session.status == SessionStatus.COMPLETED:
            reason = "The diagnosis can be edited for 24 hours after the session ended; that time has passed."
        elif session.status in BEFORE_LIVE:
            reason = "Start the session first: the diagnosis opens when the session is live."
        else:
            reason = f"This session was {session.get_status_display().lower()}: there is nothing to diagnose."
        return EditRights(findings=False, codes=False, reason=reason)
    if session.customer.user_id == user.pk:
        if session.status in BEFORE_LIVE:
            return EditRights(findings=False, codes=True, reason="")
        return EditRights(
            findings=False, codes=False, reason="Once the session is live, your mechanic keeps the diagnosis."
        )
    return EditRights(findings=False, codes=False, reason="Only the session's mechanic edits the diagnosis.")


def _lock_for_edit(*, session: Session, user: User, part: str) -> Diagnosis:
    """Lock the session row, check `user` may change `part` ("codes" or "findings") now, and
    return the diagnosis (created with the first edit, under the same lock)."""
    session.refresh_from_db(from_queryset=Session.objects.select_for_update())
    rights = edit_rights(session=session, user=user)
    if not getattr(rights, part):
        own_codes = part == "codes" and session.customer.user_id == user.pk
        if _is_mechanic(session, user) or own_codes:
            raise DomainError("diagnosis_closed", rights.reason)  # theirs, but not now: 409
        raise DomainError("forbidden", "Only the session's mechanic edits the diagnosis.")
    diagnosis, _ = Diagnosis.objects.get_or_create(session=session)
    return diagnosis


def _record(
    *,
    session: Session,
    diagnosis: Diagnosis,
    user: User,
    part: str,
    action: str,
    item: int | None,
    changes: dict,
) -> None:
    diagnosis.version += 1
    diagnosis.save(update_fields=["version", "updated_at"])
    event_record(
        session=session,
        type=SessionEventType.DIAGNOSIS_EDITED,
        actor=user,
        data={"version": diagnosis.version, "part": part, "action": action, "id": item, "changes": changes},
    )


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}


@transaction.atomic
def code_add(
    *, session: Session, user: User, code: str, status: str = CodeStatus.ACTIVE, notes: str = ""
) -> DiagnosticCode:
    """List a trouble code (validated by the caller's form). A code already listed is refused."""
    diagnosis = _lock_for_edit(session=session, user=user, part="codes")
    found = code_lookup(code)
    if DiagnosticCode.objects.filter(session=session, code=found.code).exists():
        raise DomainError("invalid_input", f"{found.code} is already listed.", field="code")
    try:
        with transaction.atomic():
            row = DiagnosticCode.objects.create(
                session=session,
                code=found.code,
                status=status,
                description=found.meaning[:200],
                notes=notes,
                added_by=user,
            )
    except IntegrityError:
        raise DomainError("invalid_input", f"{found.code} is already listed.", field="code") from None
    changes = {"code": [None, row.code], "status": [None, status], "notes": [None, notes]}
    _record(
        session=session,
        diagnosis=diagnosis,
        user=user,
        part="code",
        action="added",
        item=row.pk,
        changes=changes,
    )
    return row


def _own_code(session: Session, code_id: int) -> DiagnosticCode:
    row = DiagnosticCode.objects.filter(session=session, pk=code_id).first()
    if row is None:
        raise DomainError("not_found", "That code is not listed on this session.")
    return row


@transaction.atomic
def code_update(*, session: Session, user: User, code_id: int, status: str, notes: str) -> DiagnosticCode:
    diagnosis = _lock_for_edit(session=session, user=user, part="findings")
    row = _own_code(session, code_id)
    changes = _changes({"status": row.status, "notes": row.notes}, {"status": status, "notes": notes})
    if not changes:
        return row
    row.status, row.notes = status, notes
    row.save(update_fields=["status", "notes", "updated_at"])
    changes["code"] = [row.code, row.code]
    _record(
        session=session,
        diagnosis=diagnosis,
        user=user,
        part="code",
        action="changed",
        item=row.pk,
        changes=changes,
    )
    return row


@transaction.atomic
def code_remove(*, session: Session, user: User, code_id: int) -> None:
    diagnosis = _lock_for_edit(session=session, user=user, part="codes")
    row = _own_code(session, code_id)
    if not _is_mechanic(session, user) and row.added_by_id != user.pk:
        raise DomainError("forbidden", "You can remove only the codes you listed.")
    changes = {"code": [row.code, None], "status": [row.status, None], "notes": [row.notes, None]}
    item = row.pk
    row.delete()
    _record(
        session=session,
        diagnosis=diagnosis,
        user=user,
        part="code",
        action="removed",
        item=item,
        changes=changes,
    )


@transaction.atomic
def finding_add(*, session: Session, user: User, data: FindingData) -> Finding:
    diagnosis = _lock_for_edit(session=session, user=user, part="findings")
    finding = Finding.objects.create(session=session, **data.as_dict())
    changes = _changes({}, data.as_dict())
    _record(
        session=session,
        diagnosis=diagnosis,
        user=user,
        part="finding",
        action="added",
        item=finding.pk,
        changes=changes,
    )
    return finding


def _own_finding(session: Session, finding_id: int) -> Finding:
    finding = Finding.objects.filter(session=session, pk=finding_id).first()
    if finding is None:
        raise DomainError("not_found", "That finding is not on this session.")
    return finding


@transaction.atomic
def finding_update(*, session: Session, user: User, finding_id: int, data: FindingData) -> Finding:
    diagnosis = _lock_for_edit(session=session, user=user, part="findings")
    finding = _own_finding(session, finding_id)
    changes = _changes({name: getattr(finding, name) for name in FINDING_FIELDS}, data.as_dict())
    if not changes:
        return finding
    for name in changes:
        setattr(finding, name, getattr(data, name))
    finding.save(update_fields=[*changes, "updated_at"])
    _record(
        session=session,
        diagnosis=diagnosis,
        user=user,
        part="finding",
        action="changed",
        item=finding.pk,
        changes=changes,
    )
    return finding


@transaction.atomic
def finding_remove(*, session: Session, user: User, finding_id: int) -> None:
    diagnosis = _lock_for_edit(session=session, user=user, part="findings")
    finding = _own_finding(session, finding_id)
    before = {name: getattr(finding, name) for name in FINDING_FIELDS}
    item = finding.pk
    finding.delete()
    changes = {name: [value, None] for name, value in before.items()}
    _record(
        session=session,
        diagnosis=diagnosis,
        user=user,
        part="finding",
        action="removed",
        item=item,
        changes=changes,
    )


@transaction.atomic
def checklist_set(*, session: Session, user: User, systems: list[str]) -> Diagnosis:
    """Set the systems inspected (any order in, System order stored); no change, no event."""
    diagnosis = _lock_for_edit(session=session, user=user, part="findings")
    wanted = [value for value in System.values if value in set(systems)]
    if wanted == diagnosis.systems_checked:
        return diagnosis
    changes = {"systems_checked": [diagnosis.systems_checked, wanted]}
    diagnosis.systems_checked = wanted
    diagnosis.save(update_fields=["systems_checked", "updated_at"])
    _record(
        session=session,
        diagnosis=diagnosis,
        user=user,
        part="checklist",
        action="changed",
        item=None,
        changes=changes,
    )
    return diagnosis
