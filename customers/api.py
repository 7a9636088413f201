"""Customer rows of the JSON API (SPEC §5): the active session, cancel/end, intake and waiver."""

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field, field_validator

from autodoctor.access import api_customer
from autodoctor.api import error_responses, form_error
from sessions_app.models import Session
from sessions_app.schemas import SessionOut, session_payload
from sessions_app.selectors import active_session_for_customer
from sessions_app.services import session_cancel, session_end_by_customer, session_keep_waiting
from sessions_app.transitions import SessionStatus

from . import selectors
from .forms import IntakeForm, WaiverForm
from .services import IntakeDetails, intake_create, waiver_submit

router = Router(tags=["customer"])


class ActiveSessionOut(SessionOut):
    queue_position: int | None = None
    estimated_wait_seconds: int | None = None
    # Ask before expiry: when the customer was asked to keep waiting (null: not asked), when a
    # pending request expires if nobody takes it (null otherwise), and whether they kept waiting.
    asked_at: datetime | None = None
    expires_at: datetime | None = None
    wait_extended: bool = False


class KeepWaitingOut(Schema):
    session: SessionOut
    extended: bool
    detail: str


class ActiveSessionEnvelope(Schema):
    session: ActiveSessionOut | None


class SessionEnvelope(Schema):
    session: SessionOut


class VehicleIn(Schema):
    year: int | None = None
    make: str = ""
    model: str = ""
    vin: str = ""
    mileage: int | None = None


class IntakeIn(Schema):
    plan: str
    pay_with: str | None = None
    vehicle: VehicleIn = VehicleIn()
    concern: str = ""
    urgent: bool = False
    scheduled_for: datetime | None = Field(
        None,
        description=(
            "ISO 8601. With an offset (`2026-11-24T09:00:00+09:00`, or `Z`) it is that instant; "
            "without one (`2026-11-24T09:00`) it is read in the customer's own time zone (their "
            "account's `time_zone`, UTC by default)."
        ),
    )
    system: str = ""  # route (issue 14): optional, e.g. "brakes" (autodoctor.vocabulary)
    language: str = ""  # route: optional language code, e.g. "es"

    @field_validator("vehicle", mode="before")
    @classmethod
    def vehicle_is_an_object(cls, value: object) -> object:
        # ninja's schemas read attributes off anything, so "Ford" or [] would become an empty
        # vehicle: say so instead of dropping what the client sent.
        if not isinstance(value, dict | VehicleIn):
            raise ValueError("give the vehicle as an object with year, make, model and vin (or leave it out)")
        return value


class IntakeStartOut(Schema):
    intake_id: int
    next: str
    warnings: list[str] = []


class WaiverIn(Schema):
    intake_id: int
    full_name: str
    agreed: bool


class CheckoutOut(Schema):
    checkout_url: str


# Form field -> the API's name for it (the intake form flattens the vehicle).
INTAKE_FIELDS = {
    "vehicle_year": "vehicle.year",
    "vehicle_make": "vehicle.make",
    "vehicle_model": "vehicle.model",
    "vin": "vehicle.vin",
    "mileage": "vehicle.mileage",
}


def customer_user(request: HttpRequest) -> User:
    """The signed-in customer's user (django_auth has already refused anonymous callers)."""
    return api_customer(request).user


def _own_session(request: HttpRequest, session_id: int) -> Session:
    customer = api_customer(request)
    session = selectors.customer_session(customer=customer, session_id=session_id)
    if session is None:
        raise Http404
    return session


@router.get("/customer/active-session", response={200: ActiveSessionEnvelope, **error_responses(403)})
def active_session(request: HttpRequest) -> dict[str, Any]:
    """The customer's active session or null; a pending one has its place in line and wait."""
    active = active_session_for_customer(customer=api_customer(request))
    if active is None:
        return {"session": None}
    payload = session_payload(active.session)
    payload["queue_position"] = active.queue_position
    payload["estimated_wait_seconds"] = active.estimated_wait_seconds
    pending = active.session.status == SessionStatus.PENDING
    payload["asked_at"] = active.session.wait_asked_at
    payload["expires_at"] = active.session.expires_at if pending else None
    payload["wait_extended"] = active.session.wait_extended_until is not None
    return {"session": payload}


@router.post(
    "/sessions/{session_id}/keep-waiting",
    response={200: KeepWaitingOut, **error_responses(404, 409, post=True)},
)
def keep_waiting(request: HttpRequest, session_id: int) -> dict[str, Any]:
    """Ask before expiry: keep a pending request in the queue KEEP_WAITING_MINUTES longer, once
    (`extended` false: it was already extended, nothing changed). 409 `already_taken`,
    `already_expired` or `not_pending` once it is no longer pending."""
    session = _own_session(request, session_id)
    answer = session_keep_waiting(session=session, user=customer_user(request))
    return {"session": session_payload(answer.session), "extended": answer.extended, "detail": answer.message}


@router.post(
    "/sessions/{session_id}/cancel", response={200: SessionEnvelope, **error_responses(404, 409, post=True)}
)
def cancel_session(request: HttpRequest, session_id: int) -> dict[str, Any]:
    """Cancel before the session goes live (refunded); 409 once it is live or over."""
    session = _own_session(request, session_id)
    session_cancel(session=session, user=customer_user(request), reason="customer")
    return {"session": session_payload(session)}


@router.post(
    "/sessions/{session_id}/end", response={200: SessionEnvelope, **error_responses(404, 409, post=True)}
)
def end_session(request: HttpRequest, session_id: int) -> dict[str, Any]:
    """The customer's End Session: completes a live session, cancels one not started; 409 if over."""
    session = _own_session(request, session_id)
    session_end_by_customer(session=session, user=customer_user(request))
    return {"session": session_payload(session)}


@router.post(
    "/intake/start",
    response={201: IntakeStartOut, **error_responses(409, 429, post=True)},
)
def intake_start(request: HttpRequest, payload: IntakeIn) -> Any:
    """Validate and save the intake (no attachments through the API); next step: the waiver."""
    customer = api_customer(request)
    vehicle = payload.vehicle
    form = IntakeForm(
        data={
            "plan": payload.plan,
            "pay_with": payload.pay_with or "",
            "concern": payload.concern,
            "urgent": "on" if payload.urgent else "",
            "scheduled_for": payload.scheduled_for.isoformat() if payload.scheduled_for else "",
            "vehicle_year": "" if vehicle.year is None else str(vehicle.year),
            "vehicle_make": vehicle.make,
            "vehicle_model": vehicle.model,
            "vin": vehicle.vin,
            "mileage": "" if vehicle.mileage is None else str(vehicle.mileage),
            "system": payload.system,
            "language": payload.language,
        }
    )
    if not form.is_valid():
        return form_error(request, form, fields=INTAKE_FIELDS)
    intake = intake_create(customer=customer, details=IntakeDetails.from_cleaned(form.cleaned_data, []))
    return Status(201, {"intake_id": intake.pk, "next": "waiver", "warnings": list(form.warnings.values())})


@router.post(
    "/waiver/submit",
    response={
        200: CheckoutOut,
        201: SessionEnvelope,
        **error_responses(402, 404, 409, post=True),
    },
)
def waiver_submit_endpoint(request: HttpRequest, payload: WaiverIn) -> Any:
    """Sign the waiver: 201 with the session (free, credits), 200 with the checkout URL (card)."""
    customer = api_customer(request)
    intake = selectors.customer_intake(customer=customer, intake_id=payload.intake_id)
    if intake is None:
        raise Http404
    form = WaiverForm(data={"full_name": payload.full_name, "agreed": "on" if payload.agreed else ""})
    if not form.is_valid():
        return form_error(request, form)
    outcome = waiver_submit(
        intake=intake,
        full_name=form.cleaned_data["full_name"],
        agreed=form.cleaned_data["agreed"],
        ip_address=request.META.get("REMOTE_ADDR"),
        user_agent=request.headers.get("User-Agent", ""),
        site_url=request.build_absolute_uri("/"),
    )
    if outcome.checkout_url:
        return Status(200, {"checkout_url": outcome.checkout_url})
    assert outcome.session is not None  # free and credit plans always get their session
    session = selectors.customer_session(customer=customer, session_id=outcome.session.pk)
    return Status(201, {"session": session_payload(session or outcome.session)})
