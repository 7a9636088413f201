"""Reads of a diagnosis: the toolkit, the API and the report all take it from here."""

from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Prefetch

from customers.models import IntakeAttachment
from sessions_app.models import Session
from sessions_app.selectors import user_can_view_session

from .models import SEVERITY_RANK, Diagnosis, DiagnosticCode, Finding, Severity, System
from .services import EditRights, edit_rights
from .vin import VinFacts, vin_decode


@dataclass(frozen=True)
class SeverityGroup:
    severity: Severity
    findings: list[Finding]


@dataclass(frozen=True)
class DiagnosisView:
    """A session's diagnosis as the toolkit, the API and the report show it."""

    session: Session
    codes: list[DiagnosticCode]
    findings: list[Finding]
    systems_checked: list[str]
    version: int
    rights: EditRights
    systems: list[tuple[str, str]] = field(default_factory=lambda: list(System.choices))

    @property
    def is_empty(self) -> bool:
        return not (self.codes or self.findings or self.systems_checked)

    @property
    def by_severity(self) -> list[SeverityGroup]:
        """Findings grouped most urgent first (stop driving, fix soon, safe to drive)."""
        ordered = sorted(Severity, key=lambda s: SEVERITY_RANK[s])
        groups = [SeverityGroup(s, [f for f in self.findings if f.severity == s]) for s in ordered]
        return [group for group in groups if group.findings]

    def systems_checked_labels(self) -> list[str]:
        return [label for value, label in System.choices if value in self.systems_checked]


def viewable_diagnostic_session(*, user: User | AnonymousUser, session_id: int) -> Session | None:
    """The session if `user` may see it (its customer, its mechanic, staff), else None."""
    session = (
        Session.objects.select_related("plan", "customer__user", "mechanic__user", "intake", "rating")
        .filter(pk=session_id)
        .first()
    )
    if session is None or not user_can_view_session(user=user, session=session):
        return None
    return session


_UNREAD = object()


def diagnosis_row(*, session: Session) -> Diagnosis | None:
    """The version and checklist (None before the first edit): one query."""
    return Diagnosis.objects.filter(session=session).only("version", "systems_checked").first()


def diagnosis_of(*, session: Session, user: User, row: Diagnosis | None | object = _UNREAD) -> DiagnosisView:
    """Three queries: the codes, the findings, the diagnosis row (unless `row` is given)."""
    diagnosis = diagnosis_row(session=session) if row is _UNREAD else row
    assert diagnosis is None or isinstance(diagnosis, Diagnosis)
    return DiagnosisView(
        session=session,
        codes=list(DiagnosticCode.objects.filter(session=session)),
        findings=list(Finding.objects.filter(session=session)),
        systems_checked=list(diagnosis.systems_checked) if diagnosis else [],
        version=diagnosis.version if diagnosis else 0,
        rights=edit_rights(session=session, user=user),
    )


@dataclass(frozen=True)
class Report:
    """The session's record: what the report page and its PDF show."""

    session: Session
    diagnosis: DiagnosisView
    vin: VinFacts
    photos: list[IntakeAttachment]


def report_for(*, session: Session, user: User) -> Report:
    """The report of a session `user` may see (viewable_diagnostic_session first)."""
    photos = [a for a in session.intake.attachments.all() if a.is_image] if session.intake else []
    return Report(
        session=session,
        diagnosis=diagnosis_of(session=session, user=user),
        vin=vin_decode(session.intake.vin if session.intake else ""),
        photos=photos,
    )


def report_session(*, session_id: int) -> Session | None:
    """A session with everything its report shows, for the emailed PDF (no viewer)."""
    return (
        Session.objects.select_related("plan", "customer__user", "mechanic__user", "intake", "rating")
        .prefetch_related(Prefetch("intake__attachments"))
        .filter(pk=session_id)
        .first()
    )
