"""Who may change a diagnosis and when; every change a versioned DIAGNOSIS_EDITED event."""

import pytest
from django.db import IntegrityError

from autodoctor.errors import DomainError
from diagnostics.models import Diagnosis, DiagnosticCode, Finding
from diagnostics.services import (
    FindingData,
    checklist_set,
    code_add,
    code_remove,
    code_update,
    finding_add,
    finding_remove,
    finding_update,
)
from sessions_app.models import SessionEvent
from sessions_app.transitions import SessionEventType
from tests.factories import make_mechanic

pytestmark = pytest.mark.django_db

BRAKES = FindingData(
    system="brakes",
    severity="stop",
    observed="Front pads worn to the backing plate.",
    recommendation="Replace front pads and rotors.",
    cost_min_cents=25_000,
    cost_max_cents=40_000,
)


def edits(session):
    return list(
        SessionEvent.objects.filter(session=session, type=SessionEventType.DIAGNOSIS_EDITED).order_by("id")
    )


def test_every_edit_is_a_versioned_event_saying_what_changed(scene):
    session = scene.go_live()
    user = scene.mechanic.user
    code = code_add(session=session, user=user, code="P0301", status="active", notes="")
    assert code.description == "Cylinder 1 misfire detected"
    finding = finding_add(session=session, user=user, data=BRAKES)
    finding_update(
        session=session,
        user=user,
        finding_id=finding.pk,
        data=FindingData(**{**BRAKES.as_dict(), "severity": "soon"}),
    )
    code_update(
        session=session, user=user, code_id=code.pk, status="cleared", notes="Cleared after coil swap"
    )
    checklist_set(session=session, user=user, systems=["engine", "brakes", "nonsense"])
    finding_remove(session=session, user=user, finding_id=finding.pk)
    code_remove(session=session, user=user, code_id=code.pk)

    events = edits(session)
    assert [e.data["version"] for e in events] == [1, 2, 3, 4, 5, 6, 7]
    assert [(e.data["part"], e.data["action"]) for e in events] == [
        ("code", "added"),
        ("finding", "added"),
        ("finding", "changed"),
        ("code", "changed"),
        ("checklist", "changed"),
        ("finding", "removed"),
        ("code", "removed"),
    ]
    assert all(e.actor_id == user.pk for e in events)
    assert events[2].data["changes"] == {"severity": ["stop", "soon"]}  # only what changed
    assert events[3].data["changes"]["status"] == ["active", "cleared"]
    assert events[4].data["changes"] == {"systems_checked": [[], ["engine", "brakes"]]}
    assert events[5].data["changes"]["observed"] == ["Front pads worn to the backing plate.", None]
    assert Diagnosis.objects.get(session=session).version == 7
    assert not Finding.objects.exists() and not DiagnosticCode.objects.exists()


def test_an_edit_that_changes_nothing_records_nothing(scene):
    session = scene.go_live()
    user = scene.mechanic.user
    finding = finding_add(session=session, user=user, data=BRAKES)
    finding_update(session=session, user=user, finding_id=finding.pk, data=BRAKES)
    checklist_set(session=session, user=user, systems=[])
    assert len(edits(session)) == 1


def test_the_mechanic_edits_while_live_and_for_24_hours_after(scene, clock):
    user = scene.mechanic.user
    with pytest.raises(DomainError) as waiting:
        finding_add(session=scene.session, user=user, data=BRAKES)
    assert waiting.value.code == "diagnosis_closed" and waiting.value.http_status == 409
    assert "Start the session first" in waiting.value.detail

    session = scene.complete()
    clock.advance(hours=23, minutes=59)
    finding_add(session=session, user=user, data=BRAKES)  # still within the window
    clock.advance(minutes=2)
    with pytest.raises(DomainError) as late:
        finding_add(session=session, user=user, data=BRAKES)
    assert late.value.code == "diagnosis_closed" and "24 hours" in late.value.detail
    assert Finding.objects.filter(session=session).count() == 1


def test_another_mechanic_and_the_customer_may_not_write_findings(scene):
    session = scene.go_live()
    for user in (make_mechanic().user, scene.customer.user):
        with pytest.raises(DomainError) as refused:
            finding_add(session=session, user=user, data=BRAKES)
        assert refused.value.code in ("forbidden", "diagnosis_closed")
    assert not Finding.objects.exists() and edits(session) == []


def test_the_customer_lists_codes_before_live_and_not_after(scene):
    user = scene.customer.user
    mine = code_add(session=scene.session, user=user, code="P0171")
    assert mine.added_by_id == user.pk and mine.description == "System too lean (bank 1)"
    with pytest.raises(DomainError) as not_theirs:  # status and notes are the mechanic's
        code_update(session=scene.session, user=user, code_id=mine.pk, status="cleared", notes="")
    assert not_theirs.value.code == "forbidden"

    session = scene.go_live()
    with pytest.raises(DomainError) as live:
        code_add(session=session, user=user, code="P0174")
    assert live.value.code == "diagnosis_closed" and live.value.http_status == 409
    with pytest.raises(DomainError):
        code_remove(session=session, user=user, code_id=mine.pk)
    # The mechanic takes it from here.
    code_update(
        session=session, user=scene.mechanic.user, code_id=mine.pk, status="pending", notes="Intermittent"
    )
    assert [e.actor_id for e in edits(session)] == [user.pk, scene.mechanic.user.pk]


def test_a_code_listed_twice_is_refused_on_the_field(scene):
    session = scene.go_live()
    code_add(session=session, user=scene.mechanic.user, code="P0420")
    with pytest.raises(DomainError) as twice:
        code_add(session=session, user=scene.mechanic.user, code="p0420")
    assert twice.value.context["field"] == "code" and twice.value.http_status == 400
    assert DiagnosticCode.objects.count() == 1 and len(edits(session)) == 1


def test_the_database_refuses_a_reversed_cost_range(scene):
    session = scene.go_live()
    with pytest.raises(IntegrityError):
        Finding.objects.create(
            session=session,
            system="engine",
            severity="safe",
            observed="x",
            cost_min_cents=500,
            cost_max_cents=100,
        )


def test_ids_of_another_session_are_not_found(scene):
    from tests.diagnostics.conftest import make_scene

    other = make_scene()
    other.go_live()
    theirs = finding_add(session=other.session, user=other.mechanic.user, data=BRAKES)
    session = scene.go_live()
    with pytest.raises(DomainError) as missing:
        finding_remove(session=session, user=scene.mechanic.user, finding_id=theirs.pk)
    assert missing.value.code == "not_found"
    assert Finding.objects.filter(pk=theirs.pk).exists()
