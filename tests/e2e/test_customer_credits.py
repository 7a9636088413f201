"""Credits end to end: pay with credits, follow the banner, cancel before live -> refunded."""

import re

from playwright.sync_api import expect

from billing.services import credit_balance
from sessions_app.models import Session
from tests.e2e.customer_steps import (
    WAIT,
    banner_pill,
    end_from_banner,
    fill_intake,
    mechanic_accepts,
    sign_waiver,
)
from tests.factories import PASSWORD, make_customer, make_mechanic, plan


def test_credit_request_then_cancel_refunds_the_credits(transactional_db, live_server, new_page, login):
    plan("video-30")
    carol = make_customer("carol", credits=4)
    make_mechanic("mike")

    page = new_page()
    login(page, "carol", PASSWORD)
    expect(page.get_by_test_id("credit-balance")).to_have_text("4")
    page.get_by_role("link", name="Start a request").click()
    fill_intake(page, plan_name="Video Call", pay_with="Credits")
    sign_waiver(page, name="Carol Driver", button="Sign and use 3 credits")
    session = Session.objects.get()
    expect(page).to_have_url(re.compile(rf"/video/{session.pk}/$"))
    expect(page.get_by_label("Video call")).to_be_visible()  # issue 11: the call replaced the placeholder
    expect(page.get_by_test_id("call-state")).to_contain_text("once a mechanic has accepted")
    expect(banner_pill(page)).to_have_text("Pending")
    assert credit_balance(customer=carol) == 1

    mechanic_page = new_page()
    login(mechanic_page, "mike", PASSWORD)
    mechanic_accepts(mechanic_page, session)
    expect(banner_pill(page)).to_have_text("Mechanic assigned", timeout=WAIT)
    expect(page.locator("[data-testid=room-status]")).to_have_text("Mechanic assigned", timeout=WAIT)

    # In its own room the banner shows the status only; the room has the End Session button.
    expect(page.locator("#session-banner").get_by_role("link", name="End Session")).to_have_count(0)
    page.goto("/customer/dashboard/")
    end_from_banner(page)  # not live yet: cancelled and refunded
    expect(page.locator("#start-request").get_by_role("link", name="Start a request")).to_be_visible(
        timeout=WAIT
    )
    session.refresh_from_db()
    assert session.status == "cancelled"
    assert credit_balance(customer=carol) == 4
    page.goto(f"/video/{session.pk}/")
    expect(page.locator("[data-testid=room-status]")).to_have_text("Cancelled")
    expect(page.get_by_text("was refunded in full")).to_be_visible()


def test_not_enough_credits_is_explained_on_the_page(
    transactional_db, live_server, new_page, login, artifacts_dir
):
    plan("diagnostic-45")
    make_customer("bob", credits=2)
    page = new_page()
    login(page, "bob", PASSWORD)
    page.goto("/customer/request/new/")
    fill_intake(page, plan_name="Full Diagnostic", pay_with="Credits")
    sign_waiver(page, name="Bob Driver", button="Sign and use 5 credits")
    expect(page.get_by_test_id("waiver-error")).to_contain_text("costs 5 credits and you have 2")
    page.screenshot(path=str(artifacts_dir / "customer-waiver-insufficient-credits.png"), full_page=True)
    page.get_by_role("link", name="Change plan or payment").click()
    expect(page.get_by_label("What is going on?")).to_have_value(
        "The engine stalls at red lights after warming up."
    )
    assert not Session.objects.exists()
