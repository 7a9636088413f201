"""Card payment end to end through the local Stripe stub: checkout page, success URL, the signed
webhook arriving too (one session, one payment), the banner, and a refund for a second payment."""

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from billing.models import Payment
from sessions_app.models import Session
from tests.e2e.customer_steps import (
    WAIT,
    banner_pill,
    fill_intake,
    mechanic_accepts,
    mechanic_starts,
    sign_waiver,
)
from tests.factories import PASSWORD, make_customer, make_mechanic, make_session, plan
from tests.stripe_stub import checkout_event, deliver_webhook
from tests.stripe_stub import stripe_stub as stripe_stub  # noqa: F401  (fixture)


@pytest.fixture
def alice(transactional_db):
    plan("quick-chat")
    return make_customer("alice")


def test_card_payment_creates_one_session_and_the_banner_follows_it(
    alice, live_server, new_page, login, stripe_stub
):
    make_mechanic("mike")
    page = new_page()
    login(page, "alice", PASSWORD)
    page.goto("/customer/request/new/")
    fill_intake(page, plan_name="Quick Chat", pay_with="Card")
    sign_waiver(page, name="Alice Driver", button="Sign and pay $9.99")

    expect(page.get_by_role("heading", name="Test checkout")).to_be_visible()  # the stub's "Stripe" page
    checkout_id = page.url.rsplit("/", 1)[1]
    page.get_by_role("button", name="Pay").click()
    session = None
    expect(page).to_have_url(re.compile(r"/chat/\d+/$"), timeout=WAIT)
    session = Session.objects.get()
    assert (session.payment_method, session.stripe_checkout_id) == ("card", checkout_id)
    expect(page.get_by_text("Payment received")).to_be_visible()
    expect(banner_pill(page)).to_have_text("Pending")

    # Stripe's webhook arrives after the success page: nothing new.
    payload = checkout_event(stripe_stub.sessions[checkout_id], event_id="evt_e2e")
    assert deliver_webhook(Client(), payload).json()["result"] == "existing"
    assert (Session.objects.count(), Payment.objects.count()) == (1, 1)

    mechanic_page = new_page()
    login(mechanic_page, "mike", PASSWORD)
    room_url = mechanic_accepts(mechanic_page, session)
    expect(banner_pill(page)).to_have_text("Mechanic assigned", timeout=WAIT)
    mechanic_starts(mechanic_page, room_url)
    expect(banner_pill(page)).to_have_text("Live", timeout=WAIT)
    page.get_by_text("End Session", exact=True).click()  # the room's own End Session, confirmed
    page.get_by_role("button", name="Yes, end it").click()
    expect(page.locator("[data-testid=room-status]")).to_have_text("Completed", timeout=WAIT)
    expect(page.get_by_role("group", name="How did it go?")).to_be_visible()
    expect(page.locator("#session-banner [data-testid=banner-status]")).to_have_count(0)
    assert Payment.objects.get().status == "paid"  # it went live: not refunded


def test_payment_while_another_session_is_active_is_refunded_and_explained(
    alice, live_server, new_page, login, stripe_stub
):
    page = new_page()
    login(page, "alice", PASSWORD)
    page.goto("/customer/request/new/")
    fill_intake(page, plan_name="Quick Chat", pay_with="Card")
    sign_waiver(page, name="Alice Driver", button="Sign and pay $9.99")
    expect(page.get_by_role("heading", name="Test checkout")).to_be_visible()
    make_session(alice)  # a free request from another tab went through meanwhile
    page.get_by_role("button", name="Pay").click()
    expect(page.get_by_test_id("refund-notice")).to_contain_text(
        "you already had an active session", timeout=WAIT
    )
    payment = Payment.objects.get()
    assert payment.status == "refunded" and payment.session is None
    assert len(stripe_stub.calls("POST", "/v1/refunds")) == 1
    page.goto("/customer/dashboard/")
    expect(page.locator(".message-warning")).to_contain_text(
        "was refunded because you already had an active session"
    )
