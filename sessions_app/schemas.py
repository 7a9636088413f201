"""The one session object of the JSON API (SPEC §5), shared by every router that returns one."""

from datetime import datetime
from typing import Any

from ninja import Schema

from .models import Session


class SessionOut(Schema):
    id: int
    type: str
    plan: str
    plan_name: str
    status: str
    payment_method: str
    customer_name: str
    mechanic_name: str | None
    urgent: bool
    created_at: datetime
    scheduled_for: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    summary: str
    url: str


def session_payload(session: Session) -> dict[str, Any]:
    """The session object of SPEC §5. Needs plan, customer and mechanic loaded (select_related)."""
    return {
        "id": session.pk,
        "type": session.type,
        "plan": session.plan.code,
        "plan_name": session.plan.name,
        "status": session.status,
        "payment_method": session.payment_method,
        "customer_name": session.customer.full_name,
        "mechanic_name": session.mechanic.display_name if session.mechanic is not None else None,
        "urgent": session.urgent,
        "created_at": session.created_at,
        "scheduled_for": session.scheduled_for,
        "started_at": session.started_at,
        "ended_at": session.ended_at,
        "summary": session.summary,
        "url": session.get_absolute_url(),
    }
