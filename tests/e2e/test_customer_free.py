"""Free plan end to end in Chromium: sign up, request, waiver, banner through the whole life of
the session (pending -> Mechanic assigned -> live) without a reload, End Session, start again."""

import re

from playwright.sync_api import expect

from sessions_app.models import Session
from tests.e2e.customer_steps import (
    WAIT,
    banner_pill,
    end_from_banner,
    fill_intake,
    mechanic_accepts,
    mechanic_starts,
    sign_waiver,
)
from tests.factories import PASSWORD, make_mechanic, plan


def test_free_request_banner_follows_the_session_and_ends_at_once(
    transactional_db, live_server, new_page, login, artifacts_dir
):
    plan("free-chat")
    make_mechanic("mike")

    page = new_page(viewport={"width": 1280, "height": 860})
    page.goto("/accounts/signup/")
    page.get_by_label("Your name").fill("Dana Driver")
    page.get_by_label("Username").fill("dana")
    page.get_by_label("Email").fill("dana@example.com")
    page.get_by_label("Password", exact=True).fill("correct-horse-battery-9")
    page.get_by_label("Password again").fill("correct-horse-battery-9")
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/customer/dashboard/$"))
    expect(page.get_by_text("Welcome, Dana!")).to_be_visible()

    page.get_by_role("link", name="Start a request").click()
    fill_intake(page, plan_name="Free Chat")
    sign_waiver(page, name="Dana Driver", button="Sign and join the queue")
    session = Session.objects.get()
    expect(page).to_have_url(re.compile(rf"/chat/{session.pk}/$"))
    expect(banner_pill(page)).to_have_text("Pending")

    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/customer/banner/" in r.url else None)
    page.goto("/customer/dashboard/")
    expect(page.locator("#session-banner")).to_contain_text("in line")
    page.screenshot(path=str(artifacts_dir / "customer-dashboard-pending-desktop.png"), full_page=True)

    mechanic_page = new_page()
    login(mechanic_page, "mike", PASSWORD)
    room_url = mechanic_accepts(mechanic_page, session)
    expect(banner_pill(page)).to_have_text("Mechanic assigned", timeout=WAIT)  # no reload
    expect(page.locator("#session-banner")).to_contain_text("Mike accepted your request")

    mechanic_starts(mechanic_page, room_url)
    expect(banner_pill(page)).to_have_text("Live", timeout=WAIT)
    # Every poll carried the banner's state token (the fast path, whenever it is valid).
    assert polls and all("t=" in url for url in polls), polls

    end_from_banner(page)
    expect(page.locator("#start-request").get_by_role("link", name="Start a request")).to_be_visible(
        timeout=WAIT
    )
    session.refresh_from_db()
    assert session.status == "completed"

    # A new request can start straight away, without a reload.
    page.locator("#start-request").get_by_role("link", name="Start a request").click()
    fill_intake(page, plan_name="Free Chat", concern="Now the battery light flickers on the highway.")
    sign_waiver(page, name="Dana Driver", button="Sign and join the queue")
    expect(banner_pill(page)).to_have_text("Pending")
    assert Session.objects.filter(status="pending").count() == 1


def test_intake_errors_are_shown_by_the_fields_and_nothing_typed_is_lost(
    transactional_db, live_server, new_page, artifacts_dir, tmp_path
):
    from tests.e2e.customer_steps import signed_in_page
    from tests.factories import make_customer

    plan("free-chat")
    alice = make_customer("alice")
    page = signed_in_page(
        new_page, live_server, alice.user, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    page.goto("/customer/request/new/")
    fake = tmp_path / "photo.png"
    fake.write_text("<html>not an image</html>")
    page.get_by_label("Make").fill("Honda")
    page.get_by_label("VIN (optional)").fill("1HGCM82633A00435Q")
    page.get_by_label("What is going on?").fill("Noise")
    page.get_by_label("Photos or videos").set_input_files(str(fake))
    page.get_by_role("button", name="Continue to waiver").click()
    expect(page.get_by_role("alert").first).to_contain_text("Please fix the highlighted fields")
    expect(page.get_by_text("choose your photos or videos again")).to_be_visible()
    # the field's error (the live VIN check beside it may say the same while the customer types)
    expect(page.locator("#id_vin_error")).to_contain_text("never the letters I, O or Q")
    expect(page.get_by_text("at least 10 characters")).to_be_visible()
    expect(page.get_by_text("is not a photo or video we accept")).to_be_visible()
    expect(page.get_by_label("Make")).to_have_value("Honda")
    expect(page.get_by_label("What is going on?")).to_have_value("Noise")
    page.screenshot(path=str(artifacts_dir / "customer-intake-errors-phone.png"), full_page=True)
