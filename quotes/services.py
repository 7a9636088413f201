"""Every change of a repair quote: lock, check on the locked row, write, record the session
event (sessions_app.events.event_record), then notify after commit.

Rules (issue 12): a quote is sent from a completed video or diagnostic session by the session's
mechanic or a mechanic of its workshop. One open quote per session: a new one may be sent once
the last was declined or expired (re-quoting), never after one was approved. Approve and decline
are final and race-safe: the quote row is locked, a repeat of the same answer is a no-op (same
answer, no second event), the other answer is refused (409), and a quote past its date is marked
expired and refused (409).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from autodoctor.errors import DomainError
from billing.services import earnings_record_quote_bonus
from mechanics.models import Mechanic
from sessions_app.events import event_record
from sessions_app.models import Session, SessionEvent
from sessions_app.transitions import SessionEventType, SessionStatus, SessionType

from . import rules
from .models import LineKind, QuoteLine, QuoteStatus, RepairQuote
from .money import line_total_cents, quote_totals
from .notifications import email_customer_quote_sent_after_commit, email_mechanic_quote_decided_after_commit

QUOTABLE_TYPES = (SessionType.VIDEO, SessionType.DIAGNOSTIC)


@dataclass(frozen=True)
class LineInput:
    kind: str
    description: str
    quantity: Decimal
    unit_price_cents: int


def may_quote(*, session: Session, mechanic: Mechanic | None) -> bool:
    """The session's mechanic, or a mechanic of its workshop (the request's, or its mechanic's).
    Needs session.mechanic loaded."""
    if mechanic is None:
        return False
    if session.mechanic_id == mechanic.pk:
        return True
    held_by = session.mechanic.workshop_id if session.mechanic is not None else None
    return mechanic.workshop_id is not None and mechanic.workshop_id in (session.workshop_id, held_by)


def quotable_problem(session: Session) -> str | None:
    """Why no quote can be sent from this session (its state), or None."""
    if session.type not in QUOTABLE_TYPES:
        return "Repair quotes are sent from video and diagnostic sessions."
    if session.status != SessionStatus.COMPLETED:
        return "A repair quote can be sent once the session is completed."
    return None


def day_display(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local:%b} {local.day}, {local.year}"


def _last_valid_moment(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))


def _check_input(lines: Sequence[LineInput], valid_until: date, tax_rate_percent: Decimal, note: str) -> None:
    """The same bounds as the form and the schema (quotes.rules), for any other caller."""
    if not lines:
        raise DomainError("invalid_input", "Add at least one line.", field="lines")
    if len(lines) > rules.MAX_LINES:
        raise DomainError("invalid_input", f"A quote has at most {rules.MAX_LINES} lines.", field="lines")
    for i, line in enumerate(lines):
        where = f"lines.{i}"
        if line.kind not in LineKind.values:
            raise DomainError("invalid_input", "A line is a part or labour.", field=f"{where}.kind")
        if not line.description.strip() or len(line.description) > rules.MAX_DESCRIPTION:
            detail = f"Describe the line in 1 to {rules.MAX_DESCRIPTION} characters."
            raise DomainError("invalid_input", detail, field=f"{where}.description")
        if not rules.MIN_QUANTITY <= line.quantity <= rules.MAX_QUANTITY:
            detail = f"The quantity must be between {rules.MIN_QUANTITY} and {rules.MAX_QUANTITY}."
            raise DomainError("invalid_input", detail, field=f"{where}.quantity")
        if not 0 <= line.unit_price_cents <= rules.MAX_UNIT_PRICE_CENTS:
            detail = "The price must be zero or more, and at most $100,000."
            raise DomainError("invalid_input", detail, field=f"{where}.unit_price_cents")
    problem = rules.valid_until_problem(valid_until, today=timezone.localdate())
    if problem:
        raise DomainError("invalid_input", problem, field="valid_until")
    if not 0 <= tax_rate_percent <= rules.MAX_TAX_RATE_PERCENT:
        detail = f"The tax rate must be between 0 and {rules.MAX_TAX_RATE_PERCENT}%."
        raise DomainError("invalid_input", detail, field="tax_rate_percent")
    if len(note) > rules.MAX_NOTE:
        raise DomainError("invalid_input", f"The note is at most {rules.MAX_NOTE} characters.", field="note")


def _lock_session(session: Session) -> Session:
    locking = Session.objects.select_for_update(of=("self",)).select_related("plan", "mechanic")
    session.refresh_from_db(from_queryset=locking)
    return session


def quote_send(
    *,
    session: Session,
    mechanic: Mechanic,
    lines: Sequence[LineInput],
    valid_until: date,
    tax_rate_percent: Decimal = Decimal(0),
    note: str = "",
    site_url: str = "",
) -> RepairQuote:
    """Send a repair quote to the session's customer (emailed with a signed link after commit).
    `site_url` is where the email's link points (the request's own origin)."""
    _check_input(lines, valid_until, tax_rate_percent, note)
    with transaction.atomic():
        _lock_session(session)  # serialises two sends for the same session
        if not may_quote(session=session, mechanic=mechanic):
            raise DomainError("not_found", "Not found, or not yours.")
        problem = quotable_problem(session)
        if problem:
            raise DomainError("not_quotable", problem)
        taken = session.quotes.filter(status__in=[QuoteStatus.SENT, QuoteStatus.APPROVED]).first()
        if taken is not None and taken.status == QuoteStatus.APPROVED:
            raise DomainError("quote_decided", "The customer already approved a quote for this session.")
        if taken is not None and not taken.is_past_due():
            detail = "This session already has a quote waiting for the customer's answer."
            raise DomainError("quote_open", detail)
        if taken is not None:
            _mark_expired(taken)
        currency = session.plan.currency
        line_totals = [
            line_total_cents(quantity=x.quantity, unit_price_cents=x.unit_price_cents) for x in lines
        ]
        totals = quote_totals(line_totals=line_totals, tax_rate_percent=tax_rate_percent)
        try:
            with transaction.atomic():
                quote = RepairQuote.objects.create(
                    session=session,
                    mechanic=mechanic,
                    workshop_id=mechanic.workshop_id,
                    currency=currency,
                    tax_rate_percent=tax_rate_percent,
                    subtotal_cents=totals.subtotal_cents,
                    tax_cents=totals.tax_cents,
                    total_cents=totals.total_cents,
                    note=note,
                    valid_until=_last_valid_moment(valid_until),
                )
        except IntegrityError:  # the partial unique index: another send won
            raise DomainError("quote_open", "This session already has a quote waiting.") from None
        QuoteLine.objects.bulk_create(
            QuoteLine(
                quote=quote,
                position=i,
                kind=x.kind,
                description=x.description.strip(),
                quantity=x.quantity,
                unit_price_cents=x.unit_price_cents,
                currency=currency,
                line_total_cents=total,
            )
            for i, (x, total) in enumerate(zip(lines, line_totals, strict=True), start=1)
        )
        _record(quote, SessionEventType.QUOTE_SENT, actor=mechanic.user)
        email_customer_quote_sent_after_commit(quote.pk, site_url)
    return quote


def _lock_quote(quote: RepairQuote) -> RepairQuote:
    locking = RepairQuote.objects.select_for_update(of=("self",)).select_related(
        "session__customer", "session__mechanic", "mechanic__user"
    )
    try:
        quote.refresh_from_db(from_queryset=locking)
    except RepairQuote.DoesNotExist:
        raise DomainError("not_found", "Not found, or not yours.") from None
    return quote


def _require_customer(quote: RepairQuote, user: User) -> None:
    if quote.session.customer.user_id != user.pk:
        raise DomainError("not_found", "Not found, or not yours.")


def _mark_expired(quote: RepairQuote) -> None:
    """No session event: the event types have none for a quote running out (it changes nothing
    in the session); the quote's status and valid_until say it."""
    quote.status = QuoteStatus.EXPIRED
    quote.save(update_fields=["status"])


def _record(quote: RepairQuote, type: SessionEventType, *, actor: User, **extra: object) -> SessionEvent:
    data = {
        "quote_id": quote.pk,
        "mechanic_id": quote.mechanic_id,
        "total_cents": quote.total_cents,
        "currency": quote.currency,
        **extra,
    }
    # A quote is room-only activity (SESSION_ONLY_EVENTS): the room hears it through its session.
    return event_record(session=quote.session, type=type, actor=actor, data=data)


def _refusal(quote: RepairQuote, *, wanted: str) -> DomainError | None:
    """On the locked quote, not already answered `wanted`: None when it may be answered, else
    the refusal. A sent quote past its date is marked expired first (committed with the
    refusal raised after the transaction)."""
    if quote.status == QuoteStatus.SENT and not quote.is_past_due():
        return None
    if quote.status == QuoteStatus.SENT:
        _mark_expired(quote)
    if quote.status == QuoteStatus.EXPIRED:
        detail = f"This quote expired on {day_display(quote.valid_until)}; ask the mechanic for a new one."
        return DomainError("quote_expired", detail)
    when = day_display(quote.decided_at or quote.sent_at)
    return DomainError(
        "quote_decided", f"This quote was already {quote.status} on {when}; it cannot be {wanted} now."
    )


def _answer(quote: RepairQuote, user: User, status: QuoteStatus, reason: str = "") -> SessionEvent:
    quote.status = status
    quote.decided_at = timezone.now()
    quote.decided_by = user
    quote.decline_reason = reason
    quote.save(update_fields=["status", "decided_at", "decided_by", "decline_reason"])
    approved = status == QuoteStatus.APPROVED
    kind = SessionEventType.QUOTE_APPROVED if approved else SessionEventType.QUOTE_DECLINED
    event = _record(quote, kind, actor=user, **({"reason": reason} if reason else {}))
    email_mechanic_quote_decided_after_commit(quote.pk)
    return event


def quote_approve(*, quote: RepairQuote, user: User) -> RepairQuote:
    """The customer approves: final. A repeat is a no-op with the same answer. Everything the
    referral bonus needs is on the row: id, referring mechanic (quote.mechanic), total_cents,
    currency, approved_at (decided_at)."""
    with transaction.atomic():
        _lock_quote(quote)
        _require_customer(quote, user)
        if quote.status == QuoteStatus.APPROVED:
            return quote
        refusal = _refusal(quote, wanted="approved")
        if refusal is None:
            _answer(quote, user, QuoteStatus.APPROVED)
            # The referring mechanic's 5% (issue 13), in the same transaction: once per quote.
            earnings_record_quote_bonus(
                quote_id=quote.pk,
                mechanic=quote.mechanic,
                session_id=quote.session_id,
                total_cents=quote.total_cents,
                currency=quote.currency,
            )
            return quote
    raise refusal


def quote_decline(*, quote: RepairQuote, user: User, reason: str = "") -> RepairQuote:
    """The customer declines: final for this quote (the mechanic may send a new one)."""
    if len(reason) > rules.MAX_DECLINE_REASON:
        detail = f"The reason is at most {rules.MAX_DECLINE_REASON} characters."
        raise DomainError("invalid_input", detail, field="reason")
    with transaction.atomic():
        _lock_quote(quote)
        _require_customer(quote, user)
        if quote.status == QuoteStatus.DECLINED:
            return quote
        refusal = _refusal(quote, wanted="declined")
        if refusal is None:
            _answer(quote, user, QuoteStatus.DECLINED, reason.strip())
            return quote
    raise refusal


def quote_expire(*, quote: RepairQuote) -> bool:
    """Mark a sent quote whose date has passed as expired. False when there was nothing to do."""
    with transaction.atomic():
        _lock_quote(quote)
        if quote.status != QuoteStatus.SENT or not quote.is_past_due():
            return False
        _mark_expired(quote)
    return True


def quotes_expire_due() -> int:
    """The scheduled sweep: every sent quote past its date, each re-checked under its lock."""
    due = list(RepairQuote.objects.past_due(timezone.now()))
    return sum(quote_expire(quote=quote) for quote in due)
