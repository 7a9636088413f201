"""quotes.services: send, approve, decline, expire; rules, refusals and events."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail

from autodoctor.errors import DomainError
from mechanics.models import Workshop
from quotes.models import QuoteStatus, RepairQuote
from quotes.services import LineInput, quote_approve, quote_decline, quote_expire, quotes_expire_due
from sessions_app.models import SessionEvent
from sessions_app.services import session_accept
from sessions_app.transitions import SessionEventType
from tests.factories import make_customer, make_mechanic, make_session, open_assignment

from .helpers import LINES, completed_session, send_quote

pytestmark = pytest.mark.django_db


def quote_events(session, type_):
    return SessionEvent.objects.filter(session=session, type=type_)


def test_send_stores_lines_and_totals_records_the_event_and_emails_the_customer(done, mike, committed):
    with committed():
        quote = send_quote(done)
    assert quote.status == QuoteStatus.SENT and quote.currency == "usd"
    assert [(x.position, x.line_total_cents, x.currency) for x in quote.lines.all()] == [
        (1, 8999, "usd"),
        (2, 14333, "usd"),
    ]
    # 23332 × 8.25% = 1924.89 → 1925
    assert (quote.subtotal_cents, quote.tax_cents, quote.total_cents) == (23332, 1925, 25257)
    event = quote_events(done, SessionEventType.QUOTE_SENT).get()
    assert event.actor == mike.user and event.data["quote_id"] == quote.pk
    assert event.to_status == event.from_status == "completed"
    (email,) = mail.outbox
    assert email.to == ["alice@example.com"] and "$252.57" in email.subject
    assert "Front brake pads" in email.body and "$252.57" in email.body
    html, mime = email.alternatives[0]
    assert mime == "text/html" and "Review the quote" in html
    assert re.search(r"http://testserver/quotes/link/[^/\s]+/", email.body)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lines": []}, "lines"),
        ({"lines": LINES * 16}, "lines"),
        ({"lines": [LineInput("part", "Pads", Decimal(0), 100)]}, "lines.0.quantity"),
        ({"lines": [LineInput("part", "Pads", Decimal(1), -1)]}, "lines.0.unit_price_cents"),
        ({"lines": [LineInput("tyre", "Pads", Decimal(1), 1)]}, "lines.0.kind"),
        ({"lines": [LineInput("part", "  ", Decimal(1), 1)]}, "lines.0.description"),
        ({"lines": [LineInput("part", "x" * 201, Decimal(1), 1)]}, "lines.0.description"),
        ({"days": 0}, "valid_until"),
        ({"days": -3}, "valid_until"),
        ({"days": 91}, "valid_until"),
        ({"tax": "-1"}, "tax_rate_percent"),
        ({"tax": "30.001"}, "tax_rate_percent"),
        ({"note": "x" * 2001}, "note"),
    ],
)
def test_bad_input_is_refused_with_its_field_and_saves_nothing(done, change, field, committed):
    with committed(), pytest.raises(DomainError) as caught:
        send_quote(done, **change)
    assert caught.value.code == "invalid_input" and caught.value.context["field"] == field
    assert not RepairQuote.objects.exists() and not mail.outbox
    assert not quote_events(done, SessionEventType.QUOTE_SENT).exists()


def test_only_completed_video_or_diagnostic_sessions_take_a_quote(alice, mike):
    chat = completed_session(make_customer(), mike, plan_code="free-chat")
    with pytest.raises(DomainError, match="video and diagnostic") as caught:
        send_quote(chat)
    assert caught.value.http_status == 409
    live = make_session(alice, plan_code="video-30", pay_with="credits")
    session_accept(assignment=open_assignment(live), mechanic=mike)
    with pytest.raises(DomainError, match="once the session is completed"):
        send_quote(live, mechanic=mike)
    assert completed_session(plan_code="diagnostic-45") and RepairQuote.objects.count() == 0


def test_another_mechanic_gets_not_found_but_a_workshop_colleague_may_send(done, mike):
    with pytest.raises(DomainError) as caught:
        send_quote(done, mechanic=make_mechanic())
    assert caught.value.http_status == 404
    garage = Workshop.objects.create(name="Downtown Garage")
    mike.workshop = garage
    mike.save()
    colleague = make_mechanic(workshop=garage)
    quote = send_quote(done, mechanic=colleague)
    assert quote.mechanic == colleague and quote.workshop == garage


def test_one_open_quote_per_session_then_a_new_one_after_a_decline(done, alice):
    first = send_quote(done)
    with pytest.raises(DomainError) as caught:
        send_quote(done)
    assert caught.value.code == "quote_open"
    quote_decline(quote=first, user=alice.user, reason="Too dear")
    second = send_quote(done)
    quote_approve(quote=second, user=alice.user)
    with pytest.raises(DomainError) as caught:
        send_quote(done)
    assert caught.value.code == "quote_decided"
    assert RepairQuote.objects.count() == 2


def test_approve_is_final_a_repeat_is_a_no_op_and_the_mechanic_is_told(done, alice, mike, committed):
    quote = send_quote(done)
    with committed():
        assert quote_approve(quote=quote, user=alice.user).status == QuoteStatus.APPROVED
        again = quote_approve(quote=RepairQuote.objects.get(), user=alice.user)
    assert again.status == QuoteStatus.APPROVED and again.decided_at == quote.decided_at
    event = quote_events(done, SessionEventType.QUOTE_APPROVED).get()
    # What the money issue's 5% bonus needs, on the row and in the event.
    assert event.data == {
        "quote_id": quote.pk,
        "mechanic_id": mike.pk,
        "total_cents": 25257,
        "currency": "usd",
    }
    assert quote.approved_at == quote.decided_at and quote.decided_by == alice.user
    (email,) = mail.outbox
    assert email.to == ["mike@example.com"] and "approved" in email.subject
    with pytest.raises(DomainError, match="already approved on .*cannot be declined") as caught:
        quote_decline(quote=quote, user=alice.user)
    assert caught.value.http_status == 409


def test_approve_after_decline_is_refused_with_the_reason(done, alice):
    quote = send_quote(done)
    quote_decline(quote=quote, user=alice.user, reason="I will get it done locally.")
    quote_decline(quote=quote, user=alice.user)  # a repeat: no-op
    assert (
        quote_events(done, SessionEventType.QUOTE_DECLINED).get().data["reason"]
        == "I will get it done locally."
    )
    with pytest.raises(DomainError, match="already declined on .*cannot be approved now") as caught:
        quote_approve(quote=quote, user=alice.user)
    assert caught.value.code == "quote_decided" and caught.value.http_status == 409
    assert not quote_events(done, SessionEventType.QUOTE_APPROVED).exists()


def test_an_expired_quote_cannot_be_approved(done, alice, clock):
    quote = send_quote(done, days=2)
    clock.advance(days=3)
    with pytest.raises(DomainError) as caught:
        quote_approve(quote=quote, user=alice.user)
    day = quote.valid_until
    assert caught.value.code == "quote_expired" and caught.value.http_status == 409
    assert caught.value.detail == (
        f"This quote expired on {day:%b} {day.day}, {day.year}; ask the mechanic for a new one."
    )
    assert RepairQuote.objects.get().status == QuoteStatus.EXPIRED  # recorded, though refused
    assert not quote_events(done, SessionEventType.QUOTE_APPROVED).exists()


def test_valid_through_the_last_day(done, alice, clock):
    quote = send_quote(done, days=1)
    clock.now = quote.valid_until - timedelta(seconds=1)
    assert quote_approve(quote=quote, user=alice.user).status == QuoteStatus.APPROVED


def test_the_sweep_expires_past_due_quotes_once(done, clock):
    quote = send_quote(done, days=1)
    other = send_quote(completed_session(), days=5)
    clock.advance(days=2)
    assert quotes_expire_due() == 1
    assert quotes_expire_due() == 0
    assert quote_expire(quote=other) is False
    quote.refresh_from_db()
    other.refresh_from_db()
    assert (quote.status, other.status) == (QuoteStatus.EXPIRED, QuoteStatus.SENT)
    assert send_quote(done)  # and the mechanic may send a new one


def test_only_the_sessions_customer_may_answer(done, mike):
    quote = send_quote(done)
    for user in (make_customer().user, mike.user):
        with pytest.raises(DomainError) as caught:
            quote_approve(quote=quote, user=user)
        assert caught.value.http_status == 404
    assert RepairQuote.objects.get().status == QuoteStatus.SENT


def test_migrate_installs_the_hourly_sweep_and_its_task_expires(done, clock):
    from django_q.models import Schedule

    from quotes.schedules import install_schedules
    from quotes.tasks import expire_due_quotes

    install_schedules()
    install_schedules()  # idempotent
    schedule = Schedule.objects.get(name="expire-repair-quotes")
    assert (schedule.func, schedule.minutes) == ("quotes.tasks.expire_due_quotes", 60)
    send_quote(done, days=1)
    clock.advance(days=2)
    assert expire_due_quotes() == 1


def test_approving_records_the_referring_mechanics_bonus_once_and_declining_none(alice, mike):
    """Issue 13: 5% of the approved total to the mechanic who sent the quote, exactly once."""
    from billing.models import EarningEntry
    from quotes.services import quote_approve, quote_decline
    from tests.quotes.helpers import completed_session, send_quote

    approved = send_quote(completed_session(alice, mike))
    quote_approve(quote=approved, user=alice.user)
    quote_approve(quote=approved, user=alice.user)  # a repeat is a no-op
    bonuses = EarningEntry.objects.filter(kind=EarningEntry.Kind.QUOTE_BONUS)
    assert [(b.quote_id, b.mechanic_id, b.amount_cents) for b in bonuses] == [
        (approved.pk, mike.pk, approved.total_cents * 5 // 100)
    ]
    declined = send_quote(completed_session(alice, mike))
    quote_decline(quote=declined, user=alice.user)
    assert not EarningEntry.objects.filter(quote_id=declined.pk).exists()
