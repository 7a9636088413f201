"""Steps shared by the customer browser tests (tests/e2e/test_customer_*.py)."""

import re

from playwright.sync_api import Page, expect

from sessions_app.models import Session, SessionAssignment

WAIT = 10_000  # ms: the banner polls every 2 s


def fill_intake(page: Page, *, plan_name: str, pay_with: str | None = None, concern: str = "") -> None:
    """On /customer/request/new/: describe the car and the problem, pick a plan, continue."""
    page.get_by_label("Year").fill("2017")
    page.get_by_label("Make").fill("Honda")
    page.get_by_label("Model").fill("Civic")
    page.get_by_label("What is going on?").fill(
        concern or "The engine stalls at red lights after warming up."
    )
    page.locator("label.plan-option", has_text=plan_name).click()
    if pay_with:
        page.locator("label.inline-choice", has_text=pay_with).click()
    page.get_by_role("button", name="Continue to waiver").click()
    expect(page.get_by_role("heading", name="Review and sign")).to_be_visible()


def sign_waiver(page: Page, *, name: str, button: str | re.Pattern) -> None:
    page.get_by_label("Type your full name to sign").fill(name)
    page.get_by_label("I have read and agree to the waiver above.").check()
    page.get_by_role("button", name=button).click()


def banner_pill(page: Page):
    return page.locator("#session-banner [data-testid=banner-status]")


def mechanic_accepts(mechanic_page: Page, session: Session) -> str:
    """The mechanic claims the request through the JSON API from their own browser context."""
    assignment = SessionAssignment.objects.get(session=session, status="queued")
    token = next(c["value"] for c in mechanic_page.context.cookies() if c["name"] == "csrftoken")
    response = mechanic_page.request.post(
        f"/api/mechanic/assignments/{assignment.pk}/accept", headers={"X-CSRFToken": token}
    )
    assert response.ok, response.text()
    return response.json()["url"]


def mechanic_starts(mechanic_page: Page, room_url: str) -> None:
    mechanic_page.goto(room_url)
    mechanic_page.get_by_role("button", name="Start Session").click()
    expect(mechanic_page.locator("[data-testid=room-status]")).to_have_text("Live")


def end_from_banner(page: Page) -> None:
    """End Session in the banner, confirmed in the dialog: the banner goes at once."""
    page.locator("#session-banner").get_by_role("link", name="End Session").click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="End Session").click()
    expect(page.locator("#session-banner.session-banner-empty")).to_be_attached(timeout=WAIT)
    expect(banner_pill(page)).to_have_count(0)


def signed_in_page(new_page, live_server, user, **context_kwargs) -> Page:
    """A page whose context already carries `user`'s session cookie (skips the login form, which
    other tests cover) and a CSRF cookie, opened on nothing yet."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    page = new_page(**context_kwargs)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return page
