"""Repair quotes in the JSON API: read by the session's people, sent by its mechanic (or their
workshop), approved or declined by its customer. Same services, same 409s as the pages."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.contrib.auth.models import User
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from pydantic import field_validator

from autodoctor.access import api_mechanic, mechanic_of
from autodoctor.api import error_responses
from sessions_app.models import Session
from sessions_app.selectors import user_can_view_session

from . import rules
from .models import RepairQuote
from .selectors import quote_with_lines, session_quotes
from .services import LineInput, may_quote, quote_approve, quote_decline, quote_send

router = Router(tags=["quotes"])


class QuoteLineIn(Schema):
    kind: Literal["part", "labour"]
    description: str = Field(min_length=1, max_length=rules.MAX_DESCRIPTION)
    quantity: Decimal = Field(
        ge=rules.MIN_QUANTITY,
        le=rules.MAX_QUANTITY,
        decimal_places=2,
        description="Count, or hours for labour.",
    )
    unit_price_cents: int = Field(ge=0, le=rules.MAX_UNIT_PRICE_CENTS)

    @field_validator("description")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("Describe the part or the work.")
        return value


class QuoteIn(Schema):
    lines: list[QuoteLineIn] = Field(min_length=1, max_length=rules.MAX_LINES)
    valid_until: date = Field(
        description="The last day the quote is valid (after today, at most 90 days ahead)."
    )
    tax_rate_percent: Decimal = Field(Decimal(0), ge=0, le=rules.MAX_TAX_RATE_PERCENT, decimal_places=3)
    note: str = Field("", max_length=rules.MAX_NOTE)

    @field_validator("valid_until")
    @classmethod
    def _ahead(cls, value: date) -> date:
        problem = rules.valid_until_problem(value, today=timezone.localdate())
        if problem:
            raise ValueError(problem)
        return value


class DeclineIn(Schema):
    reason: str = Field("", max_length=rules.MAX_DECLINE_REASON)


class QuoteLineOut(Schema):
    kind: str
    description: str
    quantity: str
    unit_price_cents: int
    line_total_cents: int
    currency: str


class QuoteOut(Schema):
    id: int
    session_id: int
    status: Literal["sent", "approved", "declined", "expired"]
    mechanic_id: int
    mechanic_name: str
    currency: str
    tax_rate_percent: str
    subtotal_cents: int
    tax_cents: int
    total_cents: int
    note: str
    valid_until: datetime
    sent_at: datetime
    decided_at: datetime | None
    decline_reason: str
    lines: list[QuoteLineOut]


class QuotesOut(Schema):
    quotes: list[QuoteOut]


def quote_payload(quote: RepairQuote) -> dict[str, Any]:
    """Needs mechanic and lines loaded (quotes.selectors)."""
    return {
        "id": quote.pk,
        "session_id": quote.session_id,
        "status": quote.status,
        "mechanic_id": quote.mechanic_id,
        "mechanic_name": quote.mechanic.display_name,
        "currency": quote.currency,
        "tax_rate_percent": f"{quote.tax_rate_percent.normalize():f}",
        "subtotal_cents": quote.subtotal_cents,
        "tax_cents": quote.tax_cents,
        "total_cents": quote.total_cents,
        "note": quote.note,
        "valid_until": quote.valid_until,
        "sent_at": quote.sent_at,
        "decided_at": quote.decided_at,
        "decline_reason": quote.decline_reason,
        "lines": [
            {
                "kind": x.kind,
                "description": x.description,
                "quantity": f"{x.quantity:f}",
                "unit_price_cents": x.unit_price_cents,
                "line_total_cents": x.line_total_cents,
                "currency": x.currency,
            }
            for x in quote.lines.all()
        ],
    }


def _may_read(user: User, session: Session) -> bool:
    return user_can_view_session(user=user, session=session) or may_quote(
        session=session, mechanic=mechanic_of(user)
    )


def _readable_session(request: HttpRequest, session_id: int) -> Session:
    session = Session.objects.select_related("plan", "customer", "mechanic").filter(pk=session_id).first()
    if session is None or not _may_read(request.user, session):  # type: ignore[arg-type]
        raise Http404
    return session


def _readable_quote(request: HttpRequest, quote_id: int) -> RepairQuote:
    quote = quote_with_lines(quote_id=quote_id)
    if quote is None or not _may_read(request.user, quote.session):  # type: ignore[arg-type]
        raise Http404
    return quote


READ_ERRORS = error_responses(400, 404)


@router.get("/sessions/{session_id}/quotes", response={200: QuotesOut, **READ_ERRORS})
def list_session_quotes(request: HttpRequest, session_id: int) -> dict[str, Any]:
    session = _readable_session(request, session_id)
    return {"quotes": [quote_payload(q) for q in session_quotes(session=session)]}


@router.post(
    "/sessions/{session_id}/quotes",
    response={201: QuoteOut, **error_responses(403, 404, 409, post=True)},
)
def send_quote(request: HttpRequest, session_id: int, payload: QuoteIn) -> Status:
    mechanic = api_mechanic(request)
    session = _readable_session(request, session_id)
    quote = quote_send(
        session=session,
        mechanic=mechanic,
        lines=[LineInput(**line.model_dump()) for line in payload.lines],
        valid_until=payload.valid_until,
        tax_rate_percent=payload.tax_rate_percent,
        note=payload.note,
        site_url=request.build_absolute_uri("/"),
    )
    return Status(201, quote_payload(quote_with_lines(quote_id=quote.pk) or quote))


@router.get("/quotes/{quote_id}", response={200: QuoteOut, **READ_ERRORS})
def get_quote(request: HttpRequest, quote_id: int) -> dict[str, Any]:
    return quote_payload(_readable_quote(request, quote_id))


@router.post("/quotes/{quote_id}/approve", response={200: QuoteOut, **error_responses(404, 409, post=True)})
def approve_quote(request: HttpRequest, quote_id: int) -> dict[str, Any]:
    quote = _readable_quote(request, quote_id)
    quote_approve(quote=quote, user=request.user)  # type: ignore[arg-type]
    return quote_payload(quote)


@router.post("/quotes/{quote_id}/decline", response={200: QuoteOut, **error_responses(404, 409, post=True)})
def decline_quote(request: HttpRequest, quote_id: int, payload: DeclineIn) -> dict[str, Any]:
    quote = _readable_quote(request, quote_id)
    quote_decline(quote=quote, user=request.user, reason=payload.reason)  # type: ignore[arg-type]
    return quote_payload(quote)
