"""A session that never went live is never charged (SPEC §3): credits come back to the ledger,
card payments are marked for a Stripe refund that is asked for after commit. Each refund writes
one `refunded` event on top of the transition's own event."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from billing.models import CreditLedger, Payment
from billing.services import credit_balance, payment_refund
from sessions_app.models import SessionEvent
from sessions_app.services import (
    session_cancel,
    session_end_by_customer,
    session_expire,
    sessions_expire_stale,
)
from sessions_app.services.refunds import refund_unstarted_session
from sessions_app.transitions import SessionStatus as S
from tests.factories import make_customer, make_session

from .lifecycle_states import event_types, replay_status, session_in

pytestmark = pytest.mark.django_db


def credit_session(status: str, *, credits: int = 3):
    customer = make_customer(credits=credits)
    session = session_in(status, customer=customer, plan_code="quick-chat", pay_with="credits")
    return customer, session


def test_credit_spend_is_recorded_against_the_session():
    customer, session = credit_session(S.PENDING)
    assert credit_balance(customer=customer) == 2
    spend = CreditLedger.objects.get(session=session)
    assert (spend.kind, spend.amount, spend.created_by_id) == ("spend", -1, customer.user_id)


@pytest.mark.parametrize("status", [S.PENDING, S.SCHEDULED, S.WAITING])
def test_cancel_before_live_gives_the_credits_back(status):
    customer, session = credit_session(status)
    assert credit_balance(customer=customer) == 2
    session = session_cancel(session=session, user=customer.user)
    assert credit_balance(customer=customer) == 3
    refund = CreditLedger.objects.get(session=session, kind="refund")
    assert refund.amount == 1 and refund.created_by_id == customer.user_id
    assert event_types(session)[-2:] == ["cancelled", "refunded"]
    event = SessionEvent.objects.get(session=session, type="refunded")
    assert (event.from_status, event.to_status, event.data) == (
        S.CANCELLED,
        S.CANCELLED,
        {"method": "credits", "credits": 1},
    )
    assert replay_status(session) == S.CANCELLED


@pytest.mark.parametrize("status", [S.PENDING, S.WAITING])
def test_expire_gives_the_credits_back(status):
    customer, session = credit_session(status)
    assert sessions_expire_stale(now=timezone.now() + timedelta(hours=3)) == 1
    session.refresh_from_db()
    assert session.status == S.EXPIRED
    assert credit_balance(customer=customer) == 3
    assert event_types(session)[-2:] == ["expired", "refunded"]
    assert SessionEvent.objects.get(session=session, type="refunded").actor_id is None


def test_end_by_customer_before_live_refunds():
    customer, session = credit_session(S.WAITING)
    session_end_by_customer(session=session, user=customer.user)
    assert credit_balance(customer=customer) == 3


@pytest.mark.parametrize("end", ["mechanic", "customer"])
def test_a_session_that_went_live_and_completed_is_not_refunded(end):
    customer, session = credit_session(S.LIVE)
    if end == "mechanic":
        from sessions_app.services import session_complete

        session = session_complete(session=session, mechanic=session.mechanic, summary="Done.")
    else:
        session = session_end_by_customer(session=session, user=customer.user)
    assert session.status == S.COMPLETED
    assert credit_balance(customer=customer) == 2
    assert not CreditLedger.objects.filter(session=session, kind="refund").exists()
    assert "refunded" not in event_types(session)


def test_refunding_twice_gives_back_once():
    customer, session = credit_session(S.PENDING, credits=5)
    session = session_cancel(session=session, user=customer.user)
    refund_unstarted_session(session, actor=None)  # e.g. a retried caller: the ledger nets to zero
    assert credit_balance(customer=customer) == 5
    assert CreditLedger.objects.filter(session=session, kind="refund").count() == 1
    assert event_types(session).count("refunded") == 1


def test_a_free_session_has_nothing_to_refund():
    session = session_in(S.PENDING)
    session = session_expire(session=session)
    assert event_types(session) == ["created", "expired"]


# --- card ---------------------------------------------------------------------------------------


def card_session(status: str = S.PENDING):
    customer = make_customer()
    session = make_session(customer, plan_code="quick-chat", pay_with="card", stripe_checkout_id="cs_test_x")
    payment = Payment.objects.create(
        customer=customer, session=session, checkout_id="cs_test_x", payment_intent="pi_test_x", amount=999
    )
    assert session.payment_method == "card"
    return customer, session, payment


def test_cancel_of_a_card_session_asks_stripe_after_commit(
    settings, caplog, django_capture_on_commit_callbacks
):
    settings.STRIPE_SECRET_KEY = ""  # the task logs instead of calling out
    customer, session, payment = card_session()
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True) as callbacks:
        session = session_cancel(session=session, user=customer.user)
    payment.refresh_from_db()
    assert payment.refund_requested_at is not None
    assert payment.refund_reason == f"Session #{session.pk} ended before it went live"
    assert payment.status == Payment.Status.PAID  # Stripe never answered: not refunded yet
    assert f"payment {payment.pk} needs a refund but Stripe is not configured" in caplog.text
    assert callbacks  # the refund task (and the customer email) left only after commit
    assert event_types(session)[-2:] == ["cancelled", "refunded"]
    event = SessionEvent.objects.get(session=session, type="refunded")
    assert event.data == {"method": "card", "amount": 999, "currency": "usd"}


def test_no_stripe_call_inside_the_transaction(settings, django_capture_on_commit_callbacks):
    settings.STRIPE_SECRET_KEY = ""
    customer, session, payment = card_session()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        session_cancel(session=session, user=customer.user)
    assert len(callbacks) >= 1
    payment.refresh_from_db()
    assert payment.refund_requested_at is not None and payment.status == Payment.Status.PAID


def test_payment_refund_marks_once(settings, django_capture_on_commit_callbacks):
    settings.STRIPE_SECRET_KEY = ""
    _customer, _session, payment = card_session()
    with django_capture_on_commit_callbacks() as first:
        assert payment_refund(payment=payment, reason="Customer already had an active session") is True
    payment.refresh_from_db()
    marked_at = payment.refund_requested_at
    assert marked_at is not None and payment.refund_reason == "Customer already had an active session"
    with django_capture_on_commit_callbacks() as second:
        assert payment_refund(payment=payment, reason="again") is False
    payment.refresh_from_db()
    assert payment.refund_requested_at == marked_at and payment.refund_reason.startswith("Customer")
    assert len(first) == 1 and second == []


def test_a_card_session_that_completed_is_not_refunded(settings):
    settings.STRIPE_SECRET_KEY = ""
    customer = make_customer()
    session = session_in(
        S.LIVE, customer=customer, plan_code="quick-chat", pay_with="card", stripe_checkout_id="cs_live"
    )
    payment = Payment.objects.create(customer=customer, session=session, checkout_id="cs_live", amount=999)
    session_end_by_customer(session=session, user=customer.user)
    payment.refresh_from_db()
    assert payment.refund_requested_at is None
