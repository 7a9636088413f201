"""The diagnosis in the JSON API: trouble codes, findings and the checklist of a session, with the
same rules as the toolkit (the same forms, the same services), and the VIN decoder.

A session the caller may not see is 404; one they may see but not edit now is 409
(`diagnosis_closed`, with the reason) or 403 (not theirs to edit)."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status

from autodoctor.api import error_responses, form_error

from . import services
from .forms import ChecklistForm, CodeEditForm, CodeForm, FindingForm
from .models import CodeStatus, DiagnosticCode, Finding, Severity, System
from .selectors import DiagnosisView, diagnosis_of, viewable_diagnostic_session
from .vin import vin_decode

router = Router(tags=["diagnostics"])

READ_ERRORS = error_responses(400, 404)
WRITE_ERRORS = error_responses(403, 404, 409, post=True)
# The API's names for the finding form's fields (the page takes dollars, the API cents).
FINDING_FIELDS = {"cost_min": "cost_min_cents", "cost_max": "cost_max_cents"}


class VinOut(Schema):
    vin: str
    valid: bool
    error: str = Field(description="Why this is not a VIN (empty when it is one).")
    warning: str = Field(description="A well-formed VIN whose check digit does not match.")
    manufacturer: str
    country: str
    region: str
    model_year: int | None
    check_digit_ok: bool


class CodeOut(Schema):
    id: int
    code: str
    status: CodeStatus
    description: str
    notes: str
    created_at: datetime


class FindingOut(Schema):
    id: int
    system: System
    severity: Severity
    severity_label: str
    observed: str
    recommendation: str
    cost_min_cents: int | None
    cost_max_cents: int | None


class DiagnosisOut(Schema):
    version: int = Field(description="Bumped by every edit (each one is a diagnosis_edited event).")
    editable: bool = Field(description="Whether the caller may change findings and the checklist now.")
    codes_editable: bool = Field(description="Whether the caller may add or remove codes now.")
    reason: str = Field(description="Why not, when the caller may not edit.")
    codes: list[CodeOut]
    findings: list[FindingOut]
    systems_checked: list[System]


class CodeIn(Schema):
    code: str = Field(max_length=12, examples=["P0301"])
    status: CodeStatus = CodeStatus.ACTIVE
    notes: str = Field("", max_length=1000)


class CodeChangeIn(Schema):
    status: CodeStatus
    notes: str = Field("", max_length=1000)


class FindingIn(Schema):
    system: System
    severity: Severity
    observed: str = Field(max_length=4000)
    recommendation: str = Field("", max_length=4000)
    cost_min_cents: int | None = Field(
        None, ge=0, le=100_000_000, description="Integer cents; with max, or neither."
    )
    cost_max_cents: int | None = Field(
        None, ge=0, le=100_000_000, description="Integer cents, at least the min."
    )


class ChecklistIn(Schema):
    systems: list[System] = Field(max_length=len(System.values))


def _code(row: DiagnosticCode) -> dict[str, Any]:
    return {
        "id": row.pk,
        "code": row.code,
        "status": row.status,
        "description": row.description,
        "notes": row.notes,
        "created_at": row.created_at,
    }


def _finding(row: Finding) -> dict[str, Any]:
    return {
        "id": row.pk,
        "system": row.system,
        "severity": row.severity,
        "severity_label": row.get_severity_display(),
        "observed": row.observed,
        "recommendation": row.recommendation,
        "cost_min_cents": row.cost_min_cents,
        "cost_max_cents": row.cost_max_cents,
    }


def _diagnosis(view: DiagnosisView) -> dict[str, Any]:
    return {
        "version": view.version,
        "editable": view.rights.findings,
        "codes_editable": view.rights.codes,
        "reason": view.rights.reason,
        "codes": [_code(row) for row in view.codes],
        "findings": [_finding(row) for row in view.findings],
        "systems_checked": view.systems_checked,
    }


def _session_and_user(request: HttpRequest, session_id: int) -> tuple[Any, User]:
    user = request.user
    assert isinstance(user, User)  # django_auth has refused anonymous callers
    session = viewable_diagnostic_session(user=user, session_id=session_id)
    if session is None:
        raise Http404
    return session, user


def _dollars(cents: int | None) -> str:
    return "" if cents is None else str(Decimal(cents) / 100)


def _finding_form(payload: FindingIn) -> FindingForm:
    return FindingForm(
        data={
            "system": payload.system,
            "severity": payload.severity,
            "observed": payload.observed,
            "recommendation": payload.recommendation,
            "cost_min": _dollars(payload.cost_min_cents),
            "cost_max": _dollars(payload.cost_max_cents),
        }
    )


@router.get("/vin/decode", response={200: VinOut, **error_responses(400)}, url_name="vin_decode")
def decode_vin(request: HttpRequest, vin: Query[str] = "") -> dict[str, Any]:  # type: ignore[assignment]
    """What a VIN tells (manufacturer, country, model year, check digit), decoded by vininfo."""
    facts = vin_decode(vin)
    return {
        "vin": facts.vin,
        "valid": facts.valid,
        "error": facts.error,
        "warning": facts.warning,
        "manufacturer": facts.manufacturer,
        "country": facts.country,
        "region": facts.region,
        "model_year": facts.model_year,
        "check_digit_ok": facts.check_digit_ok,
    }


@router.get("/sessions/{session_id}/diagnosis", response={200: DiagnosisOut, **READ_ERRORS})
def get_diagnosis(request: HttpRequest, session_id: int) -> dict[str, Any]:
    """The session's codes, findings and checklist, and whether the caller may edit them now."""
    session, user = _session_and_user(request, session_id)
    return _diagnosis(diagnosis_of(session=session, user=user))


@router.post("/sessions/{session_id}/codes", response={201: CodeOut, **WRITE_ERRORS})
def add_code(request: HttpRequest, session_id: int, payload: CodeIn) -> Any:
    """List a trouble code: the mechanic while live (and 24 h after), the customer before live."""
    session, user = _session_and_user(request, session_id)
    form = CodeForm(data=payload.dict())
    if not form.is_valid():
        return form_error(request, form)
    data = form.cleaned_data
    row = services.code_add(
        session=session, user=user, code=data["code"], status=data["status"], notes=data["notes"]
    )
    return Status(201, _code(row))


@router.patch("/sessions/{session_id}/codes/{code_id}", response={200: CodeOut, **WRITE_ERRORS})
def change_code(request: HttpRequest, session_id: int, code_id: int, payload: CodeChangeIn) -> Any:
    """Set a code's status (active, pending, cleared) and notes: the mechanic."""
    session, user = _session_and_user(request, session_id)
    form = CodeEditForm(data=payload.dict())
    if not form.is_valid():
        return form_error(request, form)
    data = form.cleaned_data
    return _code(
        services.code_update(
            session=session, user=user, code_id=code_id, status=data["status"], notes=data["notes"]
        )
    )


@router.delete("/sessions/{session_id}/codes/{code_id}", response={204: None, **WRITE_ERRORS})
def remove_code(request: HttpRequest, session_id: int, code_id: int) -> Any:
    session, user = _session_and_user(request, session_id)
    services.code_remove(session=session, user=user, code_id=code_id)
    return Status(204, None)


@router.post("/sessions/{session_id}/findings", response={201: FindingOut, **WRITE_ERRORS})
def add_finding(request: HttpRequest, session_id: int, payload: FindingIn) -> Any:
    """Add a finding (cost range in integer cents, min ≤ max): the session's mechanic."""
    session, user = _session_and_user(request, session_id)
    form = _finding_form(payload)
    if not form.is_valid():
        return form_error(request, form, fields=FINDING_FIELDS)
    return Status(201, _finding(services.finding_add(session=session, user=user, data=form.finding_data())))


@router.put("/sessions/{session_id}/findings/{finding_id}", response={200: FindingOut, **WRITE_ERRORS})
def replace_finding(request: HttpRequest, session_id: int, finding_id: int, payload: FindingIn) -> Any:
    """Rewrite a finding (every field): the session's mechanic."""
    session, user = _session_and_user(request, session_id)
    form = _finding_form(payload)
    if not form.is_valid():
        return form_error(request, form, fields=FINDING_FIELDS)
    finding = services.finding_update(
        session=session, user=user, finding_id=finding_id, data=form.finding_data()
    )
    return _finding(finding)


@router.delete("/sessions/{session_id}/findings/{finding_id}", response={204: None, **WRITE_ERRORS})
def remove_finding(request: HttpRequest, session_id: int, finding_id: int) -> Any:
    session, user = _session_and_user(request, session_id)
    services.finding_remove(session=session, user=user, finding_id=finding_id)
    return Status(204, None)


@router.put("/sessions/{session_id}/checklist", response={200: DiagnosisOut, **WRITE_ERRORS})
def set_checklist(request: HttpRequest, session_id: int, payload: ChecklistIn) -> Any:
    """Set the systems inspected (the whole list): the session's mechanic."""
    session, user = _session_and_user(request, session_id)
    form = ChecklistForm(data={"systems": [str(s) for s in payload.systems]})
    if not form.is_valid():
        return form_error(request, form)
    services.checklist_set(session=session, user=user, systems=form.cleaned_data["systems"])
    return _diagnosis(diagnosis_of(session=session, user=user))
