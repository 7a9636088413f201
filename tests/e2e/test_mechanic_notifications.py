"""Issue 14 in Chromium: the notification settings kept across a reload (screenshots at both
widths in test-artifacts/), the browser notification and toast for a request that arrives while
the dashboard is open, and the reminder alert on My Active Work."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from mechanics.models import Mechanic
from sessions_app.services import session_accept, sessions_remind_idle
from tests.e2e.customer_steps import signed_in_page
from tests.factories import make_customer, make_mechanic, make_session, open_assignment

WAIT = 15_000  # ms: polls every 2 s, on a busy 2-core machine
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# The browser's Notification API is outside our walls: record every notification the page
# raises (then let the real one go on, which headless Chromium may refuse: the page catches it).
RECORD_NOTIFICATIONS = """
(() => {
  window.__notifications = [];
  const Real = window.Notification;
  if (!Real) return;
  class Recording extends Real {
    constructor(title, options) {
      window.__notifications.push({ title: title, body: (options || {}).body || "" });
      super(title, options);
    }
  }
  window.Notification = Recording;
})();
"""


@pytest.fixture(autouse=True)
def _empty_cache():
    """The shared queue fragment is keyed by state version: start every test without one."""
    from django.core.cache import cache

    from sessions_app.live import forget_recent_state_version

    cache.clear()
    forget_recent_state_version()


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_notification_settings_are_kept(transactional_db, new_page, live_server):
    mike = make_mechanic("mike")
    page = signed_in_page(new_page, live_server, mike.user, viewport=DESKTOP)
    page.goto("/mechanic/settings/")

    page.get_by_label("Quiet from").fill("22:00")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Give both a start and an end for quiet hours")).to_be_visible()
    shot(page, "mechanic-settings-error-desktop")

    page.get_by_label("Quiet until").fill("07:00")
    page.get_by_label("My time zone").select_option("Europe/Berlin")
    page.get_by_label("Email notifications: email me about new requests and my sessions").check()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Your settings are saved.")).to_be_visible()

    page.reload()
    expect(page.get_by_label("Quiet from")).to_have_value("22:00")
    expect(page.get_by_label("Quiet until")).to_have_value("07:00")
    expect(page.get_by_label("My time zone")).to_have_value("Europe/Berlin")
    mike.refresh_from_db()
    assert (str(mike.quiet_hours_start), str(mike.quiet_hours_end), mike.time_zone) == (
        "22:00:00",
        "07:00:00",
        "Europe/Berlin",
    )
    shot(page, "mechanic-settings-desktop")

    phone = signed_in_page(new_page, live_server, mike.user, viewport=PHONE)
    phone.goto("/mechanic/settings/")
    expect(phone.get_by_label("Quiet until")).to_have_value("07:00")
    box = phone.get_by_label("Quiet from").bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE["width"] and box["height"] >= 44
    shot(phone, "mechanic-settings-phone")


def test_a_new_request_raises_a_browser_notification_and_a_toast(transactional_db, new_page, live_server):
    mike = make_mechanic("mike")
    page = signed_in_page(new_page, live_server, mike.user, viewport=DESKTOP, permissions=["notifications"])
    page.context.add_init_script(RECORD_NOTIFICATIONS)
    page.goto("/mechanic/dashboard/")
    expect(page.locator("#live-indicator")).to_contain_text(re.compile(r"Live"), timeout=WAIT)
    assert page.evaluate("Notification.permission") == "granted"
    expect(page.locator("#enable-notifications")).to_be_hidden()  # nothing to ask: already allowed

    make_session(make_customer("alice", full_name="Alice Walker"))  # from outside the page

    expect(page.locator("#toasts .toast")).to_contain_text("New Chat request from Alice", timeout=WAIT)
    page.wait_for_function("window.__notifications.length > 0", timeout=WAIT)
    (raised,) = page.evaluate("window.__notifications")
    assert raised["title"] == "Auto Doctor: new request"
    assert "Alice" in raised["body"]


def test_an_away_mechanic_gets_the_toast_but_no_browser_notification(transactional_db, new_page, live_server):
    mike = make_mechanic("mike")
    Mechanic.objects.filter(pk=mike.pk).update(availability=Mechanic.Availability.AWAY)
    page = signed_in_page(new_page, live_server, mike.user, viewport=DESKTOP, permissions=["notifications"])
    page.context.add_init_script(RECORD_NOTIFICATIONS)
    page.goto("/mechanic/dashboard/")
    expect(page.locator("#live-indicator")).to_contain_text(re.compile(r"Live"), timeout=WAIT)

    make_session(make_customer("alice", full_name="Alice Walker"))

    expect(page.locator("#toasts .toast")).to_contain_text("New Chat request from Alice", timeout=WAIT)
    assert page.evaluate("window.__notifications") == []


def test_the_reminder_alert_on_my_active_work(transactional_db, new_page, live_server, clock):
    mike = make_mechanic("mike")
    session_accept(
        assignment=open_assignment(make_session(make_customer(full_name="Alice Walker"))), mechanic=mike
    )
    clock.advance(minutes=20)
    assert sessions_remind_idle() == 1
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = signed_in_page(new_page, live_server, mike.user, viewport=viewport)
        page.goto("/mechanic/dashboard/")
        alert = page.get_by_test_id("reminder-alert")
        expect(alert).to_contain_text("Start it or release it: it goes back to the queue at")
        page.locator("#my-active-work").screenshot(path=str(SHOTS / f"mechanic-reminder-alert-{name}.png"))
