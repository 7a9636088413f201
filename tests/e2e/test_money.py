"""Money in Chromium: a credit pack bought through the Stripe stub end to end; the mechanic's
earnings page and the staff charts (values on hover and on keyboard focus), with screenshots at
desktop and phone width under test-artifacts/."""

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from billing.models import CreditLedger, CreditPack, Payment
from billing.packs import ensure_default_packs
from billing.services import credit_balance, credit_pack_fulfil, payout_create
from sessions_app.services import rating_create
from tests.billing.conftest import completed_credit_session
from tests.e2e.customer_steps import WAIT
from tests.factories import PASSWORD, make_customer, make_mechanic, plan
from tests.stripe_stub import checkout_event, deliver_webhook
from tests.stripe_stub import stripe_stub as stripe_stub  # noqa: F401  (fixture)

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def money_db(transactional_db):
    ensure_default_packs()
    for code in ("quick-chat", "video-30", "diagnostic-45"):
        plan(code)


def test_a_credit_pack_is_bought_end_to_end_and_added_once(
    money_db, live_server, new_page, login, stripe_stub
):
    alice = make_customer("alice")
    page = new_page()
    login(page, "alice", PASSWORD)
    page.goto("/customer/dashboard/")
    expect(page.get_by_test_id("credit-balance")).to_have_text("0")
    page.get_by_role("button", name="10 credits · $84.90").click()
    expect(page.get_by_role("heading", name="Test checkout")).to_be_visible(timeout=WAIT)
    expect(page.get_by_text("Pay $84.90")).to_be_visible()
    checkout_id = page.url.rsplit("/", 1)[1]
    page.get_by_role("button", name="Pay").click()
    expect(page).to_have_url(f"{live_server.url}/customer/dashboard/", timeout=WAIT)
    expect(page.get_by_text("Payment received: 10 credits added to your balance.")).to_be_visible()
    expect(page.get_by_test_id("credit-balance")).to_have_text("10")
    # Stripe's webhook arrives afterwards, twice: nothing more.
    payload = checkout_event(stripe_stub.sessions[checkout_id], event_id="evt_e2e_pack")
    assert deliver_webhook(Client(), payload).json()["result"] == "existing"
    assert deliver_webhook(Client(), payload).json()["result"] == "duplicate"
    assert credit_balance(customer=alice) == 10
    assert (CreditLedger.objects.filter(kind="purchase").count(), Payment.objects.count()) == (1, 1)


def _busy_mechanic():
    mike = make_mechanic("mike")
    for plan_code, credits in (("video-30", 3), ("diagnostic-45", 5), ("quick-chat", 1)):
        session = completed_credit_session(mike, plan_code=plan_code, credits=credits)
        rating_create(session=session, user=session.customer.user, stars=5 if credits > 1 else 4, comment="")
    today = timezone.localdate()
    payout_create(mechanic=mike, period_start=today, period_end=today, actor=None, note="Transfer 1")
    completed_credit_session(mike, plan_code="video-30", credits=3)
    return mike


def test_the_earnings_page_at_desktop_and_phone_width(money_db, live_server, new_page, login):
    _busy_mechanic()
    SHOTS.mkdir(exist_ok=True)
    for name, size in SIZES.items():
        page = new_page(viewport=size)
        login(page, "mike", PASSWORD)
        expect(page.locator("#earnings-card table")).to_be_visible(timeout=WAIT)  # loaded by the dashboard
        page.goto("/mechanic/earnings/")
        expect(page.get_by_role("heading", name="Earnings", exact=True)).to_be_visible()
        expect(page.locator(".statement tbody tr")).to_have_count(9)
        expect(page.get_by_role("link", name="Download CSV")).to_be_visible()
        page.screenshot(path=str(SHOTS / f"earnings-{name}.png"), full_page=True)
        with page.expect_download() as download:
            page.get_by_role("link", name="Download CSV").click()
        assert download.value.suggested_filename == f"earnings-{timezone.localdate():%Y-%m}.csv"


def test_the_staff_charts_show_values_on_hover_and_keyboard_focus(
    money_db, live_server, new_page, login, stripe_stub
):
    _busy_mechanic()
    buyer = make_customer("bob")
    bought = credit_pack_fulfil(
        checkout={
            "id": "cs_e2e_1",
            "payment_status": "paid",
            "amount_total": 4495,
            "currency": "usd",
            "metadata": {
                "credit_pack_id": str(CreditPack.objects.get(credits=5).pk),
                "customer_id": str(buyer.pk),
            },
        }
    )
    assert bought.result == "purchased"
    get_user_model().objects.create_superuser("boss", "boss@example.com", PASSWORD)
    SHOTS.mkdir(exist_ok=True)
    for name, size in SIZES.items():
        page = new_page(viewport=size)
        login(page, "boss", PASSWORD)
        page.goto("/staff/analytics/?days=7")
        expect(page.locator("figure.chart-figure svg")).to_have_count(8)  # 3 money + 5 contention (issue 14)
        money = page.get_by_test_id("chart-money")
        expect(money.locator("svg[role=group]")).to_have_count(1)
        # keyboard: into the chart, along the dates with the arrow keys, End for today
        first_bar = money.locator(".bar[tabindex='0']")
        first_bar.focus()
        page.keyboard.press("ArrowRight")
        expect(money.locator(".chart-tip")).to_contain_text("Revenue · ")
        page.keyboard.press("End")  # today
        tip = money.locator(".chart-tip")
        expect(tip).to_be_visible()
        expect(tip).to_contain_text("Revenue · ")
        expect(tip).to_contain_text("$44.95")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")
        expect(tip).to_contain_text("Payouts · ")
        # hover: the sessions chart tells the day and the count
        sessions = page.get_by_test_id("chart-sessions")
        sessions.scroll_into_view_if_needed()
        today_video = sessions.locator(".series.serie-1 .bar").last
        today_video.hover()
        expect(sessions.locator(".chart-tip")).to_contain_text(
            f"Video · {timezone.localdate():%a %-d %b %Y}: 2"
        )
        page.screenshot(path=str(SHOTS / f"staff-analytics-{name}.png"), full_page=True)
        page.locator("summary", has_text="Revenue, refunds and payouts per day: the numbers").click()
        expect(money.locator("table")).to_contain_text("$44.95")
