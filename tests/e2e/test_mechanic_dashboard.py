"""The mechanic dashboard in Chromium, clicked the way a mechanic would."""

import re

import pytest
from playwright.sync_api import expect

from customers.models import Intake
from sessions_app.services import session_accept, session_start
from tests.factories import PASSWORD, make_customer, make_mechanic, make_session, open_assignment, plan

WAIT = 8000  # ms: two or three poll rounds


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    """The shared queue fragment is keyed by state version: start every test without one."""
    from django.core.cache import cache

    from sessions_app.live import forget_recent_state_version

    cache.clear()
    forget_recent_state_version()


@pytest.fixture
def open_dashboard(new_page, login):
    """open_dashboard(username, **context) -> a page signed in on the mechanic dashboard."""

    def _open(username: str, **context):
        page = new_page(**context)
        login(page, username, PASSWORD)
        expect(page).to_have_url(re.compile(r"/mechanic/dashboard/$"))
        return page

    return _open


def queue(page):
    return page.locator("#queue [data-assignment-id]")


def active_work(page):
    return page.locator("#my-active-work")


def test_accepted_request_stays_in_my_active_work_across_logout(transactional_db, open_dashboard, login):
    make_mechanic("mike")
    session = make_session(make_customer("alice", full_name="Alice Walker"))
    page = open_dashboard("mike")

    page.get_by_role("button", name="Accept request from Alice").click()
    expect(page).to_have_url(re.compile(rf"/chat/{session.pk}/$"))

    page.goto("/mechanic/dashboard/")
    expect(active_work(page).get_by_text("Waiting to Start")).to_be_visible()
    expect(active_work(page).get_by_role("heading", name="Alice · Chat")).to_be_visible()

    page.get_by_role("button", name="Sign Out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    login(page, "mike", PASSWORD)
    expect(active_work(page).get_by_role("heading", name="Alice · Chat")).to_be_visible()
    expect(page.locator("#stat-active")).to_contain_text("1")


def test_at_capacity_the_queue_shows_the_lock_message(transactional_db, open_dashboard):
    mike = make_mechanic("mike")
    session_accept(assignment=open_assignment(make_session()), mechanic=mike)
    make_session()
    page = open_dashboard("mike")

    expect(page.get_by_text("You have 1 active session assigned to you.")).to_be_visible()
    expect(page.get_by_text("Your active sessions persist even if you log out.")).to_be_visible()
    expect(queue(page)).to_have_count(1)
    expect(page.locator("#queue").get_by_role("button", name=re.compile("^Accept"))).to_have_count(0)
    page.get_by_role("link", name="Go to My Active Work").click()
    expect(page).to_have_url(re.compile(r"#my-active-work$"))


def test_start_then_complete_frees_the_mechanic(transactional_db, open_dashboard):
    mike = make_mechanic("mike")
    session = session_accept(assignment=open_assignment(make_session()), mechanic=mike)
    make_session(make_customer("bob", full_name="Bob Stone"))
    page = open_dashboard("mike")
    work = active_work(page)

    work.get_by_role("button", name="Start Session").click()
    expect(work.get_by_text("Live Now")).to_be_visible()
    expect(page.get_by_text("1 Live • 0 Waiting")).to_be_visible()

    work.get_by_text("Complete…").click()
    work.get_by_label("Summary of findings").fill("Battery terminal was loose; tightened and cleaned.")
    work.get_by_role("button", name="Complete session").click()
    expect(work.get_by_text("No active work")).to_be_visible()
    expect(page.locator("#toasts")).to_contain_text("Session completed")
    # the lock is gone: Bob's request can be accepted again
    expect(page.get_by_role("button", name="Accept request from Bob")).to_be_visible()

    page.get_by_role("link", name=re.compile(r"^Completed \(1\)")).click()
    row = page.locator(f'tr[data-session-id="{session.pk}"]')
    expect(row).to_contain_text("Battery terminal was loose")
    expect(row.get_by_role("link", name=re.compile("^Report"))).to_be_visible()


def test_release_puts_the_request_back_in_another_mechanics_queue(transactional_db, open_dashboard):
    make_mechanic("mike")
    make_mechanic("maria")
    oldest = make_session(make_customer("alice", full_name="Alice Walker"))
    newer = make_session(make_customer("bob", full_name="Bob Stone"))
    mike = open_dashboard("mike")
    maria = open_dashboard("maria")

    mike.get_by_role("button", name="Accept request from Alice").click()
    expect(mike).to_have_url(re.compile(rf"/chat/{oldest.pk}/$"))
    expect(queue(maria)).to_have_count(1, timeout=WAIT)  # taken: gone from Maria's queue

    mike.goto("/mechanic/dashboard/")
    active_work(mike).get_by_role("button", name="Cancel / Unlock").click()
    expect(active_work(mike).get_by_text("No active work")).to_be_visible()

    expect(queue(maria)).to_have_count(2, timeout=WAIT)
    expect(queue(maria).first).to_contain_text("Alice")  # its original place: first
    expect(queue(maria).nth(1)).to_contain_text("Bob")
    assert newer.pk != oldest.pk


def test_force_end_all_clears_a_stuck_mechanic(transactional_db, open_dashboard):
    mike = make_mechanic("mike")
    stuck = session_accept(assignment=open_assignment(make_session()), mechanic=mike)
    session_start(session=stuck, mechanic=mike)
    make_session(make_customer("bob", full_name="Bob Stone"))
    page = open_dashboard("mike")
    expect(page.get_by_text("You have 1 active session assigned to you.")).to_be_visible()

    page.locator("#panel-tablist").get_by_role("link", name="Force End All").click()
    dialog = page.get_by_role("dialog", name="Force end all your sessions?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Yes, force end all").click()

    expect(dialog).to_be_hidden()
    expect(active_work(page).get_by_text("No active work")).to_be_visible()
    expect(page.get_by_role("button", name="Accept request from Bob")).to_be_visible()
    expect(page.locator("#toasts")).to_contain_text("1 completed")


def test_queue_updates_live_with_a_toast(transactional_db, open_dashboard):
    make_mechanic("mike")
    maria = make_mechanic("maria")
    page = open_dashboard("mike")
    panel_requests: list[str] = []
    page.on("request", lambda r: panel_requests.append(r.url) if "/panels/tablist/" in r.url else None)
    expect(page.locator("#live-indicator")).to_contain_text(re.compile(r"Live · updated \d+ s ago"))
    expect(queue(page)).to_have_count(0)

    session = make_session(make_customer("alice", full_name="Alice Walker"))  # while the page is open
    expect(queue(page)).to_have_count(1, timeout=WAIT)
    # The refresh brought the new pulse's panel token (the shared-cache path, when it is valid).
    assert panel_requests and all("pt=" in url for url in panel_requests), panel_requests
    expect(page.locator("#toasts .toast")).to_contain_text("New Chat request from Alice")
    expect(page.locator("#stat-pending")).to_have_text("1")

    session_accept(assignment=open_assignment(session), mechanic=maria)
    expect(queue(page)).to_have_count(0, timeout=WAIT)
    expect(page.locator("#stat-pending")).to_have_text("0")


def customer_with_intake(name: str, vehicle: tuple[int, str, str], concern: str, code: str, credits: int = 0):
    customer = make_customer(full_name=name, credits=credits)
    year, make, model = vehicle
    intake = Intake.objects.create(
        customer=customer,
        vehicle_year=year,
        vehicle_make=make,
        vehicle_model=model,
        concern=concern,
        plan=plan(code),
    )
    return customer, intake


def test_dashboard_screenshots(transactional_db, open_dashboard, artifacts_dir):
    mike = make_mechanic("mike", capacity=3)
    people = [
        (
            "Dana Reyes",
            (2016, "Toyota", "Camry"),
            "Check engine light came on after refuelling; car idles rough.",
            "free-chat",
        ),
        (
            "Eve Park",
            (2020, "Ford", "F-150"),
            "Transmission shudders between 2nd and 3rd gear under load.",
            "free-chat",
        ),
        (
            "Alice Walker",
            (2018, "Honda", "Civic"),
            "Grinding noise from the front left wheel when braking.",
            "video-30",
        ),
        (
            "Bob Stone",
            (2012, "BMW", "328i"),
            "Coolant smell in the cabin and the temperature gauge creeps up.",
            "video-30",
        ),
        (
            "Carol Diaz",
            (2021, "Tesla", "Model 3"),
            "Intermittent warning about the 12V battery needing service.",
            "diagnostic-45",
        ),
    ]
    sessions = []
    for i, (name, vehicle, concern, code) in enumerate(people):
        customer, intake = customer_with_intake(name, vehicle, concern, code, credits=10)
        pay_with = "free" if code == "free-chat" else "credits"
        sessions.append(
            make_session(customer, plan_code=code, pay_with=pay_with, intake=intake, urgent=i in (0, 4))
        )
    live = session_accept(assignment=open_assignment(sessions[0]), mechanic=mike)
    session_start(session=live, mechanic=mike)
    session_accept(assignment=open_assignment(sessions[1]), mechanic=mike)

    for label, viewport in (
        ("desktop", {"width": 1280, "height": 900}),
        ("phone", {"width": 390, "height": 844}),
    ):
        page = open_dashboard("mike", viewport=viewport)
        expect(page.locator("#live-indicator")).to_be_visible()
        expect(queue(page)).to_have_count(3)
        expect(queue(page).first).to_contain_text("Carol")  # urgent first
        page.screenshot(path=str(artifacts_dir / f"mechanic-dashboard-{label}.png"), full_page=True)

    # the intake opens in a dialog (htmx), and the report prints
    active_work(page).get_by_role("link", name="View Intake").first.click()
    dialog = page.get_by_role("dialog", name=re.compile("^Intake · Dana"))
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("2016 Toyota Camry")
    page.screenshot(path=str(artifacts_dir / "mechanic-intake-dialog-phone.png"))
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()


def test_without_javascript_the_actions_are_plain_form_posts(transactional_db, open_dashboard):
    make_mechanic("mike")
    session = make_session(make_customer("alice", full_name="Alice Walker"))
    page = open_dashboard("mike", java_script_enabled=False)

    page.get_by_role("button", name="Accept request from Alice").click()
    expect(page).to_have_url(re.compile(rf"/chat/{session.pk}/$"))
    expect(page.get_by_text("You accepted the request.")).to_be_visible()

    page.goto("/mechanic/dashboard/")
    active_work(page).get_by_role("button", name="Start Session").click()
    expect(page).to_have_url(re.compile(r"/mechanic/dashboard/$"))
    expect(page.get_by_text("Session started: you are live.")).to_be_visible()
    expect(active_work(page).get_by_text("Live Now")).to_be_visible()


def test_connection_indicator_shows_reconnecting_when_polls_fail(transactional_db, open_dashboard):
    make_mechanic("mike")
    page = open_dashboard("mike")
    indicator = page.locator("#live-indicator")
    expect(indicator).to_contain_text("Live · updated")

    page.route("**/mechanic/dashboard/pulse/**", lambda route: route.abort())
    expect(indicator).to_have_text("Reconnecting…", timeout=WAIT)

    page.unroute("**/mechanic/dashboard/pulse/**")
    expect(indicator).to_contain_text("Live · updated", timeout=WAIT)
