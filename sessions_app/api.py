"""Session read endpoints shared by customers and mechanics, and the one session payload."""

from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router, Schema

from autodoctor.api import error_responses

from .access import viewable_session
from .schemas import SessionOut, session_payload
from .selectors import display_name_of, session_events

router = Router(tags=["sessions"])


class EventOut(Schema):
    id: int
    type: str
    actor: str | None
    from_status: str
    to_status: str
    data: dict
    created_at: datetime


class IntakeOut(Schema):
    id: int
    vehicle_year: int | None
    vehicle_make: str
    vehicle_model: str
    vin: str
    mileage: int | None
    concern: str
    urgent: bool
    scheduled_for: datetime | None
    attachments: list[dict]


# Any signed-in user may ask; a session they may not see is 404 like a missing one (never 403).
READ_ERRORS = error_responses(400, 404)


@router.get("/sessions/{session_id}", response={200: SessionOut, **READ_ERRORS})
def get_session(request: HttpRequest, session_id: int) -> dict[str, Any]:
    return session_payload(viewable_session(request, session_id))


@router.get("/sessions/{session_id}/events", response={200: dict[str, list[EventOut]], **READ_ERRORS})
def get_session_events(request: HttpRequest, session_id: int) -> dict[str, Any]:
    session = viewable_session(request, session_id)
    return {
        "events": [
            {
                "id": e.pk,
                "type": e.type,
                "actor": display_name_of(e.actor),
                "from_status": e.from_status,
                "to_status": e.to_status,
                "data": e.data,
                "created_at": e.created_at,
            }
            for e in session_events(session=session)
        ]
    }


@router.get("/sessions/{session_id}/intake", response={200: IntakeOut, **READ_ERRORS})
def get_session_intake(request: HttpRequest, session_id: int) -> dict[str, Any]:
    session = viewable_session(request, session_id)
    intake = session.intake
    if intake is None:
        raise Http404
    return {
        "id": intake.pk,
        "vehicle_year": intake.vehicle_year,
        "vehicle_make": intake.vehicle_make,
        "vehicle_model": intake.vehicle_model,
        "vin": intake.vin,
        "mileage": intake.mileage,
        "concern": intake.concern,
        "urgent": intake.urgent,
        "scheduled_for": intake.scheduled_for,
        "attachments": [
            {
                "id": a.pk,
                "name": a.original_name,
                "content_type": a.content_type,
                "size": a.size,
                "url": f"/attachments/{a.pk}/",
            }
            for a in intake.attachments.all()
        ],
    }
