"""The mechanic dashboard page, its panels and its plain-form actions (SPEC §4)."""

import json
import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from customers.models import Intake
from sessions_app.models import Rating
from sessions_app.services import session_accept, session_complete, session_start
from sessions_app.transitions import SessionStatus as S
from tests.factories import make_customer, make_mechanic, make_session, open_assignment, plan

from .conftest import HTMX

pytestmark = pytest.mark.django_db

DASHBOARD = "/mechanic/dashboard/"


def queue_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-assignment-id="(\d+)"', html)]


def flashed(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def accepted_by(mechanic, **session_kwargs):
    session = make_session(**session_kwargs)
    return session_accept(assignment=open_assignment(session), mechanic=mechanic)


def with_intake(customer, *, concern="Grinding noise when braking at low speed", vin="1HGCM82633A004352"):
    return Intake.objects.create(
        customer=customer,
        vehicle_year=2018,
        vehicle_make="Honda",
        vehicle_model="Civic",
        vin=vin,
        concern=concern,
        plan=plan("video-30"),
    )


# --- access -----------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/mechanic/dashboard/")


@pytest.mark.parametrize(
    "url",
    [
        DASHBOARD,
        "/mechanic/dashboard/panels/tablist/",
        "/mechanic/force-end-all/",
        "/mechanic/dashboard/pulse/",
    ],
)
def test_customer_gets_403(client, url):
    client.force_login(make_customer("carol").user)
    assert client.get(url).status_code == 403


def test_customer_cannot_post_actions(client):
    session = make_session()
    client.force_login(make_customer("carol").user)
    assert client.post(f"/mechanic/assignments/{open_assignment(session).pk}/accept/").status_code == 403
    assert session.assignments.get().status == "queued"


def test_actions_need_post(mech_client):
    session = make_session()
    assert mech_client.get(f"/mechanic/assignments/{open_assignment(session).pk}/accept/").status_code == 405


# --- the page ----------------------------------------------------------------------------------


def test_dashboard_shows_header_stats_and_empty_panels(mech_client):
    html = mech_client.get(DASHBOARD).content.decode()
    for text in (
        "Refresh",
        "Sign Out",
        'id="live-indicator"',
        "Pending Requests",
        "Available for any mechanic to claim",
        "My Active Work",
        "0 Live • 0 Waiting",
        'Incoming Requests <span class="tab-count">(0)</span>',
        'Active <span class="tab-count">(0)</span>',
        'Completed <span class="tab-count">(0)</span>',
        'All History <span class="tab-count">(0)</span>',
        "No pending requests right now",
        "Set Away",
    ):
        assert text in html, text


def test_queue_lists_urgent_first_then_oldest_with_details(mech_client, clock):
    alice = make_customer("alice", full_name="Alice Walker")
    first = make_session(alice)
    first.intake = with_intake(alice)
    first.save(update_fields=["intake"])
    clock.advance(minutes=3)
    second = make_session(plan_code="video-30", pay_with="credits", customer=make_customer("bob", credits=5))
    clock.advance(minutes=1)
    urgent = make_session(urgent=True)
    clock.advance(minutes=2)

    html = mech_client.get(DASHBOARD).content.decode()

    assert queue_ids(html) == [open_assignment(s).pk for s in (urgent, first, second)]
    assert "Alice" in html and "Walker" not in html  # first name only
    assert "2018 Honda Civic" in html and "Grinding noise when braking" in html
    assert "Video Call (30 min) · waiting" in html and "Free Chat · 10 min · waiting" in html
    assert "waiting 6\xa0minutes" in html  # the first one has waited 6 minutes
    assert "Urgent" in html
    assert html.count(">Accept<") == 3


def test_active_work_survives_logout_and_shows_badges(mechanic, clock):
    waiting = accepted_by(mechanic)
    mechanic.max_active_sessions = 2
    mechanic.save()
    live = accepted_by(mechanic)
    session_start(session=live, mechanic=mechanic)

    client = Client()
    client.force_login(mechanic.user)
    client.logout()
    client.force_login(mechanic.user)
    html = client.get(DASHBOARD).content.decode()

    assert f'data-session-id="{waiting.pk}"' in html and f'data-session-id="{live.pk}"' in html
    assert "Live Now" in html and "Waiting to Start" in html
    assert "1 Live • 1 Waiting" in html
    assert html.index(f'data-session-id="{live.pk}"') < html.index(f'data-session-id="{waiting.pk}"')
    assert live.get_absolute_url() in html and waiting.get_absolute_url() in html  # Join Session
    assert f"/mechanic/sessions/{waiting.pk}/start/" in html  # only the waiting one can start
    assert f"/mechanic/sessions/{live.pk}/start/" not in html
    assert f"/mechanic/sessions/{live.pk}/complete/" in html
    assert f"/mechanic/sessions/{waiting.pk}/release/" in html
    assert f"/mechanic/sessions/{live.pk}/intake/" in html


@pytest.mark.parametrize(
    "active, expected",
    [(1, "You have 1 active session assigned"), (2, "You have 2 active sessions assigned")],
)
def test_at_capacity_the_queue_shows_the_lock_message_not_accept(active, expected):
    mechanic = make_mechanic(capacity=active)
    for _ in range(active):
        accepted_by(mechanic)
    make_session()
    client = Client()
    client.force_login(mechanic.user)

    html = client.get(DASHBOARD).content.decode()

    assert (
        f"{expected} to you. Complete or cancel your current work before accepting new requests. "
        "Your active sessions persist even if you log out."
    ) in html
    assert 'href="#my-active-work"' in html and 'id="my-active-work"' in html
    assert "Force End All" in html
    assert ">Accept<" not in html
    assert len(queue_ids(html)) == 1  # still sees the queue


# --- accept -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "plan_code, room", [("free-chat", "chat"), ("video-30", "video"), ("diagnostic-45", "diagnostic")]
)
def test_accept_takes_the_mechanic_to_the_room_of_the_right_type(mech_client, mechanic, plan_code, room):
    customer = make_customer(credits=10)
    session = make_session(customer, plan_code=plan_code, pay_with="credits")
    response = mech_client.post(f"/mechanic/assignments/{open_assignment(session).pk}/accept/")
    assert response.status_code == 302
    assert response["Location"] == f"/{room}/{session.pk}/"
    session.refresh_from_db()
    assert session.status == S.WAITING and session.mechanic == mechanic


def test_accept_under_htmx_answers_with_hx_redirect(mech_client):
    session = make_session()
    response = mech_client.post(f"/mechanic/assignments/{open_assignment(session).pk}/accept/", headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/chat/{session.pk}/"


def test_losing_the_race_is_a_message_and_the_queue_refreshes(mech_client):
    session = make_session()
    assignment = open_assignment(session)
    session_accept(assignment=assignment, mechanic=make_mechanic("maria"))

    response = mech_client.post(f"/mechanic/assignments/{assignment.pk}/accept/")
    assert response.status_code == 302 and response["Location"] == DASHBOARD
    assert any("Another mechanic just took this request" in m for m in flashed(response))
    page = mech_client.get(DASHBOARD).content.decode()
    assert "Another mechanic just took this request" in page
    assert assignment.pk not in queue_ids(page)

    htmx = mech_client.post(f"/mechanic/assignments/{assignment.pk}/accept/", headers=HTMX)
    assert htmx.status_code == 204
    trigger = json.loads(htmx["HX-Trigger"])
    assert "dashboard-changed" in trigger
    assert trigger["toast"]["message"].startswith("Another mechanic just took this request")
    assert trigger["toast"]["level"] == "warning"


def test_accept_at_capacity_shows_the_lock_message(mech_client, mechanic):
    accepted_by(mechanic)
    other = make_session()
    response = mech_client.post(f"/mechanic/assignments/{open_assignment(other).pk}/accept/", follow=True)
    assert "You have 1 active session assigned to you." in response.content.decode()
    assert open_assignment(other).status == "queued"


def test_accept_of_unknown_assignment_is_404(mech_client):
    assert mech_client.post("/mechanic/assignments/999999/accept/").status_code == 404


# --- start, release, complete -----------------------------------------------------------------


def test_start_then_complete_with_summary_moves_it_to_completed(mech_client, mechanic):
    session = accepted_by(mechanic)
    response = mech_client.post(f"/mechanic/sessions/{session.pk}/start/")
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == S.LIVE
    assert "Live Now" in mech_client.get(DASHBOARD).content.decode()

    response = mech_client.post(
        f"/mechanic/sessions/{session.pk}/complete/", {"summary": "  Worn front pads.  "}
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == S.COMPLETED and session.summary == "Worn front pads."
    Rating.objects.create(session=session, stars=4, comment="Helpful")

    completed = mech_client.get(DASHBOARD + "?tab=completed").content.decode()
    assert f'data-session-id="{session.pk}"' in completed
    assert "Worn front pads." in completed
    assert 'aria-label="4 out of 5 stars"' in completed
    assert f"/mechanic/sessions/{session.pk}/report/" in completed
    home = mech_client.get(DASHBOARD).content.decode()
    assert "No active work" in home and "active session assigned" not in home


def test_complete_needs_a_summary(mech_client, mechanic):
    session = accepted_by(mechanic)
    session_start(session=session, mechanic=mechanic)
    response = mech_client.post(f"/mechanic/sessions/{session.pk}/complete/", {"summary": "   "})
    assert response.status_code == 302
    assert any("summary" in m for m in flashed(response))
    session.refresh_from_db()
    assert session.status == S.LIVE


def test_wrong_state_is_a_message_not_an_error_page(mech_client, mechanic):
    session = accepted_by(mechanic)  # waiting: cannot complete yet
    response = mech_client.post(
        f"/mechanic/sessions/{session.pk}/complete/", {"summary": "Done"}, follow=True
    )
    assert response.status_code == 200
    assert "Only a live session can be completed." in response.content.decode()

    htmx = mech_client.post(f"/mechanic/sessions/{session.pk}/complete/", {"summary": "Done"}, headers=HTMX)
    assert htmx.status_code == 204
    assert json.loads(htmx["HX-Trigger"])["toast"]["level"] == "error"


def test_release_puts_the_request_back_at_its_original_place(mech_client, mechanic, clock):
    oldest = make_session()
    clock.advance(minutes=1)
    make_session()
    session_accept(assignment=open_assignment(oldest), mechanic=mechanic)
    clock.advance(minutes=5)

    response = mech_client.post(f"/mechanic/sessions/{oldest.pk}/release/")
    assert response.status_code == 302
    assert any("back in the queue" in m for m in flashed(response))
    html = mech_client.get(DASHBOARD).content.decode()
    assert queue_ids(html)[0] == open_assignment(oldest).pk


def test_another_mechanics_session_is_404_for_every_action(mech_client):
    theirs = accepted_by(make_mechanic("maria"))
    for action in ("start", "release", "complete", "intake", "report"):
        method = mech_client.get if action in ("intake", "report") else mech_client.post
        assert method(f"/mechanic/sessions/{theirs.pk}/{action}/").status_code == 404, action
    theirs.refresh_from_db()
    assert theirs.status == S.WAITING


def test_htmx_action_answers_with_a_toast_and_a_dashboard_event(mech_client, mechanic):
    session = accepted_by(mechanic)
    response = mech_client.post(f"/mechanic/sessions/{session.pk}/start/", headers=HTMX)
    assert response.status_code == 204
    trigger = json.loads(response["HX-Trigger"])
    assert trigger["dashboard-changed"] == {}
    assert trigger["toast"] == {"message": "Session started: you are live.", "level": "success"}
    # no message is left behind for the next full page
    assert "Session started" not in mech_client.get(DASHBOARD).content.decode()


# --- force end all, availability -------------------------------------------------------------


def test_force_end_all_asks_first_then_clears_everything(mech_client, mechanic):
    mechanic.max_active_sessions = 2
    mechanic.save()
    waiting = accepted_by(mechanic)
    live = accepted_by(mechanic)
    session_start(session=live, mechanic=mechanic)

    page = mech_client.get("/mechanic/force-end-all/")
    assert page.status_code == 200 and 'name="confirm"' in page.content.decode()
    unconfirmed = mech_client.post("/mechanic/force-end-all/")
    assert unconfirmed.status_code == 200 and "Tick the box to confirm." in unconfirmed.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == S.WAITING

    response = mech_client.post("/mechanic/force-end-all/", {"confirm": "on"})
    assert response.status_code == 302
    assert any("1 released to the queue, 1 completed" in m for m in flashed(response))
    waiting.refresh_from_db()
    live.refresh_from_db()
    assert (waiting.status, live.status) == (S.PENDING, S.COMPLETED)


def test_availability_toggle(mech_client, mechanic):
    response = mech_client.post("/mechanic/availability/", {"available": "0"})
    assert response.status_code == 302
    mechanic.refresh_from_db()
    assert mechanic.availability == "away"
    html = mech_client.get(DASHBOARD).content.decode()
    assert "Set Available" in html and 'data-available="0"' in html
    mech_client.post("/mechanic/availability/", {"available": "1"}, headers=HTMX)
    mechanic.refresh_from_db()
    assert mechanic.availability == "available"


# --- intake and report -------------------------------------------------------------------------


def test_intake_page_and_dialog_show_vehicle_vin_concern_and_attachments(mech_client, mechanic):
    customer = make_customer("alice", full_name="Alice Walker")
    intake = with_intake(customer)
    attachment = intake.attachments.create(
        file="attachments/2026/11/x.jpg", original_name="brakes.jpg", content_type="image/jpeg", size=2048
    )
    video = intake.attachments.create(
        file="attachments/2026/11/y.mp4", original_name="noise.mp4", content_type="video/mp4", size=4096
    )
    session = make_session(customer, intake=intake)
    session_accept(assignment=open_assignment(session), mechanic=mechanic)

    page = mech_client.get(f"/mechanic/sessions/{session.pk}/intake/").content.decode()
    for text in ("2018 Honda Civic", "1HGCM82633A004352", "Grinding noise when braking", "<!doctype html>"):
        assert text in page
    assert f'<img src="/attachments/{attachment.pk}/"' in page
    assert f'href="/attachments/{video.pk}/">noise.mp4' in page

    dialog = mech_client.get(f"/mechanic/sessions/{session.pk}/intake/", headers=HTMX).content.decode()
    assert "<!doctype html>" not in dialog and 'id="intake-title"' in dialog


def test_report_is_printable_and_has_the_findings(mech_client, mechanic):
    session = accepted_by(mechanic)
    session_start(session=session, mechanic=mechanic)
    session_complete(session=session, mechanic=mechanic, summary="Replace the serpentine belt.")
    html = mech_client.get(f"/mechanic/sessions/{session.pk}/report/").content.decode()
    assert "Auto Doctor session report" in html
    assert "Replace the serpentine belt." in html
    assert "data-print" in html and "mechanic.css" in html


# --- tabs: search, filters, pagination ----------------------------------------------------------


def test_history_tabs_search_filter_and_paginate(mech_client, mechanic, clock):
    names = ["Alice Walker", "Bob Stone", "Alice Cooper"]
    sessions = []
    for name in names:
        customer = make_customer(full_name=name, credits=5)
        s = make_session(
            customer, plan_code="video-30" if name == "Bob Stone" else "free-chat", pay_with="credits"
        )
        session_accept(assignment=open_assignment(s), mechanic=mechanic)
        session_start(session=s, mechanic=mechanic)
        session_complete(session=s, mechanic=mechanic, summary=f"Summary for {name}")
        sessions.append(s)
        clock.advance(days=1)

    def rows(query: str) -> list[int]:
        html = mech_client.get(f"{DASHBOARD}?{query}").content.decode()
        return [int(i) for i in re.findall(r'<tr data-session-id="(\d+)"', html)]

    assert rows("tab=completed") == [s.pk for s in reversed(sessions)]
    assert rows("tab=all&q=alice") == [sessions[2].pk, sessions[0].pk]
    assert rows("tab=completed&type=video") == [sessions[1].pk]
    day_two = timezone.localdate(sessions[1].created_at).isoformat()
    assert rows(f"tab=all&from={day_two}&to={day_two}") == [sessions[1].pk]
    assert rows("tab=active") == []
    bad = mech_client.get(f"{DASHBOARD}?tab=all&from=yesterday").content.decode()
    assert "Some filters were not understood" in bad and len(re.findall(r"<tr data-session-id", bad)) == 3


def test_queue_search_and_pagination(mech_client):
    for i in range(23):
        make_session(make_customer(full_name=f"Driver{i:02d} Person"))
    page1 = mech_client.get(DASHBOARD).content.decode()
    assert len(queue_ids(page1)) == 20 and "Page 1 of 2" in page1
    assert 'href="?tab=incoming&amp;page=2"' in page1
    page2 = mech_client.get(DASHBOARD + "?page=2").content.decode()
    assert len(queue_ids(page2)) == 3 and 'rel="prev"' in page2
    found = mech_client.get(DASHBOARD + "?q=driver07").content.decode()
    assert len(queue_ids(found)) == 1 and "Driver07" in found


# --- panels and the pulse -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "panel, marker",
    [
        ("stats", 'id="panel-stats"'),
        ("active", 'id="my-active-work"'),
        ("tabnav", 'id="panel-tabnav"'),
        ("tablist", 'id="panel-tablist"'),
    ],
)
def test_each_panel_renders_alone(mech_client, panel, marker):
    html = mech_client.get(f"/mechanic/dashboard/panels/{panel}/", headers=HTMX).content.decode()
    assert html.strip().startswith(
        f"<{'nav' if panel == 'tabnav' else 'section' if panel in ('stats', 'active') else 'div'} {marker}"
    )
    assert "<html" not in html


def test_unknown_panel_is_404(mech_client):
    assert mech_client.get("/mechanic/dashboard/panels/nope/").status_code == 404


def test_a_request_taken_by_another_mechanic_leaves_the_queue_on_the_next_poll(mech_client):
    session = make_session()
    assert queue_ids(
        mech_client.get("/mechanic/dashboard/panels/tablist/", headers=HTMX).content.decode()
    ) == [open_assignment(session).pk]
    session_accept(assignment=open_assignment(session), mechanic=make_mechanic("maria"))
    assert (
        queue_ids(mech_client.get("/mechanic/dashboard/panels/tablist/", headers=HTMX).content.decode()) == []
    )
