"""Time zones in the browser (issue 14): sign-up detects the browser's zone (static/js/time-zone.js,
Intl), the account page changes it, and a mechanic's dashboard loads the Upcoming panel with due
times in their zone. Desktop (1280) and phone (390) screenshots in artifacts/."""

from datetime import timedelta

import pytest
from django.utils import timezone

from customers.models import Customer
from mechanics.models import Mechanic
from tests.factories import PASSWORD, make_customer, make_mechanic, make_session, plan

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def sign_up(page, username: str) -> None:
    page.goto("/accounts/signup/")
    page.get_by_label("Your name").fill(f"{username.capitalize()} Tester")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.com")
    page.get_by_label("Password", exact=True).fill("a-long-enough-pass-42")
    page.get_by_label("Password again").fill("a-long-enough-pass-42")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/customer/dashboard/", timeout=15_000)


def test_sign_up_takes_the_browser_zone_and_the_account_page_changes_it(
    transactional_db, live_server, new_page, artifacts_dir
):
    plan()
    desktop = new_page(timezone_id="Asia/Tokyo", **DESKTOP)
    desktop.goto("/accounts/signup/")
    desktop.wait_for_function("document.querySelector('input[name=time_zone]').value !== ''", timeout=10_000)
    assert desktop.locator("input[name=time_zone]").input_value() == "Asia/Tokyo"
    desktop.screenshot(path=str(artifacts_dir / "signup-time-zone-desktop.png"), full_page=True)
    sign_up(desktop, "kenji")
    assert Customer.objects.get(user__username="kenji").time_zone == "Asia/Tokyo"
    desktop.get_by_role("link", name="Account").click()
    desktop.wait_for_url("**/customer/account/")
    assert desktop.get_by_label("Time zone").input_value() == "Asia/Tokyo"
    assert "JST" in desktop.get_by_test_id("local-now").inner_text()
    desktop.screenshot(path=str(artifacts_dir / "customer-account-desktop.png"), full_page=True)

    phone = new_page(timezone_id="America/New_York", **PHONE)
    phone.goto("/accounts/signup/")
    phone.wait_for_function("document.querySelector('input[name=time_zone]').value !== ''", timeout=10_000)
    phone.screenshot(path=str(artifacts_dir / "signup-time-zone-phone.png"), full_page=True)
    sign_up(phone, "nora")
    assert Customer.objects.get(user__username="nora").time_zone == "America/New_York"
    phone.goto("/customer/account/")
    phone.get_by_label("Time zone").select_option("Asia/Kolkata")
    phone.get_by_role("button", name="Save").click()
    phone.wait_for_load_state("networkidle")
    assert "Times are now shown in Asia/Kolkata" in phone.content()
    assert "IST" in phone.get_by_test_id("local-now").inner_text()
    phone.screenshot(path=str(artifacts_dir / "customer-account-phone.png"), full_page=True)
    assert Customer.objects.get(user__username="nora").time_zone == "Asia/Kolkata"


def test_the_dashboard_loads_upcoming_scheduled_requests_in_the_mechanic_zone(
    transactional_db, live_server, new_page, login, artifacts_dir
):
    mike = make_mechanic("mike")
    Mechanic.objects.filter(pk=mike.pk).update(time_zone="Asia/Kolkata")
    due = (timezone.now() + timedelta(days=1)).replace(hour=15, minute=30, second=0, microsecond=0)
    make_session(make_customer("ann"), scheduled_for=due)
    for name, options in (("desktop", DESKTOP), ("phone", PHONE)):
        page = new_page(**options)
        login(page, "mike", PASSWORD)
        panel = page.locator("#upcoming[data-testid=upcoming]")
        panel.wait_for(timeout=15_000)
        due_text = panel.get_by_test_id("upcoming-due").inner_text()
        assert due_text.endswith("21:00 IST"), due_text
        assert panel.get_by_role("button", name="Accept").count() == 0
        panel.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts_dir / f"mechanic-upcoming-{name}.png"), full_page=True)


def test_staff_see_the_contention_charts(transactional_db, live_server, new_page, login, artifacts_dir):
    from django.contrib.auth import get_user_model

    from autodoctor.errors import DomainError
    from sessions_app.services import session_accept, session_release

    get_user_model().objects.create_user("boss", password=PASSWORD, is_staff=True)
    mike, maria = make_mechanic("mike"), make_mechanic("maria")
    session = make_session(make_customer("ann"))
    assignment = session.assignments.get()
    session_accept(assignment=assignment, mechanic=mike)
    with pytest.raises(DomainError):
        session_accept(assignment=assignment, mechanic=maria)  # lost the race: recorded
    session_release(session=session, mechanic=mike)
    for name, options in (("desktop", DESKTOP), ("phone", PHONE)):
        page = new_page(**options)
        login(page, "boss", PASSWORD)
        page.goto("/staff/analytics/?days=7")
        races = page.get_by_test_id("chart-contention-races")
        races.wait_for(timeout=15_000)
        assert "Accepts lost" in races.inner_text()
        races.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts_dir / f"staff-contention-{name}.png"), full_page=True)
