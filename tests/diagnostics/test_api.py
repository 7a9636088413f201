"""The diagnosis through the JSON API: the same rules, field-level errors, 404 and 409."""

import json

import pytest

from diagnostics.models import DiagnosticCode, Finding
from sessions_app.models import SessionEvent
from sessions_app.transitions import SessionEventType
from tests.factories import client_for, make_customer

pytestmark = pytest.mark.django_db

FINDING = {
    "system": "brakes",
    "severity": "stop",
    "observed": "Rear pads gone.",
    "recommendation": "Replace the rear pads.",
    "cost_min_cents": 9000,
    "cost_max_cents": 15000,
}


def send(client, method, path, body=None):
    return getattr(client, method)(
        path, data=json.dumps(body) if body is not None else None, content_type="application/json"
    )


def test_vin_decode():
    client = client_for(make_customer().user)
    answer = client.get("/api/vin/decode", {"vin": "1M8GDM9AXKP042788"}).json()
    assert answer["valid"] and answer["manufacturer"] == "Mercury" and answer["model_year"] == 2019
    assert answer["check_digit_ok"] and answer["warning"] == ""
    bad = client.get("/api/vin/decode", {"vin": "IOQ"}).json()
    assert not bad["valid"] and "17 characters" in bad["error"]


def test_the_mechanic_writes_and_anyone_in_the_session_reads(scene, django_assert_num_queries):
    session = scene.go_live()
    base = f"/api/sessions/{session.pk}"
    code = send(scene.mechanic_client, "post", f"{base}/codes", {"code": "p0302", "notes": "coil"})
    assert code.status_code == 201 and code.json()["description"] == "Cylinder 2 misfire detected"
    finding = send(scene.mechanic_client, "post", f"{base}/findings", FINDING)
    assert finding.status_code == 201 and finding.json()["severity_label"] == "Stop driving"
    changed = send(
        scene.mechanic_client,
        "put",
        f"{base}/findings/{finding.json()['id']}",
        {**FINDING, "severity": "soon"},
    )
    assert changed.status_code == 200 and changed.json()["severity"] == "soon"
    status = send(scene.mechanic_client, "patch", f"{base}/codes/{code.json()['id']}", {"status": "cleared"})
    assert status.json()["status"] == "cleared"
    checklist = send(scene.mechanic_client, "put", f"{base}/checklist", {"systems": ["hvac", "brakes"]})
    assert checklist.json()["systems_checked"] == ["brakes", "hvac"] and checklist.json()["version"] == 5

    scene.customer_client.get(f"{base}/diagnosis")
    with django_assert_num_queries(6):  # session, user, the session, the diagnosis, codes, findings
        seen = scene.customer_client.get(f"{base}/diagnosis").json()
    assert (seen["editable"], seen["codes_editable"], seen["version"]) == (False, False, 5)
    assert [c["code"] for c in seen["codes"]] == ["P0302"] and seen["findings"][0]["cost_max_cents"] == 15000

    assert send(scene.mechanic_client, "delete", f"{base}/codes/{code.json()['id']}").status_code == 204
    assert send(scene.mechanic_client, "delete", f"{base}/findings/{finding.json()['id']}").status_code == 204
    assert not DiagnosticCode.objects.exists() and not Finding.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**FINDING, "cost_min_cents": 20000}, "cost_max_cents"),
        ({**FINDING, "cost_min_cents": -1}, "cost_min_cents"),
        ({**FINDING, "cost_max_cents": None}, "cost_max_cents"),
        ({**FINDING, "severity": "meh"}, "severity"),
        ({**FINDING, "system": "flux"}, "system"),
        ({**FINDING, "observed": " "}, "observed"),
        ({**FINDING, "cost_min_cents": 1.5}, "cost_min_cents"),
    ],
)
def test_bad_findings_are_400_on_the_field_and_save_nothing(scene, body, field):
    session = scene.go_live()
    response = send(scene.mechanic_client, "post", f"/api/sessions/{session.pk}/findings", body)
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_input" and response.json()["field"] == field
    assert not Finding.objects.exists()
    assert not SessionEvent.objects.filter(type=SessionEventType.DIAGNOSIS_EDITED).exists()


def test_a_bad_code_is_400_on_the_field(scene):
    session = scene.go_live()
    response = send(scene.mechanic_client, "post", f"/api/sessions/{session.pk}/codes", {"code": "P9999"})
    assert response.status_code == 400 and response.json()["field"] == "code"
    assert "second character" in response.json()["detail"]
    assert not DiagnosticCode.objects.exists()


def test_someone_elses_session_is_404(scene):
    stranger = client_for(make_customer().user)
    base = f"/api/sessions/{scene.session.pk}"
    assert stranger.get(f"{base}/diagnosis").status_code == 404
    assert send(stranger, "post", f"{base}/findings", FINDING).status_code == 404
    assert send(stranger, "post", f"{base}/codes", {"code": "P0300"}).status_code == 404
    assert not Finding.objects.exists() and not DiagnosticCode.objects.exists()


def test_outside_the_window_is_409_with_the_reason(scene, clock):
    base = f"/api/sessions/{scene.session.pk}"
    waiting = send(scene.mechanic_client, "post", f"{base}/findings", FINDING)
    assert waiting.status_code == 409 and waiting.json()["error"] == "diagnosis_closed"
    scene.complete()
    clock.advance(hours=24, seconds=1)
    late = send(scene.mechanic_client, "post", f"{base}/findings", FINDING)
    assert late.status_code == 409 and "24 hours" in late.json()["detail"]
    customer_live = send(scene.customer_client, "post", f"{base}/codes", {"code": "P0300"})
    assert customer_live.status_code == 409
    assert send(scene.customer_client, "post", f"{base}/findings", FINDING).status_code == 403
    assert not Finding.objects.exists() and not DiagnosticCode.objects.exists()


def test_the_endpoints_are_in_the_openapi_document(scene):
    paths = scene.customer_client.get("/api/openapi.json").json()["paths"]
    for path in (
        "/api/vin/decode",
        "/api/sessions/{session_id}/diagnosis",
        "/api/sessions/{session_id}/codes",
        "/api/sessions/{session_id}/codes/{code_id}",
        "/api/sessions/{session_id}/findings",
        "/api/sessions/{session_id}/findings/{finding_id}",
        "/api/sessions/{session_id}/checklist",
    ):
        assert path in paths, path
