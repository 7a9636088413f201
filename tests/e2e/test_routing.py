"""Expertise routing (issue 14) in Chromium: a matching mechanic sees the request at once with
"Matches your expertise", a non-matching one does not see it until its first look ends, then it
arrives on their open dashboard by itself; Settings › Your expertise. Screenshots at both widths
go to test-artifacts/."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from customers.models import Intake
from mechanics.models import Mechanic
from mechanics.services import mechanic_update_expertise
from sessions_app.services import first_looks_open_due
from tests.e2e.customer_steps import signed_in_page
from tests.factories import make_customer, make_mechanic, make_session, plan

WAIT = 15_000  # ms: polls every 2 s, on a busy 2-core machine
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FIRST_LOOK = 3  # seconds: short, so the test waits for a real window to end


@pytest.fixture(autouse=True)
def _empty_cache():
    from django.core.cache import cache

    from sessions_app.live import forget_recent_state_version

    cache.clear()
    forget_recent_state_version()


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def toyota_expert(username: str) -> Mechanic:
    return mechanic_update_expertise(
        mechanic=make_mechanic(username),
        makes=["Toyota"],
        systems=["brakes"],
        session_types=[],
        languages=[],
    )


def toyota_brakes_request():
    alice = make_customer("alice", full_name="Alice Walker")
    intake = Intake.objects.create(
        customer=alice,
        vehicle_year=2018,
        vehicle_make="Toyota",
        vehicle_model="Camry",
        concern="Grinding from the front brakes when stopping at low speed.",
        plan=plan("free-chat"),
        system="brakes",
    )
    return make_session(alice, intake=intake)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_first_look_then_everyone(transactional_db, settings, new_page, live_server, viewport):
    settings.FIRST_LOOK_SECONDS = FIRST_LOOK
    mike = toyota_expert("mike")
    max_ = make_mechanic("max")
    mike_page = signed_in_page(new_page, live_server, mike.user, viewport=viewport)
    max_page = signed_in_page(new_page, live_server, max_.user, viewport=viewport)
    mike_page.goto("/mechanic/dashboard/")
    max_page.goto("/mechanic/dashboard/")

    toyota_brakes_request()

    # The matching mechanic's open dashboard shows it, marked; the other's does not.
    row = mike_page.locator("#queue [data-assignment-id]")
    expect(row).to_have_count(1, timeout=WAIT)
    expect(row.get_by_text("Matches your expertise: Toyota, brakes")).to_be_visible()
    expect(row.get_by_text(re.compile(r"First look for you until \d\d:\d\d:\d\d"))).to_be_visible()
    shot(mike_page, f"route-queue-match-{viewport['width']}")
    max_page.reload()
    expect(max_page.locator("#queue [data-assignment-id]")).to_have_count(0)
    expect(max_page.get_by_text("No pending requests right now.")).to_be_visible()
    shot(max_page, f"route-first-look-hidden-{viewport['width']}")

    # The window ends; the sweep (as django-q2 would run it) opens it; Max's page gets it alone.
    max_page.wait_for_timeout(FIRST_LOOK * 1000)
    assert first_looks_open_due() == 1
    other_row = max_page.locator("#queue [data-assignment-id]")
    expect(other_row).to_have_count(1, timeout=WAIT)
    expect(other_row.get_by_text("Matches your expertise")).to_have_count(0)
    expect(other_row.get_by_role("button", name="Accept request from Alice")).to_be_visible()
    shot(max_page, f"route-opened-to-all-{viewport['width']}")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_settings_your_expertise(transactional_db, new_page, live_server, viewport):
    mike = make_mechanic("mike")
    page = signed_in_page(new_page, live_server, mike.user, viewport=viewport)
    page.goto("/mechanic/settings/")

    page.get_by_label("Makes you know").fill("Toyota, Honda")
    page.get_by_label("Brakes").check()
    page.get_by_label("Spanish").check()
    page.get_by_role("button", name="Save expertise").click()

    expect(page.get_by_text("Your expertise is saved")).to_be_visible()
    expect(page.get_by_label("Makes you know")).to_have_value("Toyota, Honda")
    expect(page.get_by_label("Brakes")).to_be_checked()
    shot(page, f"route-expertise-settings-{viewport['width']}")
    mike.refresh_from_db()
    assert (mike.specialty_makes, mike.specialty_systems, mike.specialty_languages) == (
        ["Toyota", "Honda"],
        ["brakes"],
        ["es"],
    )


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_row_that_does_not_fit_the_budget_says_why(
    transactional_db, settings, new_page, live_server, viewport
):
    from sessions_app.services import session_accept
    from tests.factories import open_assignment

    settings.FIRST_LOOK_SECONDS = 0
    mike = make_mechanic("mike", capacity=3)
    held = make_session(make_customer("dora", credits=5), plan_code="diagnostic-45", pay_with="credits")
    session_accept(assignment=open_assignment(held), mechanic=mike)
    make_session(
        make_customer("victor", full_name="Victor Video", credits=3), plan_code="video-30", pay_with="credits"
    )
    make_session(make_customer("chloe", full_name="Chloe Chat"))
    page = signed_in_page(new_page, live_server, mike.user, viewport=viewport)
    page.goto("/mechanic/dashboard/")

    rows = page.locator("#queue [data-assignment-id]")
    expect(rows).to_have_count(2)
    video = rows.filter(has_text="Victor")
    expect(video.get_by_text("A video call takes 2 of your 3; you are using 2.")).to_be_visible()
    expect(video.get_by_role("button", name=re.compile("^Accept"))).to_have_count(0)
    expect(
        rows.filter(has_text="Chloe").get_by_role("button", name="Accept request from Chloe")
    ).to_be_visible()
    shot(page, f"route-capacity-fit-{viewport['width']}")
