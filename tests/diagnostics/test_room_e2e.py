"""In Chromium against a real uvicorn: the mechanic fills in the diagnosis in the diagnostic room
and the customer's open room shows it by push (the safety-net polls are set to 60 s and the
toolkit's own to 30 s, so only the stream can explain a change within seconds). Screenshots of
the toolkit and the report at desktop and phone width go to test-artifacts/ (gitignored)."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from diagnostics.models import DiagnosticCode, Finding
from sessions_app.services import session_complete
from tests.diagnostics.conftest import make_scene
from tests.live.conftest import browser_type_launch_args, live_page, live_uvicorn  # noqa: F401

pytestmark = pytest.mark.e2e
SOON = 6000  # ms: well under the 30 s toolkit poll and the 60 s safety net
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def shoot_toolkit(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("section.toolkit").screenshot(path=str(ARTIFACTS / name))


def test_the_customer_sees_codes_and_findings_appear_as_the_mechanic_enters_them(live_page):  # noqa: F811
    scene = make_scene(plan_code="diagnostic-45", pay_with="credits")
    session = scene.go_live()
    room = session.get_absolute_url()
    assert room.startswith("/diagnostic/")

    customer = live_page(scene.customer.user)
    customer.goto(room)
    expect(customer.locator("body[data-live=open]")).to_have_count(1)  # the stream is open
    toolkit = customer.locator("#toolkit-body")
    expect(toolkit).to_contain_text("No findings yet.")
    expect(customer.locator("#id_observed")).to_have_count(0)  # read-only for the customer

    mechanic = live_page(scene.mechanic.user)
    mechanic.set_viewport_size(DESKTOP)
    mechanic.goto(room)
    mechanic.locator("#id_code").fill("p0301")
    mechanic.locator("#id_notes").fill("Under load only")
    mechanic.get_by_role("button", name="Add code").click()
    expect(mechanic.locator("#toolkit-body")).to_contain_text("Cylinder 1 misfire detected")
    expect(toolkit).to_contain_text("Cylinder 1 misfire detected", timeout=SOON)

    mechanic.get_by_text("Add a finding").click()
    mechanic.locator("#id_system").select_option("brakes")
    mechanic.locator("label.sev-option.sev-stop").click()
    mechanic.locator("#id_observed").fill("Front pads worn to the backing plate.")
    mechanic.locator("#id_recommendation").fill("Do not drive until the pads and rotors are replaced.")
    mechanic.locator("#id_cost_min").fill("250")
    mechanic.locator("#id_cost_max").fill("100")  # wrong on purpose: below the lower end
    mechanic.get_by_role("button", name="Add finding").click()
    expect(mechanic.locator("#id_cost_max_error")).to_contain_text("must not be below the lower end")
    expect(mechanic.locator("#id_observed")).to_have_value("Front pads worn to the backing plate.")
    assert not Finding.objects.exists()
    mechanic.locator("#id_cost_max").fill("400")
    mechanic.get_by_role("button", name="Add finding").click()
    expect(mechanic.locator("#toolkit-body")).to_contain_text("$250.00–$400.00")

    expect(toolkit).to_contain_text("Front pads worn to the backing plate.", timeout=SOON)
    expect(toolkit.locator(".sev-badge.sev-stop")).to_have_text("Stop driving")

    mechanic.locator("input[name=systems][value=brakes]").check()
    mechanic.locator("input[name=systems][value=engine]").check()
    mechanic.get_by_role("button", name="Save checklist").click()
    expect(customer.get_by_test_id("systems-checked")).to_have_text("Engine, Brakes", timeout=SOON)
    assert DiagnosticCode.objects.get().notes == "Under load only"

    shoot_toolkit(mechanic, "toolkit-mechanic-desktop.png")
    shoot(mechanic, "room-mechanic-desktop.png")
    customer.set_viewport_size(DESKTOP)
    shoot_toolkit(customer, "toolkit-customer-desktop.png")
    mechanic.set_viewport_size(PHONE)
    mechanic.reload()
    expect(mechanic.locator("#toolkit-body")).to_contain_text("Front pads worn")
    # At phone width a call room puts the video first and the request and toolkit after it.
    call_box, side_box = (
        mechanic.locator("#call").bounding_box(),
        mechanic.locator(".room-side").bounding_box(),
    )
    assert call_box and side_box and call_box["y"] < side_box["y"]
    shoot_toolkit(mechanic, "toolkit-mechanic-phone.png")

    session_complete(session=session, mechanic=scene.mechanic, summary="Brakes first, then the coil.")
    report = f"/sessions/{session.pk}/report/"
    customer.goto(report)
    expect(customer.get_by_role("heading", name="Auto Doctor session report")).to_be_visible()
    expect(customer.locator("article.report")).to_contain_text("Front pads worn to the backing plate.")
    expect(customer.locator("article.report")).to_contain_text("Mercury")
    shoot(customer, "report-desktop.png")
    customer.set_viewport_size(PHONE)
    customer.reload()
    shoot(customer, "report-phone.png")
    with customer.expect_download() as download:
        customer.get_by_test_id("report-pdf").click()
    assert download.value.suggested_filename == f"autodoctor-report-{session.pk}.pdf"
    download.value.save_as(ARTIFACTS / "report.pdf")


def test_the_intake_fills_make_and_year_from_the_vin_and_the_customer_can_correct_them(live_page):  # noqa: F811
    from tests.factories import make_customer

    page = live_page(make_customer().user)
    page.goto("/customer/request/new/")
    page.locator("#id_vin").fill("1m8gdm9axkp042788")
    expect(page.locator("#vin-facts")).to_contain_text("Mercury, United States, 2019", timeout=SOON)
    expect(page.locator("#vin-facts")).to_contain_text("Check digit OK.")
    expect(page.locator("#id_vehicle_make")).to_have_value("Mercury")
    expect(page.locator("#id_vehicle_year")).to_have_value("2019")

    page.locator("#id_vehicle_make").fill("Ford")  # the customer's word wins over the VIN's
    page.locator("#id_vin").fill("WVWZZZ1JZXW000001")
    expect(page.locator("#vin-facts")).to_contain_text("does not match", timeout=SOON)
    expect(page.locator("#id_vehicle_make")).to_have_value("Ford")
    page.locator("#id_vin").fill("WVWZZZ1JZXW00000")  # one short: nothing to say
    expect(page.locator("#vin-facts")).to_have_text("")
