"""Reads for the customer pages: the banner, the dashboard panels, intakes and attachments."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from autodoctor.access import mechanic_of
from billing.models import CreditLedger, Payment
from customers.models import Customer, Intake, IntakeAttachment, PayWith
from sessions_app.live import UnchangedPoll, state_token
from sessions_app.models import Plan, Session, SessionEvent
from sessions_app.selectors import (
    CustomerActiveSession,
    active_session_for_customer,
    queue_for_mechanic,
    session_history,
    session_version,
    state_version,
)
from sessions_app.status_view import CustomerEnd, StatusFlags, customer_end
from sessions_app.transitions import STATUS_EVENTS, SessionEventType, SessionStatus

REFUND_NOTICE_DAYS = 14
NO_SESSION_VERSION = "none"


# --- the active-session banner ---------------------------------------------------------------


BANNER_PURPOSE = "customers.banner"
BANNER_TOKEN_MAX_AGE = 15 * 60  # seconds; an older token just takes the checked path once
BANNER_UNCHANGED = UnchangedPoll(BANNER_PURPOSE, "t", BANNER_TOKEN_MAX_AGE)  # the poll's 204 check


@dataclass
class ActiveSessionBanner(StatusFlags):
    """What the banner shows, the version stamp its poll sends back, and the state token that
    lets an unchanged poll skip loading session, user and customer (sessions_app.live)."""

    version: str
    active: CustomerActiveSession | None = None
    latest_event: str = ""
    token: str = ""

    @property
    def session(self) -> Session | None:
        return self.active.session if self.active else None

    @property
    def status(self) -> str:
        return self.active.session.status if self.active else ""

    @cached_property
    def end(self) -> CustomerEnd | None:
        return customer_end(self.active.session) if self.active else None

    @property
    def released(self) -> bool:
        """The mechanic stepped away: the customer is back in line and keeps their place."""
        return self.is_pending and self.latest_event == SessionEventType.RELEASED

    @property
    def promote_before_minutes(self) -> int:
        """A scheduled session joins the queue this long before its time."""
        return settings.PROMOTE_BEFORE_MINUTES

    # [ask hooks] Ask before expiry (sessions_app.services.waiting): the question, and when a
    # pending request will expire if nobody takes it.
    @property
    def expires_at(self) -> datetime | None:
        return self.active.session.expires_at if self.active and self.is_pending else None

    @property
    def wait_asked(self) -> bool:
        """Asked "keep waiting or cancel?" and not answered yet: the banner shows the question."""
        session = self.session
        return (
            self.is_pending
            and session is not None
            and session.wait_asked_at is not None
            and session.wait_extended_until is None
        )

    @property
    def keep_waiting_until(self) -> datetime | None:
        """The expiry a Keep waiting would move to."""
        expires_at = self.expires_at
        if expires_at is None or not self.wait_asked:
            return None
        return expires_at + timedelta(minutes=settings.KEEP_WAITING_MINUTES)

    @property
    def wait_extended(self) -> bool:
        session = self.session
        return self.is_pending and session is not None and session.wait_extended_until is not None

    @property
    def estimated_wait_minutes(self) -> int | None:
        seconds = self.active.estimated_wait_seconds if self.active else None
        return None if seconds is None else max(1, round(seconds / 60))


@dataclass(frozen=True)
class BannerStamp:
    """The banner's version, and the global state version when it was read (None: not read)."""

    version: str
    state: int | None = None


def banner_stamp(*, customer: Customer) -> BannerStamp:
    """A cheap stamp that changes whenever the banner would. A pending session's place in line
    moves when anyone else's session changes, so it follows the global event stamp; the other
    statuses follow their own session's events. Two small queries (one with no active session)."""
    row = Session.objects.active().for_customer(customer).values_list("id", "status").first()
    if row is None:
        return BannerStamp(NO_SESSION_VERSION)
    session_id, status = row
    if status == SessionStatus.PENDING:
        state = state_version()
        return BannerStamp(f"{session_id}-{status}-{state}", state)
    return BannerStamp(f"{session_id}-{status}-{session_version(session_id=session_id)}")


def banner_token(*, session_key: str | None, state: int) -> str:
    """The banner's state token for global state version `state`, which must have been read
    before whatever the banner shows (or compares) was read."""
    if not session_key:
        return ""
    return state_token(purpose=BANNER_PURPOSE, session_key=session_key, version=state)


def banner_state(
    *,
    customer: Customer,
    session_key: str | None = None,
    stamp: BannerStamp | None = None,
    state: int | None = None,
) -> ActiveSessionBanner:
    """The banner's content. The stamp and the token's state version (`state` if the caller
    read it earlier) are read first, so they are never newer than the content (at worst the
    next poll renders once more; it never misses a change)."""
    stamp = stamp if stamp is not None else banner_stamp(customer=customer)
    token = ""
    if stamp.version != NO_SESSION_VERSION:  # nothing to poll for otherwise
        if state is None:
            state = stamp.state if stamp.state is not None else state_version()
        token = banner_token(session_key=session_key, state=state)
    active = active_session_for_customer(customer=customer)
    if active is None:
        return ActiveSessionBanner(version=stamp.version)
    latest = (
        SessionEvent.objects.filter(session_id=active.session.pk)
        .filter(type__in=STATUS_EVENTS)
        .order_by("-id")
        .values_list("type", flat=True)
        .first()
    )
    return ActiveSessionBanner(version=stamp.version, active=active, latest_event=latest or "", token=token)


# --- dashboard -------------------------------------------------------------------------------


def active_session_url(*, customer: Customer) -> str:
    """The room of the customer's active session, or "" (one small query)."""
    row = Session.objects.active().for_customer(customer).values_list("id", "type").first()
    return Session(pk=row[0], type=row[1]).get_absolute_url() if row else ""


def past_sessions(*, customer: Customer) -> QuerySet[Session]:
    """Ended sessions, newest first, with rating, plan and mechanic loaded."""
    return session_history(customer=customer, group="ended")


@dataclass(frozen=True)
class PastSession(StatusFlags):
    """One ended session in the dashboard's list."""

    session: Session

    @property
    def status(self) -> str:
        return self.session.status


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


def wait_link_session(*, session_id: int) -> Session | None:
    """The session a signed keep-waiting link names, with what its page shows (one query)."""
    return Session.objects.select_related("plan", "customer__user", "mechanic").filter(pk=session_id).first()


@dataclass(frozen=True)
class WaitLinkPage(StatusFlags):
    """The signed link's page: the question while the request waits, else what became of it."""

    session: Session
    token: str
    keep_minutes: int

    @property
    def status(self) -> str:
        return self.session.status

    @property
    def is_expired(self) -> bool:
        return self.status == SessionStatus.EXPIRED

    @property
    def taken(self) -> bool:
        return self.is_waiting or self.is_live

    @property
    def extended(self) -> bool:
        return self.session.wait_extended_until is not None

    @property
    def refunds(self) -> bool:
        """Cancelling or expiring gives money or credits back (not for a free plan)."""
        return self.session.payment_method != PayWith.FREE


def attachment_for_viewer(*, user: Any, attachment_id: int) -> IntakeAttachment | None:
    """The attachment if `user` may see it: the intake's customer, a mechanic assigned to a
    session of that intake, a mechanic who may take its queued request, or staff. None
    otherwise (the view answers 404)."""
    if not getattr(user, "is_authenticated", False):
        return None
    attachment = IntakeAttachment.objects.select_related("intake__customer").filter(pk=attachment_id).first()
    if attachment is None:
        return None
    if user.is_staff or attachment.intake.customer.user_id == user.pk:
        return attachment
    assigned = Session.objects.filter(intake_id=attachment.intake_id, mechanic__user_id=user.pk).exists()
    if assigned:
        return attachment
    # [mech hook] A mechanic judging a queued request they may take (its Details page) sees its
    # photos too: the queue's own filters decide.
    mechanic = mechanic_of(user)
    if mechanic is None:
        return None
    queued = queue_for_mechanic(mechanic=mechanic).filter(session__intake_id=attachment.intake_id).exists()
    return attachment if queued else None


def plans_on_offer() -> list[Plan]:
    """Active plans, cheapest first, for the dashboard and the intake form."""
    return list(Plan.objects.filter(active=True).order_by("price_cents", "credit_cost", "code"))
