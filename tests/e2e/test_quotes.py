"""Repair quotes in Chromium: the mechanic composes one from a completed session (lines added and
removed, totals shown), the customer approves it in the app; a second one is approved from the
email's signed link. Screenshots of the form and the approval page at desktop and phone width
under test-artifacts/."""

import re
from pathlib import Path

from django.core import mail
from playwright.sync_api import expect

from quotes.models import QuoteStatus, RepairQuote
from quotes.services import quote_send
from sessions_app.models import SessionEvent
from sessions_app.transitions import SessionEventType
from tests.e2e.customer_steps import WAIT, signed_in_page
from tests.e2e.test_accessibility import violations
from tests.factories import make_customer, make_mechanic
from tests.quotes.helpers import LINES, completed_session

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def test_mechanic_sends_a_quote_and_the_customer_approves_in_the_app(transactional_db, live_server, new_page):
    SHOTS.mkdir(exist_ok=True)
    alice = make_customer("alice", credits=10)
    mike = make_mechanic("mike")
    session = completed_session(alice, mike, plan_code="diagnostic-45")

    mechanic = signed_in_page(new_page, live_server, mike.user, **DESKTOP)
    mechanic.goto(f"/diagnostic/{session.pk}/")
    mechanic.get_by_role("link", name="Send a repair quote").click()
    expect(mechanic.get_by_role("heading", name=re.compile("Repair quote"))).to_be_visible()
    mechanic.get_by_label("Description").fill("Front brake pads (set)")
    mechanic.get_by_label("Unit price / rate ($)").fill("89.99")
    mechanic.get_by_role("button", name="+ Add a line").click()  # cloned in the page, no reload
    rows = mechanic.locator("[data-row]")
    expect(rows).to_have_count(2)
    second = rows.nth(1)
    second.get_by_label("Type").select_option("labour")
    second.get_by_label("Description").fill("Replace pads and rotor")
    second.get_by_label("Qty / hours").fill("1.5")
    second.get_by_label("Unit price / rate ($)").fill("95.55")
    mechanic.get_by_role("button", name="+ Add a line").click()
    third = rows.nth(2)
    third.get_by_label("Description").fill("Wiper blades")
    third.get_by_label("Unit price / rate ($)").fill("30")
    mechanic.get_by_label("Tax rate (%)").fill("8.25")
    expect(mechanic.get_by_test_id("preview-total")).to_have_text("$285.04", timeout=WAIT)
    third.get_by_text("Remove").click()  # the customer did not ask for wipers
    expect(mechanic.get_by_test_id("preview-total")).to_have_text("$252.57", timeout=WAIT)
    mechanic.get_by_label("Note to the customer (optional)").fill("Pads are down to 2 mm.")
    mechanic.screenshot(path=str(SHOTS / "quote-form-desktop.png"), full_page=True)
    assert violations(mechanic) == []
    phone_form = signed_in_page(new_page, live_server, mike.user, **PHONE)
    phone_form.goto(f"/quotes/sessions/{session.pk}/new/")
    expect(phone_form.get_by_role("button", name=re.compile("Send quote"))).to_be_visible()
    phone_form.screenshot(path=str(SHOTS / "quote-form-phone.png"), full_page=True)
    assert violations(phone_form) == []

    mechanic.get_by_role("button", name="Send quote to Alice").click()
    expect(mechanic.get_by_test_id("quote-status")).to_have_text("Awaiting the customer", timeout=WAIT)
    expect(mechanic.get_by_test_id("quote-total")).to_have_text("$252.57")
    quote = RepairQuote.objects.get()
    assert [x.description for x in quote.lines.all()] == ["Front brake pads (set)", "Replace pads and rotor"]

    customer = signed_in_page(new_page, live_server, alice.user, **DESKTOP)
    customer.goto("/customer/dashboard/")
    customer.get_by_role("link", name=re.compile("Review and answer")).click()
    expect(customer.get_by_test_id("quote-total")).to_have_text("$252.57")
    customer.screenshot(path=str(SHOTS / "quote-approval-in-app-desktop.png"), full_page=True)
    assert violations(customer) == []
    customer.get_by_role("button", name="Approve $252.57").click()
    expect(customer.get_by_text("Quote approved. Your mechanic has been told.")).to_be_visible(timeout=WAIT)
    expect(customer.get_by_test_id("quote-status")).to_have_text("Approved")
    assert RepairQuote.objects.get().status == QuoteStatus.APPROVED
    assert SessionEvent.objects.filter(type=SessionEventType.QUOTE_APPROVED).count() == 1
    assert any("approved your quote" in m.subject for m in mail.outbox)


def test_the_customer_approves_from_the_email_link(transactional_db, live_server, new_page):
    SHOTS.mkdir(exist_ok=True)
    alice = make_customer("alice", credits=10, full_name="Alice Driver")
    session = completed_session(alice, make_mechanic("mike"))
    from datetime import timedelta

    from django.utils import timezone

    quote_send(
        session=session,
        mechanic=session.mechanic,
        lines=LINES,
        valid_until=timezone.localdate() + timedelta(days=10),
        site_url=live_server.url + "/",
    )
    (email,) = [m for m in mail.outbox if m.to == ["alice@example.com"] and "Repair quote" in m.subject]
    link = re.search(r"https?://\S+/quotes/link/\S+/", email.body).group(0)

    page = new_page(**DESKTOP)  # not signed in: the link is enough
    page.goto(link)
    expect(page.get_by_role("heading", name="Your repair quote")).to_be_visible()
    expect(page.get_by_test_id("quote-total")).to_have_text("$233.32")
    page.screenshot(path=str(SHOTS / "quote-approval-desktop.png"), full_page=True)
    assert violations(page) == []
    phone = new_page(**PHONE)
    phone.goto(link)
    expect(phone.get_by_role("button", name="Approve $233.32")).to_be_visible()
    phone.screenshot(path=str(SHOTS / "quote-approval-phone.png"), full_page=True)
    assert violations(phone) == []
    assert RepairQuote.objects.get().status == QuoteStatus.SENT  # opening the link did nothing

    page.get_by_role("button", name="Approve $233.32").click()
    expect(page.get_by_text("Quote approved. Your mechanic has been told.")).to_be_visible(timeout=WAIT)
    expect(page.get_by_test_id("quote-status")).to_have_text("Approved")
    phone.reload()
    expect(phone.get_by_role("button", name="Approve $233.32")).to_have_count(0)
    assert RepairQuote.objects.get().status == QuoteStatus.APPROVED

    page.goto(link[:-3] + "x/")  # a cut or changed link
    expect(page.get_by_role("heading", name="This link is not valid")).to_be_visible()
