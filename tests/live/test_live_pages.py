"""The pages on push, in Chromium against a real uvicorn: with the safety-net polls set to 60 s,
only the stream can explain a change showing within seconds."""

import re

import pytest
from playwright.sync_api import expect

from sessions_app.services import message_send, session_accept
from tests.factories import make_customer, make_mechanic, make_session, open_assignment

pytestmark = pytest.mark.e2e
SOON = 10_000  # ms; generous for a busy machine, and still far short of the 60 s polls


def test_a_new_request_appears_on_an_open_dashboard_by_push(live_page):
    mechanic = make_mechanic()
    page = live_page(mechanic.user)
    page.goto("/mechanic/dashboard/")
    expect(page.locator("#live-indicator")).to_have_text("Live")
    pulses = []
    page.on("request", lambda r: pulses.append(r.url) if "/pulse" in r.url else None)

    customer = make_customer(full_name="Priya Pushwell")
    make_session(customer)
    expect(page.locator("#queue")).to_contain_text("Priya", timeout=SOON)
    # Whatever pulse the hint asked for carried the hinted version (the request event can reach
    # this listener after the swap, so its absence proves nothing; showing before a poll does).
    assert all("lv=" in url for url in pulses)


def test_a_customer_banner_follows_their_session_by_push(live_page):
    customer, mechanic = make_customer(), make_mechanic()
    session = make_session(customer)
    page = live_page(customer.user)
    page.goto("/customer/dashboard/")
    expect(page.get_by_test_id("banner-status")).to_be_visible()
    expect(page.locator("body[data-live=open]")).to_have_count(1)  # the stream is open

    session_accept(assignment=open_assignment(session), mechanic=mechanic)
    expect(page.locator("#session-banner")).to_contain_text(mechanic.display_name, timeout=SOON)


def test_a_chat_message_reaches_the_other_side_of_the_room_by_push(live_page):
    customer, mechanic = make_customer(), make_mechanic()
    session = make_session(customer)
    session_accept(assignment=open_assignment(session), mechanic=mechanic)
    page = live_page(customer.user)
    page.goto(session.get_absolute_url())
    expect(page.locator("body[data-live=open]")).to_have_count(1)  # the stream is open
    streams = page.evaluate(
        "Array.from(document.querySelectorAll('[sse-connect]')).map(e => e.getAttribute('sse-connect'))"
    )
    assert streams == [f"/live/session/{session.pk}/"]  # one stream per tab: the room's

    message_send(session=session, sender=mechanic.user, body="Check the coolant level first.")
    expect(page.locator("#chat-log")).to_contain_text("coolant", timeout=SOON)


def test_without_a_stream_the_dashboard_polls_and_says_so(live_page, live_uvicorn):
    mechanic = make_mechanic()
    page = live_page(mechanic.user, safety_net_ms=60_000)
    page.route(re.compile(r".*/live/mechanic/.*"), lambda route: route.abort())
    page.goto("/mechanic/dashboard/")
    expect(page.locator("#live-indicator")).to_contain_text(re.compile(r"Live · updated \d+ s ago"))
    make_session(make_customer(full_name="Oscar Polling"))
    expect(page.locator("#queue")).to_contain_text("Oscar", timeout=6000)  # the 2 s polls


HIDE = """(hidden) => {
  if (!window.__visibility) {
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => window.__visibility });
    Object.defineProperty(document, "hidden", { configurable: true, get: () => window.__visibility === "hidden" });
  }
  window.__visibility = hidden ? "hidden" : "visible";
  document.dispatchEvent(new Event("visibilitychange"));
}"""


KEEP_SOURCES = """
window.__sources = [];
const Original = window.EventSource;
window.EventSource = function (url, init) { const s = new Original(url, init); window.__sources.push(s); return s; };
window.EventSource.prototype = Original.prototype;
Object.assign(window.EventSource, { CONNECTING: 0, OPEN: 1, CLOSED: 2 });
"""
SOURCE_STATES = "window.__sources.map((s) => s.readyState)"


def test_a_hidden_tab_closes_its_stream_and_catches_up_when_shown(live_page):
    """Hidden for longer than hiddenCloseMs (1 s here, about a minute for real): the stream
    closes and the header says so; shown again, a new stream names the last version the page
    heard and the change made meanwhile shows without waiting for a poll."""
    mechanic = make_mechanic()
    page = live_page(mechanic.user)
    page.add_init_script("window.AutoDoctorHiddenCloseMs = 1000;" + KEEP_SOURCES)
    streams = []
    page.on("request", lambda r: streams.append(r.url) if "/live/mechanic/" in r.url else None)
    page.goto("/mechanic/dashboard/")
    expect(page.locator("#live-indicator")).to_have_text("Live")
    assert len(streams) == 1

    page.evaluate(HIDE, True)
    expect(page.locator("body[data-live=paused]")).to_have_count(1, timeout=5000)
    expect(page.locator("#live-indicator")).to_have_text("Paused while hidden")
    assert page.evaluate(SOURCE_STATES) == [2]  # EventSource.CLOSED: the connection is gone

    make_session(make_customer(full_name="Hana Hidden"))  # while nobody listens
    page.wait_for_timeout(1500)
    expect(page.locator("#queue")).not_to_contain_text("Hana")  # no stream, no ticking polls

    page.evaluate(HIDE, False)
    expect(page.locator("#queue")).to_contain_text("Hana", timeout=SOON)
    expect(page.locator("#live-indicator")).to_have_text("Live")
    assert len(streams) == 2 and "v=" in streams[1]  # reopened, naming the version it had
    assert page.evaluate(SOURCE_STATES) == [2, 1]  # the old one closed, the new one open


def test_a_tab_hidden_only_briefly_keeps_its_stream(live_page):
    mechanic = make_mechanic()
    page = live_page(mechanic.user)
    page.add_init_script("window.AutoDoctorHiddenCloseMs = 3000;")
    streams = []
    page.on("request", lambda r: streams.append(r.url) if "/live/mechanic/" in r.url else None)
    page.goto("/mechanic/dashboard/")
    expect(page.locator("#live-indicator")).to_have_text("Live")
    page.evaluate(HIDE, True)
    page.wait_for_timeout(1000)
    page.evaluate(HIDE, False)
    page.wait_for_timeout(3000)  # past the close delay: the timer was cancelled
    expect(page.locator("body[data-live=open]")).to_have_count(1)
    assert len(streams) == 1
