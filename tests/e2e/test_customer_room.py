"""The session room in Chromium: both sides chat within seconds (no message lost or doubled),
the mechanic completes with a summary, the customer rates. Screenshots at desktop and phone."""

from playwright.sync_api import expect

from sessions_app.models import SessionMessage
from sessions_app.services import message_send, session_accept, session_start
from tests.e2e.customer_steps import WAIT, signed_in_page
from tests.factories import PASSWORD, make_customer, make_mechanic, make_session, open_assignment


def test_chat_both_ways_within_seconds(transactional_db, live_server, new_page, login, artifacts_dir):
    alice = make_customer("alice", credits=3)
    mike = make_mechanic("mike")
    session = make_session(alice, plan_code="video-30", pay_with="credits")
    session_accept(assignment=open_assignment(session), mechanic=mike)
    room = f"/video/{session.pk}/"

    customer = signed_in_page(new_page, live_server, alice.user, viewport={"width": 1280, "height": 900})
    customer.goto(room)
    mechanic = signed_in_page(new_page, live_server, mike.user)
    mechanic.goto(room)
    mechanic.get_by_role("button", name="Start Session").click()
    expect(customer.locator("[data-testid=room-status]")).to_have_text("Live", timeout=WAIT)

    customer.get_by_label("Message").fill("Hi, the engine stalls at idle.")
    customer.get_by_role("button", name="Send").click()
    expect(customer.get_by_label("Message")).to_have_value("")  # sent with htmx, no reload
    expect(mechanic.locator("#chat-log")).to_contain_text("the engine stalls at idle", timeout=WAIT)
    mechanic.get_by_label("Message").fill("Is the check-engine light on?")
    mechanic.get_by_label("Message").press("Enter")
    expect(customer.locator("#chat-log")).to_contain_text("check-engine light", timeout=WAIT)
    message_send(session=session, sender=alice.user, body="Yes, it is steady.")  # e.g. from a phone
    expect(mechanic.locator("#chat-log > li")).to_have_count(3, timeout=WAIT)
    expect(customer.locator("#chat-log > li")).to_have_count(3, timeout=WAIT)
    with customer.expect_response(lambda r: "/messages/" in r.url, timeout=WAIT):
        pass  # one more poll: nothing is appended twice
    expect(customer.locator("#chat-log > li")).to_have_count(3)
    assert SessionMessage.objects.count() == 3

    customer.screenshot(path=str(artifacts_dir / "session-room-desktop.png"), full_page=True)
    phone = signed_in_page(
        new_page,
        live_server,
        alice.user,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    phone.goto(room)
    expect(phone.locator("#chat-log > li")).to_have_count(3)
    phone.screenshot(path=str(artifacts_dir / "session-room-phone.png"), full_page=True)


def test_mechanic_completes_and_customer_rates(transactional_db, live_server, new_page, login):
    alice = make_customer("alice")
    mike = make_mechanic("mike")
    session = make_session(alice)
    session_accept(assignment=open_assignment(session), mechanic=mike)
    session_start(session=session, mechanic=mike)
    room = f"/chat/{session.pk}/"
    customer = signed_in_page(new_page, live_server, alice.user)
    customer.goto(room)
    mechanic = signed_in_page(new_page, live_server, mike.user)
    mechanic.goto(room)

    mechanic.get_by_text("Complete", exact=True).click()
    mechanic.get_by_label("Summary of your findings").fill("Dirty idle air control valve: clean it.")
    mechanic.get_by_role("button", name="Complete session").click()
    expect(customer.locator("[data-testid=summary]")).to_have_text(
        "Dirty idle air control valve: clean it.", timeout=WAIT
    )
    expect(customer.get_by_text("The chat is closed")).to_be_visible()
    customer.locator("label[for=star-4]").click()
    customer.get_by_label("Comment (optional)").fill("Quick and clear.")
    customer.get_by_role("button", name="Send rating").click()
    expect(customer.get_by_label("Rated 4 out of 5")).to_be_visible()
    customer.goto("/customer/dashboard/")
    expect(customer.get_by_text("Dirty idle air control valve")).to_be_visible()
    expect(customer.get_by_label("Rated 4 out of 5")).to_be_visible()


def test_pending_dashboard_on_a_phone(transactional_db, live_server, new_page, login, artifacts_dir):
    make_session(make_customer("bob"))
    alice = make_customer("alice")
    make_session(alice, plan_code="free-chat")
    page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    login(page, "alice", PASSWORD)
    expect(page.locator("#session-banner")).to_contain_text("#2")
    page.screenshot(path=str(artifacts_dir / "customer-dashboard-pending-phone.png"), full_page=True)
    page.goto("/customer/request/new/")
    expect(page.get_by_test_id("active-exists")).to_be_visible()
