"""A validly signed Stripe event we cannot interpret is recorded as ignored with the reason and
answered 200, never 500 (Stripe retries a 500 for days); a body that is not an event is 400; a
timestamp too far in the future is refused like a stale one. Real signatures, no patching."""

import json
import time

import pytest
from django.test import Client

from billing.models import Payment, StripeEvent
from sessions_app.models import Session
from tests.stripe_stub import checkout_event, deliver_webhook, signature_for

pytestmark = pytest.mark.django_db

PAID = {"id": "cs_test_1", "payment_status": "paid", "amount_total": 999, "currency": "usd"}


def event_with(**checkout_overrides: object) -> str:
    return checkout_event({**PAID, **checkout_overrides}, event_id="evt_odd")


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (json.dumps({"id": "evt_odd", "type": "checkout.session.completed", "data": "oops"}), "data.object"),
        (event_with(metadata="intake=1"), "metadata"),
        (event_with(amount_total="abc"), "amount_total"),
        (event_with(amount_total=-5), "amount_total"),
        (event_with(id="cs_" + "x" * 300), "checkout id"),
        (event_with(payment_intent="pi_" + "x" * 300), "payment_intent"),
        (event_with(currency=7), "currency"),
    ],
)
def test_a_signed_event_we_cannot_interpret_is_recorded_as_ignored(stripe_stub, payload, reason):
    response = deliver_webhook(Client(), payload)
    assert response.status_code == 200, response.content
    assert response.json()["result"] == "ignored"
    recorded = StripeEvent.objects.get(event_id="evt_odd")
    assert recorded.result == StripeEvent.Result.IGNORED and reason in recorded.reason
    assert not Session.objects.exists() and not Payment.objects.exists()
    # Stripe retries: the replay is a duplicate, still 200, still one row.
    again = deliver_webhook(Client(), payload)
    assert again.status_code == 200 and again.json()["result"] == "duplicate"
    assert StripeEvent.objects.count() == 1


@pytest.mark.parametrize(
    "payload",
    [
        json.dumps({"type": "checkout.session.completed"}),
        json.dumps({"id": "evt_" + "x" * 300, "type": "checkout.session.completed"}),
        json.dumps({"id": 12, "type": "checkout.session.completed"}),
        json.dumps({"id": "evt_1", "type": ["checkout.session.completed"]}),
    ],
)
def test_a_signed_body_that_is_not_an_event_is_400(stripe_stub, payload):
    response = deliver_webhook(Client(), payload)
    assert response.status_code == 400 and response.json()["error"] == "bad_payload"
    assert not StripeEvent.objects.exists()


def test_a_timestamp_too_far_in_the_future_is_refused_like_a_stale_one(stripe_stub):
    payload = event_with()
    future = deliver_webhook(Client(), payload, timestamp=int(time.time()) + 600)
    stale = deliver_webhook(Client(), payload, timestamp=int(time.time()) - 600)
    assert future.status_code == stale.status_code == 400
    assert not StripeEvent.objects.exists()


def test_a_little_clock_skew_is_fine(stripe_stub):
    payload = checkout_event({"id": "pi_1"}, event_id="evt_skew", event_type="payment_intent.created")
    response = Client().post(
        "/stripe/webhook/",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature_for(payload, timestamp=int(time.time()) + 60),
    )
    assert response.status_code == 200
