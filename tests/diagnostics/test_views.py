"""The toolkit (as the room loads it, and as a page), its forms, and the report with its PDF."""

import re
import shutil
import subprocess

import pytest
from django.core import mail
from django.test import Client

from diagnostics.models import DiagnosticCode, Finding
from diagnostics.services import FindingData, checklist_set, code_add, finding_add
from sessions_app.models import SessionEvent
from sessions_app.transitions import SessionEventType
from tests.factories import client_for, make_customer, make_mechanic

from .conftest import HTMX

pytestmark = pytest.mark.django_db

FINDING_POST = {
    "system": "engine",
    "severity": "soon",
    "observed": "Ignition coil on cylinder 1 shows a cracked boot.",
    "recommendation": "Replace the coil and the plug.",
    "cost_min": "120",
    "cost_max": "180.50",
}


def toolkit_url(session) -> str:
    return f"/sessions/{session.pk}/diagnosis/"


def test_the_room_loads_the_toolkit_from_its_own_view(scene):
    room = scene.customer_client.get(scene.session.get_absolute_url()).content.decode()
    assert f'hx-get="{toolkit_url(scene.session)}"' in room and 'hx-trigger="load"' in room
    # Collapsed in a chat room; open in a diagnostic room.
    assert re.search(r'<details class="toolkit-fold"\s*>', room)


def test_a_stranger_gets_404_everywhere(scene):
    stranger = client_for(make_customer().user)
    other_mechanic = client_for(make_mechanic().user)
    for client in (stranger, other_mechanic):
        assert client.get(toolkit_url(scene.session)).status_code == 404
        assert client.post(f"{toolkit_url(scene.session)}findings/", FINDING_POST).status_code == 404
        assert client.get(f"/sessions/{scene.session.pk}/report/").status_code == 404
        assert client.get(f"/sessions/{scene.session.pk}/report.pdf").status_code == 404
        assert client.get(f"/mechanic/sessions/{scene.session.pk}/report/").status_code == 404
    assert Client().get(toolkit_url(scene.session)).status_code == 302  # to the login page


def test_the_mechanic_adds_a_finding_and_the_customer_sees_it(scene):
    scene.go_live()
    response = scene.mechanic_client.post(
        f"{toolkit_url(scene.session)}findings/", FINDING_POST, headers=HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "cracked boot" in html and "$120.00–$180.50" in html and 'data-version="1"' in html
    finding = Finding.objects.get()
    assert (finding.cost_min_cents, finding.cost_max_cents, finding.severity) == (12000, 18050, "soon")

    seen = scene.customer_client.get(toolkit_url(scene.session), headers=HTMX).content.decode()
    assert "cracked boot" in seen and "Fix soon" in seen
    assert "Add a finding" not in seen and "diagnostics_finding_add" not in seen  # read-only for them


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"cost_min": "200", "cost_max": "100"}, "cost_max", "must not be below the lower end"),
        ({"cost_min": "-5"}, "cost_min", "greater than or equal to 0"),
        ({"cost_max": ""}, "cost_max", "both ends of the cost range"),
        ({"severity": "maybe"}, "severity", "safe to drive, fix soon or stop driving"),
        ({"system": "warp-drive"}, "system", "valid choice"),
        ({"observed": "   "}, "observed", "Say what you observed."),
    ],
)
def test_bad_finding_input_is_shown_on_the_field_and_saves_nothing(scene, change, field, message):
    scene.go_live()
    response = scene.mechanic_client.post(
        f"{toolkit_url(scene.session)}findings/", {**FINDING_POST, **change}, headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200  # htmx swaps it in: the form comes back with its errors
    assert f'id="id_{field}_error"' in html and message in html
    assert "Replace the coil and the plug." in html  # nothing typed is lost
    assert not Finding.objects.exists()
    assert not SessionEvent.objects.filter(type=SessionEventType.DIAGNOSIS_EDITED).exists()


def test_without_javascript_the_forms_post_and_redirect(scene):
    scene.go_live()
    response = scene.mechanic_client.post(
        f"{toolkit_url(scene.session)}codes/", {"code": "p0301", "status": "active"}
    )
    assert response.status_code == 302 and response["Location"] == toolkit_url(scene.session)
    page = scene.mechanic_client.get(toolkit_url(scene.session)).content.decode()
    assert "Code added." in page and "Cylinder 1 misfire detected" in page and "<!doctype html>" in page
    bad = scene.mechanic_client.post(
        f"{toolkit_url(scene.session)}codes/", {"code": "Q1234", "status": "active"}
    )
    assert bad.status_code == 302
    assert (
        "starts with P, B, C or U" in scene.mechanic_client.get(toolkit_url(scene.session)).content.decode()
    )


def test_outside_the_window_the_mechanic_is_told_why(scene, clock):
    scene.complete()
    clock.advance(hours=25)
    response = scene.mechanic_client.post(
        f"{toolkit_url(scene.session)}findings/", FINDING_POST, headers=HTMX
    )
    assert "24 hours after the session ended" in response.content.decode()
    assert not Finding.objects.exists()


def test_the_customer_lists_a_code_before_live(scene):
    response = scene.customer_client.post(
        f"{toolkit_url(scene.session)}codes/",
        {"code": "P0420", "status": "active", "notes": "from my reader"},
        headers=HTMX,
    )
    html = response.content.decode()
    assert "Catalyst system efficiency below threshold" in html and "from my reader" in html
    code = DiagnosticCode.objects.get()
    assert (
        scene.customer_client.post(
            f"{toolkit_url(scene.session)}codes/{code.pk}/remove/", headers=HTMX
        ).status_code
        == 200
    )
    assert not DiagnosticCode.objects.exists()


def test_a_poll_at_the_same_version_answers_204(scene, django_assert_num_queries):
    session = scene.go_live()
    code_add(session=session, user=scene.mechanic.user, code="P0301")
    client = scene.customer_client
    client.get(toolkit_url(session), headers=HTMX)  # warm the session and user caches
    # session + user, the session (with its people), the diagnosis row
    with django_assert_num_queries(4):
        assert client.get(f"{toolkit_url(session)}?v=1", headers=HTMX).status_code == 204
    # ... and a changed version: + the codes and the findings
    with django_assert_num_queries(6):
        assert client.get(f"{toolkit_url(session)}?v=0", headers=HTMX).status_code == 200


def test_the_toolkit_reads_a_flat_number_of_queries(scene, django_assert_num_queries):
    session = scene.go_live()
    user = scene.mechanic.user
    for i in range(1, 10):
        code_add(session=session, user=user, code=f"P030{i}")
        finding_add(
            session=session, user=user, data=FindingData(system="engine", severity="soon", observed=f"n{i}")
        )
    checklist_set(session=session, user=user, systems=["engine"])
    with django_assert_num_queries(6):
        html = scene.mechanic_client.get(toolkit_url(session), headers=HTMX).content.decode()
    assert html.count('class="code-row"') == 9 and html.count('data-finding="') == 9


def make_report(scene):
    session = scene.go_live()
    user = scene.mechanic.user
    code_add(session=session, user=user, code="P0301", notes="Misfire under load")
    finding_add(
        session=session,
        user=user,
        data=FindingData(
            system="brakes",
            severity="stop",
            observed="Front pads worn to the backing plate.",
            recommendation="Replace the front pads and rotors before driving.",
            cost_min_cents=25_000,
            cost_max_cents=40_000,
        ),
    )
    finding_add(
        session=session,
        user=user,
        data=FindingData(system="hvac", severity="safe", observed="Cabin filter dusty."),
    )
    checklist_set(session=session, user=user, systems=["brakes", "engine", "hvac"])
    return session


def test_the_report_has_the_whole_record(scene, django_assert_num_queries):
    session = make_report(scene)
    scene.complete(summary="Coil pack on cylinder 1; brakes are urgent.")
    client = scene.customer_client
    client.get(f"/sessions/{session.pk}/report/")
    # session + user, the session, its photos, the diagnosis, codes, findings; then the page's own:
    # the role (mechanic? customer?) and the customer's banner (2)
    with django_assert_num_queries(11):
        html = client.get(f"/sessions/{session.pk}/report/").content.decode()
    for text in (
        "Mercury",  # the VIN's facts
        "United States",
        "2019",
        "Cylinder 1 misfire detected",
        "Misfire under load",
        "Front pads worn to the backing plate.",
        "$250.00–$400.00",
        "Engine, Brakes, HVAC",  # in the fixed list's order
        "Coil pack on cylinder 1; brakes are urgent.",
        f"/sessions/{session.pk}/report.pdf",
    ):
        assert text in html, text
    # by severity: stop driving before safe to drive
    assert html.index("Stop driving") < html.index("Safe to drive")
    # the mechanic's address of the same report
    assert (
        "Front pads worn"
        in scene.mechanic_client.get(f"/mechanic/sessions/{session.pk}/report/").content.decode()
    )


def pdf_text(pdf: bytes, tmp_path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext is not installed (apt-get install -y poppler-utils)")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_the_pdf_is_the_same_report(scene, tmp_path):
    session = make_report(scene)
    response = scene.customer_client.get(f"/sessions/{session.pk}/report.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="autodoctor-report-{session.pk}.pdf"'
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content, tmp_path)
    for words in (
        "Auto Doctor session report",
        "Front pads worn to the backing plate.",
        "Stop driving",
        "P0301",
    ):
        assert words in text, words


def test_completion_emails_the_pdf_once_and_records_it(scene, tmp_path, django_capture_on_commit_callbacks):
    session = make_report(scene)
    with django_capture_on_commit_callbacks(execute=True):
        scene.complete(summary="Brakes first.")
    reports = [m for m in mail.outbox if "report" in m.subject.lower()]
    assert len(reports) == 1
    message = reports[0]
    assert message.to == [scene.customer.user.email]
    ((name, content, kind),) = message.attachments
    assert (name, kind) == (f"autodoctor-report-{session.pk}.pdf", "application/pdf")
    assert "Front pads worn to the backing plate." in pdf_text(content, tmp_path)
    sent = SessionEvent.objects.filter(session=session, type=SessionEventType.REPORT_SENT)
    assert sent.count() == 1 and sent.get().actor is None

    from diagnostics.tasks import send_report_email

    assert send_report_email(session.pk) is False  # a retried task sends nothing twice
    assert len([m for m in mail.outbox if "report" in m.subject.lower()]) == 1


def test_the_customers_past_sessions_link_to_the_report(scene):
    scene.complete()
    html = scene.customer_client.get("/customer/dashboard/").content.decode()
    assert f'href="/sessions/{scene.session.pk}/report/"' in html
    assert f'href="/sessions/{scene.session.pk}/report.pdf"' in html
