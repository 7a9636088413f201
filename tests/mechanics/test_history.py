"""All History keeps every session the mechanic touched, each saying what happened (issue 14);
the history tabs in the JSON API."""

import pytest

from sessions_app.services import (
    session_accept,
    session_complete,
    session_release,
    session_start,
    sessions_expire_stale,
    sessions_release_idle,
    transfer_accept,
    transfer_offer,
)
from tests.factories import client_for, make_customer, make_mechanic, make_session, open_assignment

pytestmark = pytest.mark.django_db


def held_by(mechanic, **kwargs):
    session = make_session(**kwargs)
    return session_accept(assignment=open_assignment(session), mechanic=mechanic)


@pytest.fixture
def story(clock):
    """ann's sessions: released by her, released idle, transferred to Sam, transferred to her by
    Sam and completed, expired while hers, and one she holds."""
    ann = make_mechanic("ann", capacity=5)
    sam = make_mechanic("sam", capacity=5)
    sam.display_name = "Sam"
    sam.save()
    released = held_by(ann, customer=make_customer(full_name="Rita Released"))
    session_release(session=released, mechanic=ann)
    idle = held_by(ann, customer=make_customer(full_name="Ivan Idle"))
    clock.advance(minutes=31)
    assert sessions_release_idle() == 1
    away = held_by(ann, customer=make_customer(full_name="Tom Away"))
    transfer_accept(transfer=transfer_offer(session=away, mechanic=ann, to_mechanic_id=sam.pk), mechanic=sam)
    came = held_by(sam, customer=make_customer(full_name="Carl Came"))
    transfer_accept(transfer=transfer_offer(session=came, mechanic=sam, to_mechanic_id=ann.pk), mechanic=ann)
    session_start(session=came, mechanic=ann)
    session_complete(session=came, mechanic=ann, summary="Pads replaced")
    expired = held_by(ann, customer=make_customer(full_name="Eve Expired"))
    clock.advance(minutes=121)
    sessions_expire_stale()
    current = held_by(ann, customer=make_customer(full_name="Nina Now"))
    return {
        "ann": ann,
        "sam": sam,
        "released": released,
        "idle": idle,
        "away": away,
        "came": came,
        "expired": expired,
        "current": current,
    }


def test_all_history_says_what_happened(story):
    client = client_for(story["ann"].user)
    body = client.get("/api/mechanic/history", {"tab": "all"}).json()
    outcomes = {row["customer_name"]: row["outcome"] for row in body["sessions"]}
    assert outcomes == {
        "Nina Now": "Yours · waiting to start",
        "Eve Expired": "Expired while it was yours",
        "Carl Came": "Transferred to you by Sam · You completed it",
        "Tom Away": "Transferred to Sam",
        "Ivan Idle": "Released for you — idle for 30 min",
        "Rita Released": "You released it",
    }
    assert body["count"] == 6 and body["page"] == 1 and body["pages"] == 1
    mine = {row["customer_name"]: row["mine"] for row in body["sessions"]}
    assert mine["Tom Away"] is False and mine["Carl Came"] is True
    intake = {row["customer_name"]: row["intake_url"] for row in body["sessions"]}
    assert intake["Carl Came"] == f"/api/sessions/{story['came'].pk}/intake"
    assert intake["Tom Away"] is None and intake["Nina Now"] is None

    # The same rows on the page, with View Intake on the completed one and no links to the
    # sessions that are someone else's now.
    page = client.get("/mechanic/dashboard/", {"tab": "all"}).content.decode()
    assert 'All History <span class="tab-count">(6)</span>' in page
    for outcome in outcomes.values():
        assert outcome in page
    assert f"/mechanic/sessions/{story['came'].pk}/intake/" in page
    assert f"/sessions/{story['away'].pk}/report/" not in page
    assert f"/sessions/{story['came'].pk}/report/" in page


def test_sam_sees_his_side(story):
    body = client_for(story["sam"].user).get("/api/mechanic/history").json()
    outcomes = {row["customer_name"]: row["outcome"] for row in body["sessions"]}
    assert outcomes == {
        "Carl Came": "Transferred to Ann",
        "Tom Away": "Transferred to you by Ann · Expired while it was yours",  # the 2 h expiry, at Sam's
    }


def test_tabs_filters_and_pages(story):
    client = client_for(story["ann"].user)
    active = client.get("/api/mechanic/history", {"tab": "active"}).json()
    assert [r["customer_name"] for r in active["sessions"]] == ["Nina Now"]
    completed = client.get("/api/mechanic/history", {"tab": "completed"}).json()
    assert [(r["customer_name"], r["summary"]) for r in completed["sessions"]] == [
        ("Carl Came", "Pads replaced")
    ]
    assert completed["sessions"][0]["outcome"] == ""  # said only on All History
    found = client.get("/api/mechanic/history", {"tab": "all", "q": "tom"}).json()
    assert [r["customer_name"] for r in found["sessions"]] == ["Tom Away"] and found["count"] == 1
    assert client.get("/api/mechanic/history", {"type": "video"}).json()["sessions"] == []
    for bad in ({"tab": "incoming"}, {"type": "phone"}, {"page": 0}, {"page": "x"}):
        response = client.get("/api/mechanic/history", bad)
        assert response.status_code == 400 and response.json()["error"] == "invalid_input", bad
    assert client_for(story["came"].customer.user).get("/api/mechanic/history").status_code == 403


def test_history_api_queries_stay_flat(clock, django_assert_num_queries):
    ann = make_mechanic(capacity=50)
    sam = make_mechanic(capacity=50)
    client = client_for(ann.user)

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/mechanic/history", {"tab": "all"}).status_code == 200
        return len(ctx)

    held_by(ann)
    one = count()
    for _ in range(12):
        away = held_by(ann)
        transfer_accept(
            transfer=transfer_offer(session=away, mechanic=ann, to_mechanic_id=sam.pk), mechanic=sam
        )
        released = held_by(ann)
        session_release(session=released, mechanic=ann)
    assert count() == one
    # session + user + mechanic, the dashboard mechanic row, the counts, the page
    with django_assert_num_queries(6):
        client.get("/api/mechanic/history", {"tab": "all"})
