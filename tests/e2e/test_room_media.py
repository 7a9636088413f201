"""The room in Chromium: a photo shared by the customer shows as a thumbnail in the mechanic's open
room without a reload; a polyglot is refused with its sentence next to the attach button; each
side sees whether the other is in the room; the session clock counts down, gives the 5-minute
notice and counts overtime. Screenshots at desktop and phone width."""

import io
import re
from datetime import timedelta

from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from sessions_app.models import Session, SessionAttachment
from sessions_app.services import session_accept, session_start
from tests.e2e.customer_steps import WAIT, signed_in_page
from tests.e2e.test_accessibility import violations
from tests.factories import make_customer, make_mechanic, make_session, open_assignment

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def photo_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), "orange").save(buffer, format="JPEG")
    return buffer.getvalue()


def live_session(plan_code: str = "video-30"):
    alice = make_customer("alice", credits=3)
    mike = make_mechanic("mike")
    session = make_session(alice, plan_code=plan_code, pay_with="credits")
    session_accept(assignment=open_assignment(session), mechanic=mike)
    session = session_start(session=session, mechanic=mike)
    return session, alice, mike


def test_photo_reaches_the_mechanic_and_a_polyglot_is_refused(
    transactional_db, live_server, new_page, artifacts_dir, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    session, alice, mike = live_session()
    room = f"/video/{session.pk}/"
    customer = signed_in_page(new_page, live_server, alice.user, viewport=DESKTOP)
    customer.goto(room)
    mechanic = signed_in_page(new_page, live_server, mike.user, viewport=DESKTOP)
    mechanic.goto(room)

    attach = customer.get_by_label("Attach photo or video")
    expect(attach).to_have_attribute(
        "accept",
        "image/jpeg,image/png,image/apng,image/gif,image/webp,image/heic,video/mp4,video/quicktime,video/webm,.heic,.mov",
    )
    attach.set_input_files(
        files=[{"name": "engine-bay.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes()}]
    )
    expect(customer.locator("#attach-status")).to_have_text("Sent.", timeout=WAIT)
    thumb = mechanic.get_by_role("img", name="Photo: engine-bay.jpg")
    expect(thumb).to_be_visible(timeout=WAIT)  # no reload: the chat poll brought the line
    mechanic.wait_for_function(
        "() => { const i = document.querySelector('img.chat-thumb'); return i && i.complete && i.naturalWidth > 0; }",
        timeout=WAIT,
    )
    assert mechanic.evaluate("document.querySelector('img.chat-thumb').naturalWidth") == 320
    expect(customer.get_by_role("img", name="Photo: engine-bay.jpg")).to_be_visible(timeout=WAIT)
    assert SessionAttachment.objects.count() == 1

    polyglot = photo_bytes() + b"<script>alert(document.cookie)</script>"
    attach.set_input_files(
        files=[{"name": "totally-a-photo.jpg", "mimeType": "image/jpeg", "buffer": polyglot}]
    )
    expect(customer.locator("#attach-error")).to_contain_text(
        "“totally-a-photo.jpg” looks like a photo or video but also carries something else", timeout=WAIT
    )
    expect(customer.locator("#attach-status")).to_have_text("")
    assert SessionAttachment.objects.count() == 1

    # keyboard: the attach control is reachable and named
    customer.get_by_label("Message").focus()
    customer.keyboard.press("Tab")
    customer.keyboard.press("Tab")
    focused = customer.evaluate("document.activeElement && document.activeElement.id")
    assert focused == "attach-file"

    assert violations(customer) == [] and violations(mechanic) == []  # tiles, error, attach control
    customer.screenshot(path=str(artifacts_dir / "room-attachment-desktop.png"), full_page=True)
    mechanic.screenshot(path=str(artifacts_dir / "room-attachment-mechanic-desktop.png"), full_page=True)
    phone = signed_in_page(new_page, live_server, mike.user, **PHONE)
    phone.goto(room)
    expect(phone.get_by_role("img", name="Photo: engine-bay.jpg")).to_be_visible()
    phone.screenshot(path=str(artifacts_dir / "room-attachment-phone.png"), full_page=True)


def test_presence_in_the_room_and_left(transactional_db, live_server, new_page, artifacts_dir):
    session, alice, mike = live_session()
    room = f"/video/{session.pk}/"
    customer = signed_in_page(new_page, live_server, alice.user, viewport=DESKTOP)
    customer.goto(room)
    presence = customer.locator("#presence")
    expect(presence).to_contain_text("Your mechanic Mike: not joined yet")

    mechanic = signed_in_page(new_page, live_server, mike.user, viewport=DESKTOP)
    mechanic.goto(room)
    expect(mechanic.locator("#presence")).to_contain_text(
        "The customer Alice Driver: in the room", timeout=WAIT
    )
    expect(presence).to_contain_text("Your mechanic Mike: in the room", timeout=WAIT)
    customer.screenshot(path=str(artifacts_dir / "room-presence-desktop.png"), full_page=True)

    mechanic.goto("/mechanic/dashboard/")  # leaving the room: pagehide sends the beacon
    expect(mechanic.locator("[data-testid=work-presence]")).to_have_text("Customer in the room", timeout=WAIT)
    expect(presence).to_contain_text("Your mechanic Mike: left just now", timeout=WAIT)


def test_clock_counts_down_with_a_five_minute_notice(transactional_db, live_server, new_page, artifacts_dir):
    session, alice, mike = live_session()
    minutes = session.plan.duration_minutes
    # started so that 5 minutes (less a few seconds) are left: no sleeping for minutes
    Session.objects.filter(pk=session.pk).update(
        started_at=timezone.now() - timedelta(minutes=minutes - 5, seconds=5)
    )
    room = f"/video/{session.pk}/"
    customer = signed_in_page(new_page, live_server, alice.user, viewport=DESKTOP)
    customer.goto(room)
    clock = customer.locator("[data-testid=clock]")
    expect(clock).to_have_text(re.compile(r"^4:[0-5]\d left$"))
    notice = customer.locator("#clock-notice")
    expect(notice).to_contain_text("5 minutes left in this session")
    expect(notice).to_have_attribute("aria-live", "assertive")
    first = clock.text_content()
    expect(clock).not_to_have_text(first or "", timeout=WAIT)  # it ticks
    customer.screenshot(path=str(artifacts_dir / "room-clock-desktop.png"), full_page=True)
    phone = signed_in_page(new_page, live_server, mike.user, **PHONE)
    phone.goto(room)
    expect(phone.locator("[data-testid=clock]")).to_contain_text("left")
    phone.screenshot(path=str(artifacts_dir / "room-clock-phone.png"), full_page=True)

    Session.objects.filter(pk=session.pk).update(
        started_at=timezone.now() - timedelta(minutes=minutes + 3, seconds=12)
    )
    customer.reload()
    expect(clock).to_have_text(re.compile(r"^\+3:[1-5]\d over$"))
    expect(notice).to_contain_text("The plan's time is up")
    expect(customer.locator("[data-testid=room-status]")).to_have_text("Live")  # no hang-up
