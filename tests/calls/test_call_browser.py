"""The real call in Chromium: two browser contexts (customer and mechanic) with fake cameras, a
real uvicorn (the room's live stream carries the signal hints) and coturn on loopback, with
relay-only ICE, so media flowing proves the TURN path."""

import pytest
from playwright.sync_api import expect

from sessions_app.services import session_complete
from tests.calls.browser import call_stats, live_video_session, media_flowing, wait_for

pytestmark = pytest.mark.e2e
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


def open_call(
    call_page, *, start: bool = True, customer_media: bool = True, mechanic_first: bool = False, **options
):
    """A video session (live, or waiting with start=False) with both sides' rooms open."""
    session, customer, mechanic = live_video_session(start=start)
    customer_page = call_page(customer.user, media=customer_media, **options)
    mechanic_page = call_page(mechanic.user, **options)
    pages = [mechanic_page, customer_page] if mechanic_first else [customer_page, mechanic_page]
    for page in pages:
        page.goto(session.get_absolute_url())
    return session, customer_page, mechanic_page


def test_a_video_call_connects_through_turn_and_media_flows_both_ways(call_page, artifacts):
    session, customer, mechanic = live_video_session()
    customer_page = call_page(customer.user, viewport=DESKTOP)
    mechanic_page = call_page(mechanic.user, viewport=DESKTOP)
    customer_page.goto(session.get_absolute_url())
    expect(customer_page.get_by_test_id("call-state")).to_contain_text("Waiting for", timeout=20_000)
    mechanic_page.goto(session.get_absolute_url())

    for page in (customer_page, mechanic_page):
        stats = wait_for(page, media_flowing, what="connected with audio and video flowing")
        assert stats["localType"] == "relay", stats  # relay-only ICE: coturn carried it
        expect(page.get_by_test_id("call-state")).to_have_text("Connected")
    # The signal hints came over the room's stream (the 1 s fallback poll runs only without it).
    assert mechanic_page.evaluate("window.AutoDoctor.live.open") is True

    customer_page.screenshot(path=str(artifacts / "call-connected-desktop.png"))
    mechanic_page.set_viewport_size(PHONE)
    mechanic_page.locator("#call").scroll_into_view_if_needed()
    mechanic_page.screenshot(path=str(artifacts / "call-connected-phone.png"))


def test_one_side_reloads_and_the_call_comes_back_without_the_other_doing_anything(call_page):
    session, customer_page, mechanic_page = open_call(call_page)
    wait_for(mechanic_page, media_flowing, what="the first connection")
    first_pc = mechanic_page.evaluate_handle("window.AutoDoctor.call.pc")

    customer_page.reload()
    wait_for(customer_page, media_flowing, what="the customer back in the call")
    wait_for(mechanic_page, media_flowing, what="the mechanic hearing the reloaded customer")
    assert mechanic_page.evaluate("(old) => window.AutoDoctor.call.pc !== old", first_pc)

    mechanic_page.reload()  # and the impolite side too
    wait_for(mechanic_page, media_flowing, what="the mechanic back in the call")
    wait_for(customer_page, media_flowing, what="the customer hearing the reloaded mechanic")

    # Completing the session ends the call on both sides, with the reason in words.
    session_complete(session=session, mechanic=session.mechanic, summary="Fixed over video.")
    for page in (customer_page, mechanic_page):
        expect(page.get_by_test_id("call-state")).to_have_text(
            "This session is completed, so its call is over.", timeout=20_000
        )
        assert page.evaluate("window.AutoDoctor.call.pc") is None


def test_a_refused_camera_says_how_to_allow_it_and_the_call_and_chat_go_on(call_page):
    _, customer_page, mechanic_page = open_call(call_page, customer_media=False)  # no permission

    note = customer_page.locator("#call-note")
    expect(note).to_contain_text("blocked the camera and microphone", timeout=20_000)
    expect(note).to_contain_text("To allow it")
    # Receive-only: the customer still sees and hears the mechanic.
    wait_for(customer_page, media_flowing, what="the customer receiving the mechanic")
    assert call_stats(mechanic_page)["connection"] == "connected"

    customer_page.get_by_label("Message").fill("My camera is blocked, here is what I see: a red light.")
    customer_page.get_by_role("button", name="Send").click()
    expect(mechanic_page.locator("#chat-log")).to_contain_text("a red light", timeout=10_000)


def test_a_pre_call_check_while_waiting_then_mute_leave_and_rejoin(call_page):
    # Waiting (the pre-call camera check); the mechanic is there first this time.
    _, customer_page, mechanic_page = open_call(call_page, start=False, mechanic_first=True)
    wait_for(customer_page, media_flowing, what="the pre-call connection")

    mute = customer_page.get_by_role("button", name="Mute")
    mute.click()
    expect(customer_page.get_by_role("button", name="Unmute")).to_have_attribute("aria-pressed", "true")
    assert customer_page.evaluate("window.AutoDoctor.call.local.getAudioTracks()[0].enabled") is False
    customer_page.get_by_role("button", name="Camera off").click()
    assert customer_page.evaluate("window.AutoDoctor.call.local.getVideoTracks()[0].enabled") is False

    mechanic_page.get_by_role("button", name="Leave call").click()
    expect(mechanic_page.get_by_test_id("call-state")).to_contain_text("You left the call")
    expect(customer_page.get_by_test_id("call-state")).to_contain_text("left the call", timeout=20_000)

    mechanic_page.get_by_role("button", name="Rejoin call").click()
    wait_for(mechanic_page, media_flowing, what="the mechanic back after rejoining")
    wait_for(customer_page, lambda s: s.get("connection") == "connected", what="the customer reconnected")


def test_the_mechanic_takes_a_snapshot_of_the_customers_video(call_page):
    _, customer_page, mechanic_page = open_call(call_page)
    wait_for(mechanic_page, media_flowing, what="a connected call")

    expect(customer_page.locator("#call-snapshot")).to_have_count(0)  # the mechanic's tool only
    with mechanic_page.expect_response(
        lambda r: "/attachments/" in r.url and r.request.method == "POST"
    ) as sent:
        mechanic_page.get_by_role("button", name="Take snapshot").click()
    assert sent.value.status == 201, sent.value.text()  # saved to the session's attachments
    # (Playwright does not expose a multipart body with a Blob; the endpoint checks the JPEG.)
    assert sent.value.request.headers["content-type"].startswith("multipart/form-data")
    expect(mechanic_page.locator("#toasts")).to_contain_text("Snapshot saved")
