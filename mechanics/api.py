"""The mechanic JSON API of SPEC §5, on the one NinjaAPI (cookie login, CSRF on unsafe methods).

Errors are {"error": code, "detail": sentence}: DomainError from the services keeps its own
status (409 already_taken / at_capacity / invalid_transition), 404 when the session is not
this mechanic's, 403 for a signed-in user who is not a mechanic, 401 when not signed in.
"""

from datetime import datetime
from typing import Any, Literal

from django.db.models import Count, Min
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from autodoctor.access import api_mechanic
from autodoctor.api import error_responses, form_error
from autodoctor.errors import DomainError
from sessions_app.capacity import capacity_use
from sessions_app.forms import SUMMARY_MAX, SUMMARY_REQUIRED
from sessions_app.models import Session, SessionAssignment, SessionTransfer
from sessions_app.routing import RouteRequest, Specialties, match
from sessions_app.schemas import SessionOut, session_payload
from sessions_app.selectors import active_sessions_for_mechanic, queue_for_mechanic
from sessions_app.services import (
    session_accept,
    session_complete,
    session_force_end_all,
    session_release,
    session_start,
    transfer_accept,
    transfer_decline,
    transfer_offer,
    transfer_withdraw,
)
from sessions_app.services.transfers import offer_lapses_at
from sessions_app.transfer_selectors import transfer_for_mechanic, transfers_for_dashboard
from sessions_app.transitions import SessionStatus

from .dashboard import TRANSFER_NOTICE, DashboardFilters, MechanicDashboard
from .forms import MechanicSettingsForm
from .models import Mechanic
from .selectors import dashboard_mechanic, own_sessions
from .services import mechanic_update_settings

router = Router(tags=["mechanic"])

QUEUE_LIMIT_MAX = 200


class AssignmentOut(Schema):
    id: int
    session_id: int
    urgent: bool
    queued_at: datetime
    waiting_seconds: int
    type: str
    plan: str
    plan_name: str
    duration_minutes: int
    customer_first_name: str
    vehicle: str
    concern: str
    accept_url: str
    matches: list[str] = Field(description="What this request matches of my expertise, e.g. Toyota, brakes.")
    capacity_weight: int = Field(description="How much of my capacity budget this request would take.")
    first_look_until: datetime | None = Field(
        description="While set and in the future: offered first to me (and other matching mechanics)."
    )


class QueueOut(Schema):
    assignments: list[AssignmentOut]
    total: int
    blocked: bool = Field(description="No waiting request fits my capacity budget.")
    active_count: int
    capacity: int = Field(description="My capacity budget (sum of plan weights I may hold).")
    used: int = Field(description="The capacity weights of my waiting and live sessions.")


class AcceptOut(Schema):
    session: SessionOut
    url: str


class SessionsOut(Schema):
    sessions: list[SessionOut]


class ForceEndOut(Schema):
    released: int
    completed: int


class CompleteIn(Schema):
    summary: str = Field(
        min_length=1, max_length=SUMMARY_MAX, description="The mechanic's findings, shown to the customer."
    )


def assignment_payload(
    assignment: SessionAssignment, *, now: datetime, specialties: Specialties | None = None
) -> dict[str, Any]:
    """One queued request as the queue endpoint shows it (needs queue_for_mechanic's joins)."""
    session = assignment.session
    intake = session.intake
    matches = (
        match(specialties, RouteRequest.of(session)) if specialties is not None and specialties.any else []
    )
    open_now = assignment.opened_at is not None or assignment.first_look_until is None
    return {
        "matches": matches,
        "capacity_weight": session.plan.capacity_weight,
        "first_look_until": None if open_now else assignment.first_look_until,
        "id": assignment.pk,
        "session_id": session.pk,
        "urgent": assignment.urgent,
        "queued_at": assignment.queued_at,
        "waiting_seconds": max(0, int((now - assignment.queued_at).total_seconds())),
        "type": session.type,
        "plan": session.plan.code,
        "plan_name": session.plan.name,
        "duration_minutes": session.plan.duration_minutes,
        "customer_first_name": session.customer.first_name,
        "vehicle": intake.vehicle if intake else "Vehicle not given",
        "concern": intake.concern if intake else "",
        "accept_url": f"/api/mechanic/assignments/{assignment.pk}/accept",
    }


def _own_session(request: HttpRequest, session_id: int) -> tuple[Mechanic, Session]:
    mechanic = api_mechanic(request)
    session = own_sessions(mechanic=mechanic).filter(pk=session_id).first()
    if session is None:
        raise DomainError("not_found", "No such session among yours.")
    return mechanic, session


@router.get(
    "/mechanic/queue",
    response={200: QueueOut, **error_responses(400, 403)},
    summary="The queue this mechanic may claim from",
)
def get_queue(request: HttpRequest, limit: int = 50) -> dict[str, Any]:
    """Queued requests visible to this mechanic, urgent first, then oldest first.
    `blocked` is true when the mechanic is at capacity and must finish or release work first."""
    mechanic = api_mechanic(request)
    limit = max(1, min(limit, QUEUE_LIMIT_MAX))
    now = timezone.now()
    queue = queue_for_mechanic(mechanic=mechanic, now=now)
    use = capacity_use(mechanic=mechanic)
    specialties = Specialties.of(mechanic)
    totals = queue.order_by().aggregate(total=Count("id"), lightest=Min("session__plan__capacity_weight"))
    lightest = totals["lightest"]
    blocked = use.used >= use.budget or (lightest is not None and not use.fits(lightest))
    return {
        "assignments": [assignment_payload(a, now=now, specialties=specialties) for a in queue[:limit]],
        "total": totals["total"],
        "blocked": blocked,
        "active_count": use.count,
        "capacity": mechanic.max_active_sessions,
        "used": use.used,
    }


@router.post(
    "/mechanic/assignments/{assignment_id}/accept",
    response={200: AcceptOut, **error_responses(404, 409, post=True)},
    summary="Claim a queued request",
)
def accept_assignment(request: HttpRequest, assignment_id: int) -> dict[str, Any]:
    """Exactly one of several concurrent callers wins; the others get 409 `already_taken`.
    409 `at_capacity` when the request's plan weight does not fit the mechanic's capacity budget;
    409 `first_look` while the request is offered first to other mechanics (with when it opens)."""
    mechanic = api_mechanic(request)
    assignment = SessionAssignment.objects.filter(pk=assignment_id).only("id").first()
    if assignment is None:
        raise DomainError("not_found", "That request does not exist.")
    session = session_accept(assignment=assignment, mechanic=mechanic)
    return {"session": session_payload(session), "url": session.get_absolute_url()}


@router.get(
    "/mechanic/active-sessions",
    response={200: SessionsOut, **error_responses(403)},
    summary="My waiting and live sessions",
)
def get_active_sessions(request: HttpRequest) -> dict[str, Any]:
    mechanic = api_mechanic(request)
    return {"sessions": [session_payload(s) for s in active_sessions_for_mechanic(mechanic=mechanic)]}


@router.post(
    "/mechanic/force-end-all",
    response={200: ForceEndOut, **error_responses(post=True)},
    summary="Emergency: end all my sessions",
)
def force_end_all(request: HttpRequest) -> dict[str, int]:
    """Waiting sessions are released to the queue (original place), live ones completed."""
    return session_force_end_all(mechanic=api_mechanic(request))


@router.post(
    "/sessions/{session_id}/start",
    response={200: SessionOut, **error_responses(404, 409, post=True)},
    summary="Go live",
)
def start_session(request: HttpRequest, session_id: int) -> dict[str, Any]:
    mechanic, session = _own_session(request, session_id)
    return session_payload(session_start(session=session, mechanic=mechanic))


@router.post(
    "/sessions/{session_id}/complete",
    response={200: SessionOut, **error_responses(404, 409, post=True)},
    summary="Complete a live session with a summary",
)
def complete_session(request: HttpRequest, session_id: int, payload: CompleteIn) -> dict[str, Any]:
    mechanic, session = _own_session(request, session_id)
    if not payload.summary.strip():
        raise DomainError("invalid_input", SUMMARY_REQUIRED)
    return session_payload(session_complete(session=session, mechanic=mechanic, summary=payload.summary))


@router.post(
    "/sessions/{session_id}/release",
    response={200: SessionOut, **error_responses(404, 409, post=True)},
    summary="Cancel / Unlock: back to the queue",
)
def release_session(request: HttpRequest, session_id: int) -> dict[str, Any]:
    """The request goes back to the queue at its original place; the customer is told."""
    mechanic, session = _own_session(request, session_id)
    return session_payload(session_release(session=session, mechanic=mechanic))


# --- issue 14: notification settings (the Settings page's rules, through its form) ------------


class QuietHoursIO(Schema):
    start: str = Field(max_length=8, description='Local time in `time_zone`, e.g. "22:00".')
    end: str = Field(max_length=8, description='Local time, e.g. "07:00"; before start: wraps midnight.')


class MechanicSettingsOut(Schema):
    email_notifications: bool
    show_dashboard_tip: bool
    quiet_hours: QuietHoursIO | None
    time_zone: str


class MechanicSettingsPatch(Schema):
    email_notifications: bool | None = None
    show_dashboard_tip: bool | None = None
    quiet_hours: QuietHoursIO | None = Field(None, description="null: no quiet hours; left out: kept.")
    time_zone: str | None = Field(None, max_length=64, description="IANA name, e.g. Europe/Berlin.")


# The form's field names as the API names them, for the 400's `field`.
SETTINGS_API_FIELDS = {"quiet_hours_start": "quiet_hours.start", "quiet_hours_end": "quiet_hours.end"}


def settings_payload(mechanic: Mechanic) -> dict[str, Any]:
    start, end = mechanic.quiet_hours_start, mechanic.quiet_hours_end
    quiet = {"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")} if start and end else None
    return {
        "email_notifications": mechanic.email_notifications,
        "show_dashboard_tip": mechanic.show_dashboard_tip,
        "quiet_hours": quiet,
        "time_zone": mechanic.time_zone,
    }


@router.get(
    "/mechanic/settings",
    response={200: MechanicSettingsOut, **error_responses(403)},
    summary="My notification settings",
)
def get_settings(request: HttpRequest) -> dict[str, Any]:
    return settings_payload(api_mechanic(request))


@router.patch(
    "/mechanic/settings",
    response={200: MechanicSettingsOut, **error_responses(400, 403, post=True)},
    summary="Change my notification settings",
)
def patch_settings(request: HttpRequest, payload: MechanicSettingsPatch) -> Any:
    """Only the fields given change. Quiet hours are read in `time_zone` and may wrap midnight;
    the same rules as the Settings page (400 naming the field otherwise)."""
    mechanic = api_mechanic(request)
    merged = settings_payload(mechanic)
    for name in payload.model_fields_set:
        value = getattr(payload, name)
        if name == "quiet_hours":
            merged[name] = value.model_dump() if value is not None else None
        elif value is not None:
            merged[name] = value
    quiet = merged["quiet_hours"] or {"start": "", "end": ""}
    data = QueryDict(mutable=True)
    data.update(
        {
            "quiet_hours_start": quiet["start"],
            "quiet_hours_end": quiet["end"],
            "time_zone": merged["time_zone"],
            **{name: "on" for name in MechanicSettingsForm.CHECKBOXES if merged[name]},
        }
    )
    form = MechanicSettingsForm(data, mechanic=mechanic)
    if not form.is_valid():
        return form_error(request, form, fields=SETTINGS_API_FIELDS)
    return settings_payload(mechanic_update_settings(mechanic=mechanic, **form.cleaned_data))


# --- issue 14: transfers to a colleague ------------------------------------------------------------


class MechanicRef(Schema):
    id: int
    name: str


class TransferOut(Schema):
    id: int
    session_id: int
    status: str = Field(description="offered, accepted, declined, lapsed or withdrawn")
    session_status: str
    type: str
    plan: str
    customer_first_name: str
    from_mechanic: MechanicRef
    to_mechanic: MechanicRef
    note: str
    reason: str
    created_at: datetime
    lapses_at: datetime
    answered_at: datetime | None
    accept_url: str
    decline_url: str


class TransferIn(Schema):
    to_mechanic: int = Field(ge=1, description="The colleague's mechanic id.")
    note: str = Field("", max_length=1000, description="What the colleague should know.")


class DeclineIn(Schema):
    reason: str = Field("", max_length=500, description="Optional; the offering mechanic sees it.")


class TransfersOut(Schema):
    offered_to_me: list[TransferOut]
    mine: list[TransferOut]


class TransferAcceptOut(Schema):
    session: SessionOut
    url: str
    transfer: TransferOut


def transfer_payload(transfer: SessionTransfer) -> dict[str, Any]:
    """One transfer offer (needs session, its plan and customer, and both mechanics loaded)."""
    session = transfer.session
    return {
        "id": transfer.pk,
        "session_id": session.pk,
        "status": transfer.status,
        "session_status": session.status,
        "type": session.type,
        "plan": session.plan.code,
        "customer_first_name": session.customer.first_name,
        "from_mechanic": {"id": transfer.from_mechanic_id, "name": transfer.from_mechanic.display_name},
        "to_mechanic": {"id": transfer.to_mechanic_id, "name": transfer.to_mechanic.display_name},
        "note": transfer.note,
        "reason": transfer.reason,
        "created_at": transfer.created_at,
        "lapses_at": offer_lapses_at(transfer),
        "answered_at": transfer.answered_at,
        "accept_url": f"/api/transfers/{transfer.pk}/accept",
        "decline_url": f"/api/transfers/{transfer.pk}/decline",
    }


def _party_transfer(mechanic: Mechanic, transfer_id: int) -> SessionTransfer:
    transfer = transfer_for_mechanic(mechanic=mechanic, transfer_id=transfer_id)
    if transfer is None:
        raise DomainError("not_found", "No such transfer offer for you.")
    return transfer


def _reread(mechanic: Mechanic, transfer_id: int) -> dict[str, Any]:
    return transfer_payload(_party_transfer(mechanic, transfer_id))


@router.post(
    "/sessions/{session_id}/transfer",
    response={201: TransferOut, **error_responses(404, 409, post=True)},
    summary="Offer my session to a named colleague",
)
def offer_session_transfer(request: HttpRequest, session_id: int, payload: TransferIn) -> Status:
    """The session stays yours until the colleague accepts; an offer nobody answers within
    TRANSFER_OFFER_MINUTES lapses. 409 `transfer_open` (one open offer per session),
    `not_transferable` (not waiting or live); 400 when `to_mechanic` cannot take it."""
    mechanic, session = _own_session(request, session_id)
    transfer = transfer_offer(
        session=session, mechanic=mechanic, to_mechanic_id=payload.to_mechanic, note=payload.note
    )
    return Status(201, _reread(mechanic, transfer.pk))


@router.get(
    "/mechanic/transfers",
    response={200: TransfersOut, **error_responses(403)},
    summary="Open offers to me, and my own recent offers",
)
def list_transfers(request: HttpRequest) -> dict[str, Any]:
    mechanic = api_mechanic(request)
    rows = transfers_for_dashboard(mechanic=mechanic, since=timezone.now() - TRANSFER_NOTICE)
    return {
        "offered_to_me": [transfer_payload(t) for t in rows if t.to_mechanic_id == mechanic.pk],
        "mine": [transfer_payload(t) for t in rows if t.from_mechanic_id == mechanic.pk],
    }


@router.post(
    "/transfers/{transfer_id}/accept",
    response={200: TransferAcceptOut, **error_responses(404, 409, post=True)},
    summary="Take over a session offered to me",
)
def accept_transfer(request: HttpRequest, transfer_id: int) -> dict[str, Any]:
    """409 `at_capacity` (your capacity is full), `transfer_closed` (declined, withdrawn, lapsed,
    or the session moved on); 404 for anyone but the named colleague."""
    mechanic = api_mechanic(request)
    transfer = _party_transfer(mechanic, transfer_id)
    if transfer.to_mechanic_id != mechanic.pk:
        raise DomainError("not_found", "No such transfer offer for you.")
    session = transfer_accept(transfer=transfer, mechanic=mechanic)
    return {
        "session": session_payload(session),
        "url": session.get_absolute_url(),
        "transfer": _reread(mechanic, transfer_id),
    }


@router.post(
    "/transfers/{transfer_id}/decline",
    response={200: TransferOut, **error_responses(404, 409, post=True)},
    summary="Decline a session offered to me",
)
def decline_transfer(request: HttpRequest, transfer_id: int, payload: DeclineIn) -> dict[str, Any]:
    mechanic = api_mechanic(request)
    transfer = _party_transfer(mechanic, transfer_id)
    transfer_decline(transfer=transfer, mechanic=mechanic, reason=payload.reason)
    return _reread(mechanic, transfer_id)


@router.post(
    "/transfers/{transfer_id}/withdraw",
    response={200: TransferOut, **error_responses(404, 409, post=True)},
    summary="Withdraw my unanswered offer",
)
def withdraw_transfer(request: HttpRequest, transfer_id: int) -> dict[str, Any]:
    mechanic = api_mechanic(request)
    transfer = _party_transfer(mechanic, transfer_id)
    transfer_withdraw(transfer=transfer, mechanic=mechanic)
    return _reread(mechanic, transfer_id)


# --- issue 14: the history tabs --------------------------------------------------------------------


class HistoryQuery(Schema):
    tab: Literal["active", "completed", "all"] = "all"
    q: str = Field("", max_length=100, description="Customer name contains")
    type: Literal["", "chat", "video", "diagnostic"] = ""
    page: int = Field(1, ge=1, le=1_000_000)


class HistoryRowOut(SessionOut):
    outcome: str = Field(description='What happened to it for you, e.g. "Transferred to Sam".')
    mine: bool = Field(description="Still yours (its report, intake and room open to you).")
    rating: int | None
    intake_url: str | None


class HistoryOut(Schema):
    tab: str
    count: int
    page: int
    pages: int
    sessions: list[HistoryRowOut]


@router.get(
    "/mechanic/history",
    response={200: HistoryOut, **error_responses(400, 403)},
    summary="My history tabs: Active, Completed, All History",
)
def get_history(request: HttpRequest, filters: Query[HistoryQuery]) -> dict[str, Any]:
    """The dashboard's tabs, same rows: All History is every session you touched (accepted then
    released, transferred away or to you, completed, expired while yours), each with `outcome`."""
    context = dashboard_mechanic(user=api_mechanic(request).user)
    if context is None:
        raise DomainError("forbidden", "Only mechanics can use this endpoint.")
    dash = MechanicDashboard(
        context=context,
        filters=DashboardFilters(
            tab=filters.tab, search=filters.q, session_type=filters.type, page=filters.page
        ),
    )
    page = dash.page
    rows = []
    for row in dash.history_rows:
        session = row.session
        completed = row.mine and session.status == SessionStatus.COMPLETED
        rows.append(
            {
                **session_payload(session),
                "outcome": row.outcome,
                "mine": row.mine,
                "rating": session.rating.stars if getattr(session, "rating", None) else None,
                "intake_url": f"/api/sessions/{session.pk}/intake" if completed else None,
            }
        )
    return {
        "tab": filters.tab,
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "sessions": rows,
    }
