"""Accessibility: axe-core (bundled by axe-playwright-python) finds no violations on the pages
people use, at desktop and phone width, in the states they see them in."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from customers.models import Intake
from sessions_app.services import message_send, session_accept, session_complete, session_start
from tests.e2e.customer_steps import signed_in_page
from tests.factories import make_customer, make_mechanic, make_session, open_assignment, plan

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
AXE = Axe()


def violations(page: Page) -> list[str]:
    """One line per violated rule, with the first offending element."""
    results = AXE.run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -> {v['nodes'][0]['target']}"
        for v in results.response["violations"]
    ]


@pytest.fixture
def scene(transactional_db):
    """A customer with a live session and chat, one in the queue, one completed and rated."""
    alice = make_customer("alice", full_name="Alice Walker", credits=3)
    mike = make_mechanic("mike")
    intake = Intake.objects.create(
        customer=alice,
        vehicle_year=2017,
        vehicle_make="Honda",
        vehicle_model="Civic",
        vin="1HGCM82633A004352",
        concern="The engine stalls at red lights after warming up.",
        plan=plan("video-30"),
    )
    done = make_session(make_customer("dana", full_name="Dana Scully"))
    session_accept(assignment=open_assignment(done), mechanic=mike)
    session_start(session=done, mechanic=mike)
    session_complete(session=done, mechanic=mike, summary="Replaced the idle air control valve.")
    make_session(make_customer("bob", full_name="Bob Stone"))  # waits in the queue
    live = make_session(alice, plan_code="video-30", pay_with="credits", intake=intake)
    session_accept(assignment=open_assignment(live), mechanic=mike)
    session_start(session=live, mechanic=mike)
    message_send(session=live, sender=alice.user, body="Hi, the engine stalls at idle.")
    return {"alice": alice, "mike": mike, "live": live, "done": done}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_public_pages(new_page, live_server, viewport):
    page = new_page(viewport=viewport)
    found = {}
    for path in ("/accounts/login/", "/accounts/signup/"):
        page.goto(path)
        found[path] = violations(page)
    assert found == {path: [] for path in found}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_customer_pages(scene, new_page, live_server, viewport):
    page = signed_in_page(new_page, live_server, scene["alice"].user, viewport=viewport)
    found = {}
    for path in ("/customer/dashboard/", "/customer/request/new/", scene["live"].get_absolute_url()):
        page.goto(path)
        found[path] = violations(page)
    assert found == {path: [] for path in found}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_new_request_pages(transactional_db, new_page, live_server, viewport):
    page = signed_in_page(new_page, live_server, make_customer("carol", credits=0).user, viewport=viewport)
    found = {}
    page.goto("/customer/dashboard/")
    found["dashboard, no session"] = violations(page)
    page.goto("/customer/request/new/")
    found["intake"] = violations(page)
    page.get_by_role("button", name="Continue to waiver").click()  # nothing filled in: errors
    expect(page.locator(".field-error").first).to_be_visible()
    found["intake with errors"] = violations(page)
    assert found == {path: [] for path in found}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_mechanic_pages(scene, new_page, live_server, viewport):
    page = signed_in_page(new_page, live_server, scene["mike"].user, viewport=viewport)
    found = {}
    for path in (
        "/mechanic/dashboard/",
        "/mechanic/dashboard/?tab=completed",
        scene["live"].get_absolute_url(),
        f"/mechanic/sessions/{scene['done'].pk}/report/",
        "/mechanic/earnings/",  # issue 13: the statement (the dashboard loads the earnings card)
    ):
        page.goto(path)
        found[path] = violations(page)
    page.goto("/mechanic/dashboard/")
    page.get_by_role("link", name="View Intake").first.click()
    expect(page.locator("#intake-dialog")).to_be_visible()
    found["intake dialog"] = violations(page)
    # The mechanic's side, finished (issue 15): Settings with the active-session banner, a
    # queued request's Details, the dashboard's filters unfolded, the phone's menu opened.
    page.goto("/mechanic/settings/")
    expect(page.locator("#mechanic-banner [data-testid=mechanic-banner-status]")).to_have_text("Live")
    found["settings with the banner"] = violations(page)
    page.goto("/mechanic/dashboard/")
    page.get_by_role("link", name="Details of the request from Bob").click()
    expect(page.get_by_role("heading", name="Chat request from Bob")).to_be_visible()
    found["request details"] = violations(page)
    page.goto("/mechanic/dashboard/")
    page.locator("#filter-toggle").evaluate("(d) => { d.open = true; }")
    found["dashboard, filters open"] = violations(page)
    if page.get_by_role("button", name="Menu").is_visible():
        page.get_by_role("button", name="Menu").click()
        expect(page.get_by_role("link", name="Settings")).to_be_visible()
        found["menu open"] = violations(page)
    assert found == {path: [] for path in found}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_staff_analytics_and_error_pages(scene, new_page, live_server, viewport):
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.create_user("boss", password="pw-boss-123", is_staff=True)
    page = signed_in_page(new_page, live_server, staff, viewport=viewport)
    found = {}
    page.goto("/staff/analytics/")
    expect(page.get_by_role("heading", name="Sessions per day by type")).to_be_visible()
    expect(page.locator("figure.chart-figure svg[role=group]")).to_have_count(
        8
    )  # charts.js ran (3 money + 5 contention charts)
    found["analytics"] = violations(page)
    page.goto("/chat/999999/")  # not found
    found["404"] = violations(page)
    assert found == {path: [] for path in found}
