"""Card payments: Checkout through the stub, the signed webhook, exactly-once fulfilment, refunds."""

import time
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.test import Client

from billing.models import Payment, StripeEvent
from customers.models import Intake
from sessions_app.models import Session
from sessions_app.services import session_accept
from tests.customers.conftest import intake_data
from tests.factories import make_customer, make_mechanic, make_session, open_assignment
from tests.stripe_stub import STUB_WEBHOOK_SECRET, checkout_event, deliver_webhook, signature_for

pytestmark = pytest.mark.django_db


def start_card_checkout(client, customer, stub, plan_code="quick-chat") -> tuple[Intake, str]:
    """Intake + waiver for a card plan; returns the intake and the stub checkout id."""
    client.post("/customer/request/new/", intake_data(plan=plan_code, pay_with="card"))
    intake = Intake.objects.filter(customer=customer).latest("id")
    response = client.post(f"/customer/request/{intake.pk}/waiver/", {"full_name": "Alice", "agreed": "on"})
    assert response.status_code == 302 and response["Location"].startswith(stub.url + "/pay/")
    return intake, response["Location"].rsplit("/", 1)[1]


def test_waiver_opens_a_stripe_checkout_with_metadata_and_urls(customer, customer_client, stripe_stub):
    intake, checkout_id = start_card_checkout(customer_client, customer, stripe_stub)
    (params,) = stripe_stub.calls("POST", "/v1/checkout/sessions")
    assert params["metadata"] == {"intake_id": str(intake.pk), "customer_id": str(customer.pk)}
    assert params["mode"] == "payment"
    assert params["line_items"][0]["price_data"]["unit_amount"] == "999"
    assert (
        params["success_url"]
        == "http://testserver/customer/checkout/success/?session_id={CHECKOUT_SESSION_ID}"
    )
    assert (
        params["cancel_url"] == f"http://testserver/customer/request/{intake.pk}/waiver/?checkout=cancelled"
    )
    assert not Session.objects.exists()  # nothing until Stripe says it is paid
    assert intake.waiver.agreed


def test_stripe_down_is_a_message_not_an_error(customer, customer_client, stripe_stub):
    stripe_stub.fail_checkout_create = True
    customer_client.post("/customer/request/new/", intake_data(plan="quick-chat", pay_with="card"))
    intake = Intake.objects.get(customer=customer)
    response = customer_client.post(
        f"/customer/request/{intake.pk}/waiver/", {"full_name": "Alice", "agreed": "on"}
    )
    assert response.status_code == 503
    assert b"could not reach the card processor" in response.content


def test_card_without_stripe_keys_is_refused_at_the_waiver(customer, customer_client, stripe_stub, settings):
    customer_client.post("/customer/request/new/", intake_data(plan="quick-chat", pay_with="card"))
    intake = Intake.objects.get(customer=customer)
    settings.STRIPE_SECRET_KEY = ""
    response = customer_client.post(
        f"/customer/request/{intake.pk}/waiver/", {"full_name": "Alice", "agreed": "on"}
    )
    assert response.status_code == 409 and b"Card payments are not configured" in response.content


def test_webhook_fulfils_once_however_often_it_is_delivered(customer, customer_client, stripe_stub):
    intake, checkout_id = start_card_checkout(customer_client, customer, stripe_stub)
    checkout = stripe_stub.pay(checkout_id)
    payload = checkout_event(checkout, event_id="evt_1")
    results = [deliver_webhook(Client(), payload).json()["result"] for _ in range(10)]
    assert results == ["created"] + ["duplicate"] * 9
    session = Session.objects.get()
    assert (session.payment_method, session.stripe_checkout_id, session.intake_id) == (
        "card",
        checkout_id,
        intake.pk,
    )
    payment = Payment.objects.get()
    assert (payment.session, payment.amount, payment.status) == (session, 999, "paid")
    assert payment.payment_intent == checkout["payment_intent"]
    assert StripeEvent.objects.count() == 1
    # The customer returns to the success page afterwards: straight to the room, nothing new.
    response = customer_client.get(f"/customer/checkout/success/?session_id={checkout_id}")
    assert response.status_code == 302 and response["Location"] == f"/chat/{session.pk}/"
    # A different event for the same checkout (Stripe can send several) changes nothing either.
    assert (
        deliver_webhook(Client(), checkout_event(checkout, event_id="evt_2")).json()["result"] == "existing"
    )
    assert (Session.objects.count(), Payment.objects.count()) == (1, 1)


def test_success_page_fulfils_when_it_arrives_before_the_webhook(customer, customer_client, stripe_stub):
    _, checkout_id = start_card_checkout(customer_client, customer, stripe_stub)
    checkout = stripe_stub.pay(checkout_id)
    response = customer_client.get(f"/customer/checkout/success/?session_id={checkout_id}")
    session = Session.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/chat/{session.pk}/"
    assert stripe_stub.calls("GET", f"/v1/checkout/sessions/{checkout_id}")
    assert (
        deliver_webhook(Client(), checkout_event(checkout, event_id="evt_late")).json()["result"]
        == "existing"
    )
    assert (Session.objects.count(), Payment.objects.count()) == (1, 1)


def test_success_page_before_payment_waits(customer, customer_client, stripe_stub):
    _, checkout_id = start_card_checkout(customer_client, customer, stripe_stub)
    response = customer_client.get(f"/customer/checkout/success/?session_id={checkout_id}")
    assert response.status_code == 200 and b"Confirming your payment" in response.content
    assert b'http-equiv="refresh"' in response.content
    assert not Session.objects.exists()


def test_success_page_for_someone_elses_checkout_is_404(customer, customer_client, stripe_stub):
    _, checkout_id = start_card_checkout(customer_client, customer, stripe_stub)
    stripe_stub.pay(checkout_id)
    other = Client()
    other.force_login(make_customer("bob").user)
    assert other.get(f"/customer/checkout/success/?session_id={checkout_id}").status_code == 404
    assert other.get("/customer/checkout/success/?session_id=cs_nope").status_code == 404
    assert other.get("/customer/checkout/success/?session_id=../../x").status_code == 404
    assert not Session.objects.exists()


def test_payment_during_an_active_session_is_refunded_and_the_customer_told(
    customer, customer_client, stripe_stub, django_capture_on_commit_callbacks
):
    _, checkout_id = start_card_checkout(customer_client, customer, stripe_stub)
    checkout = stripe_stub.pay(checkout_id)
    active = make_session(customer)  # e.g. a free request started in another tab meanwhile
    with django_capture_on_commit_callbacks(execute=True):  # the refund leaves after commit
        response = deliver_webhook(Client(), checkout_event(checkout, event_id="evt_r"))
    assert response.json()["result"] == "refunded"
    payment = Payment.objects.get()
    assert (
        payment.session is None
        and payment.status == "refunded"
        and payment.stripe_refund_id.startswith("re_")
    )
    (refund,) = stripe_stub.calls("POST", "/v1/refunds")
    assert refund["payment_intent"] == checkout["payment_intent"]
    assert list(Session.objects.all()) == [active]
    (email,) = [m for m in mail.outbox if m.subject == "Auto Doctor: Your payment has been refunded"]
    assert "9.99 USD" in email.body and "active session" in email.body
    page = customer_client.get(f"/customer/checkout/success/?session_id={checkout_id}").content.decode()
    assert "Your payment was refunded" in page and "you already had an active session" in page
    dashboard = customer_client.get("/customer/dashboard/").content.decode()
    assert "Your payment of $9.99 for Quick Chat" in dashboard and "was refunded" in dashboard


def test_cancelling_a_card_session_refunds_through_stripe_and_emails(
    customer, customer_client, stripe_stub, django_capture_on_commit_callbacks
):
    _, checkout_id = start_card_checkout(customer_client, customer, stripe_stub)
    deliver_webhook(Client(), checkout_event(stripe_stub.pay(checkout_id), event_id="evt_c"))
    session = Session.objects.get()
    session_accept(assignment=open_assignment(session), mechanic=make_mechanic("mike"))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        customer_client.post(f"/customer/sessions/{session.pk}/end/")
    session.refresh_from_db()
    assert session.status == "cancelled"
    payment = Payment.objects.get()
    assert payment.status == "refunded"
    assert len(stripe_stub.calls("POST", "/v1/refunds")) == 1
    assert "Auto Doctor: Your payment has been refunded" in [m.subject for m in mail.outbox]
    assert mail.outbox[0].to == ["alice@example.com"]


@pytest.mark.parametrize(
    "tamper",
    ["wrong_secret", "changed_body", "stale_timestamp", "no_header", "garbage_header"],
)
def test_bad_signatures_get_400_and_do_nothing(customer, customer_client, stripe_stub, tamper):
    _, checkout_id = start_card_checkout(customer_client, customer, stripe_stub)
    payload = checkout_event(stripe_stub.pay(checkout_id), event_id="evt_bad")
    header = signature_for(payload)
    body = payload
    if tamper == "wrong_secret":
        header = signature_for(payload, secret="whsec_other")
    elif tamper == "changed_body":
        body = payload.replace('"amount_total": 999', '"amount_total": 1')
    elif tamper == "stale_timestamp":
        header = signature_for(payload, timestamp=int(time.time()) - 600)
    elif tamper == "no_header":
        header = ""
    elif tamper == "garbage_header":
        header = "t=abc,v1=zzz"
    response = Client().post(
        "/stripe/webhook/", data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
    assert response.status_code == 400
    assert not Session.objects.exists() and not StripeEvent.objects.exists()


def test_signed_but_malformed_body_is_400(stripe_stub, db):
    for body in ("not json", "[1, 2]"):
        response = Client().post(
            "/stripe/webhook/",
            data=body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=signature_for(body),
        )
        assert response.status_code == 400


def test_unhandled_event_types_are_acknowledged(stripe_stub, db):
    payload = checkout_event({"id": "pi_1"}, event_id="evt_other", event_type="payment_intent.created")
    response = deliver_webhook(Client(), payload)
    assert response.status_code == 200 and response.json()["result"] == "ignored"
    assert not StripeEvent.objects.exists()


def test_webhook_accepts_only_post(db):
    assert Client().get("/stripe/webhook/").status_code == 405


def test_webhook_secret_must_match_settings(stripe_stub, settings, db):
    assert STUB_WEBHOOK_SECRET == settings.STRIPE_WEBHOOK_SECRET
    settings.STRIPE_WEBHOOK_SECRET = ""
    payload = checkout_event({"id": "cs_x"}, event_id="evt_x")
    assert deliver_webhook(Client(), payload).status_code == 400


def test_checkout_url_points_at_the_configured_api_base(customer, customer_client, stripe_stub):
    _, checkout_id = start_card_checkout(customer_client, customer, stripe_stub)
    assert urlparse(stripe_stub.url).port == urlparse(stripe_stub.sessions[checkout_id]["url"]).port


def test_an_expired_card_session_is_refunded_through_stripe(
    customer, customer_client, stripe_stub, django_capture_on_commit_callbacks
):
    from sessions_app.services import session_expire

    _, checkout_id = start_card_checkout(customer_client, customer, stripe_stub)
    deliver_webhook(Client(), checkout_event(stripe_stub.pay(checkout_id), event_id="evt_x"))
    session = Session.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        session_expire(session=session)
    (refund,) = stripe_stub.calls("POST", "/v1/refunds")
    payment = Payment.objects.get()
    assert refund["payment_intent"] == payment.payment_intent and payment.status == "refunded"
    assert session.events.filter(type="refunded").exists()
