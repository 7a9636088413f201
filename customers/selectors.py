"""Reads for the customer pages: the banner, the dashboard panels, intakes and attachments."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from customers.models import CreditLedger, Customer, Intake, IntakeAttachment, Payment
from sessions_app.models import Plan, Session, SessionEvent
from sessions_app.selectors import (
    CustomerActiveSession,
    active_session_for_customer,
    session_history,
    session_version,
    state_version,
)
from sessions_app.transitions import ACTIVE_STATUSES, SessionStatus

REFUND_NOTICE_DAYS = 14
NO_SESSION_VERSION = "none"


# --- the active-session banner ---------------------------------------------------------------


@dataclass
class ActiveSessionBanner:
    """What the banner shows, and the version stamp its poll sends back."""

    version: str
    active: CustomerActiveSession | None = None
    latest_event: str = ""

    @property
    def session(self) -> Session | None:
        return self.active.session if self.active else None

    @property
    def released(self) -> bool:
        """The mechanic stepped away: the customer keeps their place in line."""
        return self.latest_event == "released"

    @property
    def estimated_wait_minutes(self) -> int | None:
        seconds = self.active.estimated_wait_seconds if self.active else None
        return None if seconds is None else max(1, round(seconds / 60))


def banner_version(*, customer: Customer) -> str:
    """A cheap stamp that changes whenever the banner would. A pending session's place in line
    moves when anyone else's session changes, so it follows the global event stamp; the other
    statuses follow their own session's events. Two small queries (one with no active session)."""
    row = (
        Session.objects.filter(customer=customer, status__in=ACTIVE_STATUSES)
        .values_list("id", "status")
        .first()
    )
    if row is None:
        return NO_SESSION_VERSION
    session_id, status = row
    stamp = state_version() if status == SessionStatus.PENDING else session_version(session_id=session_id)
    return f"{session_id}-{status}-{stamp}"


def banner_state(*, customer: Customer, version: str | None = None) -> ActiveSessionBanner:
    """The banner's content. The version is read first, so it is never newer than the content
    (at worst the next poll renders once more; it never misses a change)."""
    version = version if version is not None else banner_version(customer=customer)
    active = active_session_for_customer(customer=customer)
    if active is None:
        return ActiveSessionBanner(version=version)
    latest = (
        SessionEvent.objects.filter(session_id=active.session.pk)
        .exclude(type="refunded")
        .order_by("-id")
        .values_list("type", flat=True)
        .first()
    )
    return ActiveSessionBanner(version=version, active=active, latest_event=latest or "")


# --- dashboard -------------------------------------------------------------------------------


def active_session_url(*, customer: Customer) -> str:
    """The room of the customer's active session, or "" (one small query)."""
    row = (
        Session.objects.filter(customer=customer, status__in=ACTIVE_STATUSES)
        .values_list("id", "type")
        .first()
    )
    return Session(pk=row[0], type=row[1]).get_absolute_url() if row else ""


def past_sessions(*, customer: Customer) -> QuerySet[Session]:
    """Ended sessions, newest first, with rating, plan and mechanic loaded."""
    return session_history(customer=customer, group="ended")


def recent_credit_entries(*, customer: Customer, limit: int = 5) -> list[CreditLedger]:
    return list(CreditLedger.objects.filter(customer=customer).select_related("session")[:limit])


def refund_notices(*, customer: Customer) -> list[Payment]:
    """Card payments refunded (or being refunded) recently, with their reason, for the dashboard."""
    since = timezone.now() - timedelta(days=REFUND_NOTICE_DAYS)
    return list(
        Payment.objects.filter(customer=customer, refund_requested_at__gte=since)
        .select_related("intake__plan")
        .order_by("-refund_requested_at")
    )


# --- intakes and attachments -----------------------------------------------------------------


def customer_intake(*, customer: Customer, intake_id: int) -> Intake | None:
    """The customer's own intake (None for anyone else's)."""
    return (
        Intake.objects.select_related("plan", "customer__user")
        .prefetch_related("attachments")
        .filter(pk=intake_id, customer=customer)
        .first()
    )


def intake_initial(*, customer: Customer, intake_id: Any) -> dict[str, Any]:
    """Form values copied from an earlier intake of the customer ("change plan" keeps the text)."""
    try:
        intake = customer_intake(customer=customer, intake_id=int(intake_id))
    except (TypeError, ValueError):
        intake = None
    if intake is None:
        return {}
    return {
        "vehicle_year": intake.vehicle_year,
        "vehicle_make": intake.vehicle_make,
        "vehicle_model": intake.vehicle_model,
        "vin": intake.vin,
        "mileage": intake.mileage,
        "concern": intake.concern,
        "urgent": intake.urgent,
    }


def customer_session(*, customer: Customer, session_id: int) -> Session | None:
    """One of the customer's sessions (None for anyone else's)."""
    return (
        Session.objects.select_related("plan", "customer__user", "mechanic__user", "intake")
        .filter(pk=session_id, customer=customer)
        .first()
    )


def attachment_for_viewer(*, user: Any, attachment_id: int) -> IntakeAttachment | None:
    """The attachment if `user` may see it: the intake's customer, a mechanic assigned to a
    session of that intake, or staff. None otherwise (the view answers 404)."""
    if not getattr(user, "is_authenticated", False):
        return None
    attachment = IntakeAttachment.objects.select_related("intake__customer").filter(pk=attachment_id).first()
    if attachment is None:
        return None
    if user.is_staff or attachment.intake.customer.user_id == user.pk:
        return attachment
    assigned = Session.objects.filter(intake_id=attachment.intake_id, mechanic__user_id=user.pk).exists()
    return attachment if assigned else None


def plans_on_offer() -> list[Plan]:
    """Active plans, cheapest first, for the dashboard and the intake form."""
    return list(Plan.objects.filter(active=True).order_by("price_cents", "credit_cost", "code"))
