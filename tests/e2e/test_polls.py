"""Polls pace themselves (static/js/ui.js): their timers run only while the tab is visible, and
every poll waits out a 503's Retry-After instead of hammering a server that is down."""

import re
import time

import pytest
from playwright.sync_api import Page, Route, expect

from tests.factories import PASSWORD, make_mechanic

PULSE = re.compile(r"/mechanic/dashboard/pulse/")

# The tab's visibility, as the test sets it (headless Chromium is always "visible").
VISIBILITY_SWITCH = """
Object.defineProperty(document, "visibilityState", {
  configurable: true,
  get: function () { return window.__hidden ? "hidden" : "visible"; },
});
"""


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def dashboard(transactional_db, new_page, login) -> Page:
    make_mechanic("mike")
    page = new_page()
    page.add_init_script(VISIBILITY_SWITCH)
    login(page, "mike", PASSWORD)
    expect(page).to_have_url(re.compile(r"/mechanic/dashboard/$"))
    expect(page.locator("#live-indicator")).to_contain_text(re.compile(r"Live · updated \d+ s ago"))
    return page


def pulse_times(page: Page) -> list[float]:
    """When each pulse request left the page (monotonic seconds), as a list that keeps filling."""
    times: list[float] = []
    page.on("request", lambda request: times.append(time.monotonic()) if PULSE.search(request.url) else None)
    return times


def test_a_503_pauses_the_polls_for_retry_after_and_shows_reconnecting(dashboard):
    page = dashboard
    answered: list[float] = []

    def unavailable_once(route: Route) -> None:
        if answered:
            route.continue_()
            return
        answered.append(time.monotonic())
        route.fulfill(status=503, headers={"Retry-After": "5"}, body="")

    page.route(PULSE, unavailable_once)
    sent = pulse_times(page)
    expect(page.locator("#live-indicator")).to_have_text("Reconnecting…", timeout=5000)
    expect(page.locator("#live-indicator")).to_contain_text("Live · updated", timeout=10_000)
    after_503 = [t for t in sent if t > answered[0] + 0.1]
    assert after_503, sent
    assert after_503[0] - answered[0] >= 4.5  # nothing during the five seconds asked for


def test_poll_timers_wait_while_the_tab_is_hidden(dashboard):
    page = dashboard
    sent = pulse_times(page)
    page.evaluate("window.__hidden = true")
    page.wait_for_timeout(500)  # a request already on its way may still leave
    hidden_from = len(sent)
    page.wait_for_timeout(4500)  # two pulse periods
    assert len(sent) == hidden_from
    page.evaluate("window.__hidden = false")
    page.wait_for_timeout(4500)
    assert len(sent) > hidden_from
