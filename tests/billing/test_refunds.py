"""Every refund recorded once: staff card refunds through Stripe (partial, too large, failing and
retried with backoff), refunds made in Stripe's dashboard arriving as charge.refunded."""

import json
import threading

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django_q.models import Schedule

from autodoctor.errors import DomainError
from billing.models import EarningEntry, Refund, StripeEvent
from billing.services import refund_retry
from billing.services.refunds import MAX_ATTEMPTS
from billing.tasks import refund_execute_task
from sessions_app.services import session_refund
from tests.stripe_stub import checkout_event, deliver_webhook

from .conftest import completed_card_session, next_event_id, payment_of

pytestmark = pytest.mark.django_db


def reversal_total(session) -> int:
    return sum(
        EarningEntry.objects.filter(session=session, kind="reversal").values_list("amount_cents", flat=True)
    )


def test_a_staff_partial_card_refund_goes_to_stripe_and_is_recorded(
    stripe_stub, plans, mechanic, django_capture_on_commit_callbacks
):
    session = completed_card_session(stripe_stub, mechanic)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        refund = session_refund(
            session=session, method="card", amount_cents=1000, reason="Bad line", actor=None
        )
    (asked,) = stripe_stub.calls("POST", "/v1/refunds")
    assert asked["amount"] == "1000" and asked["metadata"]["refund_id"] == str(refund.pk)
    refund.refresh_from_db()
    payment = payment_of(session)
    assert (refund.status, refund.stripe_refund_id) == ("succeeded", stripe_stub.refunds[0]["id"])
    assert (payment.refunded_cents, payment.status) == (1000, "paid")
    assert reversal_total(session) == (1999 * 70 // 100 - 2099) + (1999 * 2 // 100 - 59)
    assert [m.subject for m in mail.outbox] == ["Auto Doctor: We refunded your session"]
    assert "10.00 USD" in mail.outbox[0].body and "Bad line" in mail.outbox[0].body


def test_a_refund_larger_than_what_is_left_is_refused_with_the_amount_left(
    stripe_stub, plans, mechanic, django_capture_on_commit_callbacks
):
    session = completed_card_session(stripe_stub, mechanic)
    with django_capture_on_commit_callbacks(execute=True):
        session_refund(session=session, method="card", amount_cents=2000, reason="Part", actor=None)
    with pytest.raises(DomainError) as refused:
        session_refund(session=session, method="card", amount_cents=1000, reason="More", actor=None)
    assert refused.value.code == "refund_too_large"
    assert refused.value.detail == "Only 9.99 USD is left to refund on this payment (asked 10.00 USD)."
    assert Refund.objects.count() == 1


def test_a_failing_card_refund_is_retried_with_backoff_then_shown_to_staff(
    stripe_stub, plans, mechanic, django_capture_on_commit_callbacks
):
    session = completed_card_session(stripe_stub, mechanic)
    stripe_stub.fail_refunds = 100
    with django_capture_on_commit_callbacks(execute=True):
        refund = session_refund(session=session, method="card", amount_cents=500, reason="Bad", actor=None)
    refund.refresh_from_db()
    assert (refund.status, refund.attempts) == ("pending", 1)
    retry = Schedule.objects.get(name=f"refund-retry-{refund.pk}")
    assert retry.func == "billing.tasks.refund_execute_task" and retry.schedule_type == Schedule.ONCE
    delays = [retry.next_run]
    for _ in range(MAX_ATTEMPTS - 1):  # what the scheduler does when each retry falls due
        refund_execute_task(refund.pk)
        delays.append(Schedule.objects.get(name=f"refund-retry-{refund.pk}").next_run)
    refund.refresh_from_db()
    assert (refund.status, refund.attempts) == ("failed", MAX_ATTEMPTS)
    assert "stub failure" in refund.last_error
    gaps = [(b - a).total_seconds() for a, b in zip(delays, delays[1:-1], strict=False)]
    assert all(later > 0 for later in gaps)  # each retry waits longer than the one before
    assert payment_of(session).refunded_cents == 0 and reversal_total(session) == 0
    stripe_stub.fail_refunds = 0
    with django_capture_on_commit_callbacks(execute=True):
        assert refund_retry(refund=refund, actor=None)
    refund.refresh_from_db()
    assert refund.status == "succeeded" and payment_of(session).refunded_cents == 500


# --- charge.refunded from Stripe's dashboard -------------------------------------------------------


def test_a_dashboard_refund_lands_once_however_often_stripe_says_so(
    stripe_stub, plans, mechanic, django_capture_on_commit_callbacks
):
    session = completed_card_session(stripe_stub, mechanic)
    payment = payment_of(session)
    charge = stripe_stub.refund_in_dashboard(payment.payment_intent, 999)
    payload = checkout_event(charge, event_id="evt_charge_refunded", event_type="charge.refunded")
    with django_capture_on_commit_callbacks(execute=True):
        results = [deliver_webhook(Client(), payload).json()["result"] for _ in range(10)]
    assert results == ["refund_recorded"] + ["duplicate"] * 9
    refund = Refund.objects.get()
    assert (refund.source, refund.amount_cents, refund.status, refund.session) == (
        "stripe",
        999,
        "succeeded",
        session,
    )
    assert refund.stripe_refund_id == charge["refunds"]["data"][0]["id"]
    # refund.updated about the same refund, another event id: nothing new.
    updated = checkout_event(
        charge["refunds"]["data"][0], event_id="evt_refund_updated", event_type="refund.updated"
    )
    assert deliver_webhook(Client(), updated).json()["result"] == "nothing_new"
    payment.refresh_from_db()
    assert (payment.refunded_cents, Refund.objects.count()) == (999, 1)
    assert reversal_total(session) < 0


def test_our_own_refund_reported_by_webhook_before_the_api_answer_is_recorded_once(
    stripe_stub, plans, mechanic, django_capture_on_commit_callbacks
):
    session = completed_card_session(stripe_stub, mechanic)
    refund = session_refund(session=session, method="card", amount_cents=300, reason="Late", actor=None)
    # Stripe made the refund and its webhook arrives before our task records the answer.
    stripe_stub._refund(
        {
            "payment_intent": payment_of(session).payment_intent,
            "amount": 300,
            "metadata": {"refund_id": str(refund.pk)},
        },
        f"autodoctor-refund-{refund.pk}",
    )
    charge = stripe_stub.charge(payment_of(session).payment_intent)
    deliver_webhook(Client(), checkout_event(charge, event_id=next_event_id(), event_type="charge.refunded"))
    refund_execute_task(refund.pk)  # the task's answer finds the refund recorded
    refund.refresh_from_db()
    assert refund.status == "succeeded" and Refund.objects.count() == 1
    assert payment_of(session).refunded_cents == 300


def test_a_charge_we_do_not_know_is_acknowledged_and_recorded_as_ignored(stripe_stub, plans):
    charge = stripe_stub.refund_in_dashboard("pi_somebody_else", 100)
    response = deliver_webhook(
        Client(), checkout_event(charge, event_id="evt_stranger", event_type="charge.refunded")
    )
    assert response.status_code == 200 and response.json()["result"] == "ignored"
    event = StripeEvent.objects.get()
    assert (event.result, event.reason) == ("ignored", "no payment of ours has this payment_intent")
    assert not Refund.objects.exists()


@pytest.mark.parametrize("tamper", ["wrong secret", "stale", "changed body"])
def test_a_badly_signed_refund_event_is_400_and_writes_nothing(stripe_stub, plans, mechanic, tamper):
    session = completed_card_session(stripe_stub, mechanic)
    charge = stripe_stub.refund_in_dashboard(payment_of(session).payment_intent, 100)
    payload = checkout_event(charge, event_id="evt_bad", event_type="charge.refunded")
    events_before = StripeEvent.objects.count()
    if tamper == "wrong secret":
        response = deliver_webhook(Client(), payload, secret="whsec_wrong")
    elif tamper == "stale":
        import time

        response = deliver_webhook(Client(), payload, timestamp=int(time.time()) - 3600)
    else:
        from tests.stripe_stub import signature_for

        response = Client().post(
            "/stripe/webhook/",
            data=payload.replace('"amount": 100', '"amount": 1'),
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=signature_for(payload),
        )
    assert response.status_code == 400
    assert (StripeEvent.objects.count(), Refund.objects.count()) == (events_before, 0)


# --- replays: 10 sequential, 10 concurrent (PostgreSQL) -----------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_refund_event_replayed_twenty_times_concurrently_records_one_entry(
    on_postgres, stripe_stub, plans, mechanic
):
    session = completed_card_session(stripe_stub, mechanic)
    payment = payment_of(session)
    charge = stripe_stub.refund_in_dashboard(payment.payment_intent, 700)
    payload = checkout_event(charge, event_id="evt_replayed", event_type="charge.refunded")
    other = checkout_event(
        charge["refunds"]["data"][0], event_id="evt_same_refund_other_event", event_type="refund.updated"
    )
    sequential = [deliver_webhook(Client(), payload).status_code for _ in range(10)]
    results: list[int] = []
    barrier = threading.Barrier(10)

    def deliver(body: str) -> None:
        try:
            barrier.wait()
            results.append(deliver_webhook(Client(), body).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(payload if i % 2 else other,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sequential == [200] * 10 and results == [200] * 10
    assert Refund.objects.count() == 1
    payment.refresh_from_db()
    assert payment.refunded_cents == 700
    assert EarningEntry.objects.filter(kind="reversal").count() == 2  # share and fee, once each
    assert json.loads(payload)["type"] == "charge.refunded"
