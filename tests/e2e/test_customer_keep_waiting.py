"""Ask before expiry in Chromium: a customer whose request has waited 90 minutes sees "keep
waiting or cancel?" in the banner, clicks Keep waiting and sees the new expiry (desktop and
phone, with axe-core on the question and on the email's link page)."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from sessions_app.models import Session
from sessions_app.services import sessions_ask_before_expiry
from sessions_app.wait_links import wait_link_token
from tests.e2e.customer_steps import WAIT, signed_in_page
from tests.factories import make_customer, make_session

VIEWPORTS = {"desktop": {"width": 1280, "height": 860}, "phone": {"width": 390, "height": 844}}
AXE = Axe()


def violations(page) -> list[str]:
    return [f"{v['id']} ({v['impact']})" for v in AXE.run(page).response["violations"]]


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_keep_waiting_from_the_banner(transactional_db, live_server, new_page, artifacts_dir, clock, size):
    customer = make_customer("dana", full_name="Dana Driver")
    session = make_session(customer)
    clock.advance(minutes=90)  # the server thread shares this clock
    assert sessions_ask_before_expiry() == 1
    session = Session.objects.get(pk=session.pk)
    old = session.expires_at  # the 2 h mark
    assert old is not None

    page = signed_in_page(new_page, live_server, customer.user, viewport=VIEWPORTS[size])
    page.goto("/customer/dashboard/")
    banner = page.locator("#session-banner")
    question = banner.get_by_test_id("banner-wait-ask")
    expect(question).to_be_visible()
    expect(question).to_contain_text("Keep waiting or cancel?")
    expect(banner.get_by_test_id("banner-expiry")).to_contain_text(f"{old:%H:%M}")
    assert violations(page) == []
    page.screenshot(path=str(artifacts_dir / f"customer-keep-waiting-ask-{size}.png"), full_page=True)

    question.get_by_role("button", name="Keep waiting").click()
    expect(question).to_have_count(0, timeout=WAIT)  # answered: the question goes, no reload
    expect(page.locator(".toast").filter(has_text="Thanks for waiting").first).to_be_visible(timeout=WAIT)
    session.refresh_from_db()
    extended = session.wait_extended_until
    assert extended is not None and (extended - old).total_seconds() == 60 * 60
    expiry = banner.get_by_test_id("banner-expiry")
    expect(expiry).to_contain_text(f"{extended:%H:%M}")
    expect(expiry).to_contain_text("you chose to keep waiting")
    page.screenshot(path=str(artifacts_dir / f"customer-keep-waiting-extended-{size}.png"), full_page=True)


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_the_emailed_link_page(transactional_db, live_server, new_page, artifacts_dir, clock, size):
    customer = make_customer("erin", full_name="Erin Driver")
    session = make_session(customer)
    clock.advance(minutes=90)
    sessions_ask_before_expiry()
    session = Session.objects.get(pk=session.pk)
    page = new_page(viewport=VIEWPORTS[size])  # not signed in: the link is enough
    page.goto(f"/customer/wait/{wait_link_token(session)}/")
    expect(page.get_by_role("heading", name="Keep waiting or cancel?")).to_be_visible()
    assert violations(page) == []
    page.screenshot(path=str(artifacts_dir / f"customer-wait-link-{size}.png"), full_page=True)
    page.get_by_role("button", name="Keep waiting").click()
    expect(page.get_by_role("heading", name="You are still in line")).to_be_visible(timeout=WAIT)
    session.refresh_from_db()
    assert session.wait_extended_until is not None
    expect(page.get_by_test_id("wait-expires-at")).to_contain_text(f"{session.wait_extended_until:%H:%M}")
    page.screenshot(path=str(artifacts_dir / f"customer-wait-link-answered-{size}.png"), full_page=True)
