"""The mechanic's side, finished (issue 15): header navigation, the active-session banner on
the other mechanic pages, a request's Details before accepting, Settings, and the dashboard that
explains itself. Browser behaviour is in tests/e2e/test_mechanic_finished.py."""

import json
import re
from pathlib import Path

import pytest
from django.test import Client

from customers.models import Intake, IntakeAttachment
from mechanics.models import Workshop
from sessions_app.live import forget_recent_state_version
from sessions_app.models import SessionEvent
from sessions_app.services import session_accept, session_complete, session_start
from sessions_app.transitions import SessionEventType
from tests.customers.uploadfiles import png
from tests.factories import make_customer, make_mechanic, make_session, open_assignment, plan

from .conftest import HTMX

pytestmark = pytest.mark.django_db

SETTINGS = "/mechanic/settings/"
BANNER = "/mechanic/banner/"
LONG_CONCERN = (
    "The engine stalls at red lights after warming up. It started two weeks ago after a battery "
    "change; the idle drops to about 500 rpm, the battery light flickers, and it restarts fine. "
    "The last words of this concern are only on the Details page: CHECK THE IDLE VALVE PLEASE."
)

# Pinned query counts (django_assert_num_queries), flat in the number of sessions shown.
# A mechanic page with the banner: session, user, mechanic (the role), then the banner's state
# version and its sessions.
SETTINGS_PAGE_QUERIES = 5
BANNER_UNCHANGED_QUERIES = 1  # the state version, before session, user or profile load
BANNER_CHECKED_QUERIES = 6  # the fast check's version, then session, user, mechanic, version, sessions
# Details: session, user, mechanic, the request with its intake, its photos, "seen already?";
# the first time also the record (a savepoint, the mechanic's row lock, "seen" again, the
# event, its notification on PostgreSQL, the release); then the banner's version and sessions.
DETAILS_FIRST_VIEW_QUERIES = {"postgresql": 14, "sqlite": 13}
DETAILS_AGAIN_QUERIES = {"postgresql": 8, "sqlite": 8}


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def nav_links(html: str) -> list[tuple[str, bool]]:
    nav = re.search(r'<nav class="site-nav".*?</nav>', html, re.S)
    assert nav, "no header navigation"
    return [
        (re.sub(r"<.*?>", "", label).strip(), "aria-current" in attrs)
        for attrs, label in re.findall(r"<a ([^>]*)>(.*?)</a>", nav.group(0), re.S)
    ]


def intake_for(customer, *, concern: str = LONG_CONCERN) -> Intake:
    return Intake.objects.create(
        customer=customer,
        vehicle_year=2017,
        vehicle_make="Honda",
        vehicle_model="Civic",
        vin="1HGCM82633A004352",
        mileage=84000,
        concern=concern,
        plan=plan("video-30"),
        urgent=True,
    )


# --- header navigation -------------------------------------------------------------------------


def test_mechanic_navigation_marks_the_current_page(mechanic, mech_client):
    assert nav_links(page(mech_client, "/mechanic/dashboard/")) == [
        ("Dashboard", True),
        ("History", False),
        ("Earnings", False),
        ("Settings", False),
    ]
    assert nav_links(page(mech_client, "/mechanic/dashboard/?tab=all")) == [
        ("Dashboard", False),
        ("History", True),
        ("Earnings", False),
        ("Settings", False),
    ]
    assert nav_links(page(mech_client, SETTINGS))[-1] == ("Settings", True)
    assert ("Earnings", True) in nav_links(page(mech_client, "/mechanic/earnings/"))


def test_customer_and_staff_navigation():
    customer = make_customer("carol")
    assert nav_links(page(client_of(customer.user), "/customer/dashboard/")) == [
        ("Dashboard", True),
        ("New request", False),
        ("Past sessions", False),
        ("Account", False),  # issue 14: the customer's account page (time zone)
    ]
    from django.contrib.auth import get_user_model

    boss = get_user_model().objects.create_user("boss", password="pw-boss-123", is_staff=True)
    assert nav_links(page(client_of(boss), "/staff/analytics/")) == [("Admin", False), ("Analytics", True)]


def test_the_menu_button_controls_the_links_and_is_hidden_without_javascript(mech_client):
    html = page(mech_client, SETTINGS)
    assert re.search(
        r'<button[^>]*class="[^"]*nav-toggle[^"]*"[^>]*aria-controls="nav-links"[^>]*hidden', html
    )
    assert '<ul id="nav-links"' in html


# --- the active-session banner -------------------------------------------------------------------


def banner_html(html: str) -> str:
    match = re.search(r'<div id="mechanic-banner".*?(?=\n  <div id="toasts")', html, re.S)
    assert match, "no mechanic banner"
    return match.group(0)


def test_no_active_session_no_banner_row(mech_client):
    html = banner_html(page(mech_client, SETTINGS))
    assert "mechanic-banner-empty" in html and " hidden" in html
    assert "Return to Session" not in html


def test_banner_rows_follow_waiting_and_live_with_the_tables_actions(mechanic):
    # route (issue 14): a chat (1) and a video call (2) take a capacity budget of 3.
    mechanic.max_active_sessions = 3
    mechanic.save()
    alice = make_customer("alice", full_name="Alice Walker")
    bob = make_customer("bob", full_name="Bob Stone", credits=3)
    waiting = session_accept(assignment=open_assignment(make_session(alice)), mechanic=mechanic)
    live = session_accept(
        assignment=open_assignment(make_session(bob, plan_code="video-30", pay_with="credits")),
        mechanic=mechanic,
    )
    session_start(session=live, mechanic=mechanic)
    html = banner_html(page(client_of(mechanic.user), SETTINGS))

    rows = re.findall(r'<div class="banner-row status-(\w+)" data-session-id="(\d+)"', html)
    assert rows == [("live", str(live.pk)), ("waiting", str(waiting.pk))]  # live first
    pills = re.findall(r'data-testid="mechanic-banner-status">([^<]+)<', html)
    assert pills == ["Live", "Mechanic assigned"]  # the customer banner's words
    assert "Walker" not in html and "Stone" not in html
    assert html.count("Return to Session") == 2
    assert f'action="/mechanic/sessions/{waiting.pk}/start/"' in html
    assert f'action="/mechanic/sessions/{waiting.pk}/release/"' in html
    assert f'action="/mechanic/sessions/{live.pk}/complete/"' in html
    assert f'action="/mechanic/sessions/{live.pk}/start/"' not in html


def test_no_banner_on_the_dashboard_and_status_only_in_the_sessions_own_room(mechanic, mech_client):
    session = session_accept(assignment=open_assignment(make_session()), mechanic=mechanic)
    assert 'id="mechanic-banner"' not in page(mech_client, "/mechanic/dashboard/")
    room = banner_html(page(mech_client, session.get_absolute_url()))
    assert "Mechanic assigned" in room and "Return to Session" not in room


def test_banner_poll_unchanged_then_changed(mechanic, mech_client, django_assert_num_queries):
    session = session_accept(assignment=open_assignment(make_session()), mechanic=mechanic)
    html = banner_html(page(mech_client, SETTINGS))
    version = re.search(r'banner/\?v=([^"]+)"', html).group(1)
    token = re.search(r'data-token="([^"]+)"', html).group(1)
    with django_assert_num_queries(BANNER_UNCHANGED_QUERIES):
        assert mech_client.get(BANNER, {"v": version, "t": token}, headers=HTMX).status_code == 204

    make_session()  # something else changed: this banner did not
    forget_recent_state_version()  # (a process remembers the version for up to a second)
    with django_assert_num_queries(BANNER_CHECKED_QUERIES):
        response = mech_client.get(BANNER, {"v": version, "t": token}, headers=HTMX)
    assert response.status_code == 204
    fresh = json.loads(response["HX-Trigger"])["mechanic-banner-token"]["t"]
    assert fresh and fresh != token

    session_start(session=session, mechanic=mechanic)
    forget_recent_state_version()
    with django_assert_num_queries(BANNER_CHECKED_QUERIES):
        response = mech_client.get(BANNER, {"v": version, "t": fresh}, headers=HTMX)
    assert response.status_code == 200 and ">Live<" in response.content.decode()


def test_banner_poll_is_for_mechanics_only(client):
    assert client.get(BANNER).status_code == 302
    client.force_login(make_customer("carol").user)
    assert client.get(BANNER).status_code == 403


def test_a_mechanic_page_with_the_banner_has_flat_query_counts(mechanic, django_assert_num_queries):
    mechanic.max_active_sessions = 3
    mechanic.save()
    client = client_of(mechanic.user)
    for n in range(3):
        session = session_accept(assignment=open_assignment(make_session()), mechanic=mechanic)
        if n:
            session_start(session=session, mechanic=mechanic)
        with django_assert_num_queries(SETTINGS_PAGE_QUERIES):
            client.get(SETTINGS)


def test_an_action_from_the_banner_refreshes_the_banner(mechanic, mech_client):
    session = session_accept(assignment=open_assignment(make_session()), mechanic=mechanic)
    response = mech_client.post(f"/mechanic/sessions/{session.pk}/start/", headers=HTMX)
    assert response.status_code == 204
    assert {"toast", "session-changed", "dashboard-changed"} <= set(json.loads(response["HX-Trigger"]))


# --- Details before accepting ---------------------------------------------------------------------


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def queued(media_root):
    """A queued request with a long concern and a photo, from Alice Walker."""
    alice = make_customer("alice", full_name="Alice Walker", credits=3)
    alice.phone = "+1 555 0100"
    alice.save()
    intake = intake_for(alice)
    photo = IntakeAttachment.objects.create(
        intake=intake, file=png("brake.png"), original_name="brake.png", content_type="image/png", size=10
    )
    session = make_session(alice, plan_code="video-30", pay_with="credits", intake=intake, urgent=True)
    return {"session": session, "assignment": open_assignment(session), "photo": photo}


def details_url(assignment) -> str:
    return f"/mechanic/requests/{assignment.pk}/"


def test_details_shows_the_whole_request_and_hides_the_surname(mech_client, queued):
    html = page(mech_client, details_url(queued["assignment"]))
    assert "CHECK THE IDLE VALVE PLEASE" in html  # past the queue's 160 characters
    assert "Video request from Alice" in html
    for hidden in ("Walker", "alice@example.com", "555 0100"):
        assert hidden not in html, hidden
    for shown in (
        "2017 Honda Civic",
        "1HGCM82633A004352",
        "84000 mi",
        "Urgent",
        "Video Call",
        "30 min",
        "Honda",
    ):
        assert shown in html, shown
    assert f'<img src="/attachments/{queued["photo"].pk}/"' in html
    assert "<dt>Manufacturer</dt>" in html and "<dt>Check digit</dt>" in html  # diagnostics' VIN facts
    assert f'action="/mechanic/assignments/{queued["assignment"].pk}/accept/"' in html
    assert ">Back</a>" in html


def test_the_queue_row_links_to_details(mech_client, queued):
    html = page(mech_client, "/mechanic/dashboard/")
    assert f'href="{details_url(queued["assignment"])}"' in html
    assert 'Details<span class="sr-only"> of the request from Alice</span>' in html


def test_details_photo_opens_for_a_mechanic_who_may_take_it(mech_client, queued):
    response = mech_client.get(f"/attachments/{queued['photo'].pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"


def test_another_workshops_request_is_404_with_its_photos(queued):
    downtown = Workshop.objects.create(name="Downtown Garage")
    uptown = Workshop.objects.create(name="Uptown Garage")
    own = make_session(make_customer("dora", workshop=downtown))
    outsider = client_of(make_mechanic("otto", workshop=uptown).user)
    assert outsider.get(details_url(open_assignment(own))).status_code == 404
    insider = client_of(make_mechanic("ida", workshop=downtown).user)
    assert insider.get(details_url(open_assignment(own))).status_code == 200
    # ...and a general request is everyone's, its photo too
    assert outsider.get(details_url(queued["assignment"])).status_code == 200
    assert outsider.get(f"/attachments/{queued['photo'].pk}/").status_code == 200


def test_a_taken_request_is_404_and_so_is_its_photo_for_others(mechanic, queued):
    session_accept(assignment=queued["assignment"], mechanic=make_mechanic("max"))
    client = client_of(mechanic.user)
    assert client.get(details_url(queued["assignment"])).status_code == 404
    assert client.get(f"/attachments/{queued['photo'].pk}/").status_code == 404


def test_details_is_for_mechanics_only(client, queued):
    assert client.get(details_url(queued["assignment"])).status_code == 302
    client.force_login(make_customer("carol").user)
    assert client.get(details_url(queued["assignment"])).status_code == 403


def test_opening_details_is_recorded_once_per_mechanic_and_takes_nothing(mechanic, mech_client, queued):
    viewed = SessionEvent.objects.filter(type=SessionEventType.REQUEST_VIEWED, session=queued["session"])
    page(mech_client, details_url(queued["assignment"]))
    page(mech_client, details_url(queued["assignment"]))
    max_ = make_mechanic("max")
    page(client_of(max_.user), details_url(queued["assignment"]))
    assert sorted(viewed.values_list("actor__username", flat=True)) == ["max", "mike"]
    event = viewed.get(actor=mechanic.user)
    assert (event.from_status, event.to_status, event.data) == (
        "pending",
        "pending",
        {"mechanic": mechanic.pk},
    )

    queued["assignment"].refresh_from_db()
    queued["session"].refresh_from_db()
    assert queued["assignment"].status == "queued" and queued["session"].mechanic_id is None
    # ...so the next mechanic can still take it
    session_accept(assignment=queued["assignment"], mechanic=max_)


def test_details_query_counts(mech_client, queued, django_assert_num_queries):
    from django.db import connection

    with django_assert_num_queries(DETAILS_FIRST_VIEW_QUERIES[connection.vendor]):
        page(mech_client, details_url(queued["assignment"]))
    with django_assert_num_queries(DETAILS_AGAIN_QUERIES[connection.vendor]):
        page(mech_client, details_url(queued["assignment"]))


def test_accept_from_details_uses_the_queues_endpoint(mech_client, queued):
    response = mech_client.post(f"/mechanic/assignments/{queued['assignment'].pk}/accept/")
    assert response.status_code == 302 and response["Location"] == queued["session"].get_absolute_url()


# --- the dashboard explains itself ---------------------------------------------------------------


def test_subtitle_and_how_it_works_tip_until_dismissed(mechanic, mech_client):
    html = page(mech_client, "/mechanic/dashboard/")
    assert "Sessions assigned to you (stay here after logout/login)" in html
    assert 'id="how-it-works"' in html and "How it works" in html

    response = mech_client.post("/mechanic/tip/dismiss/", headers=HTMX)
    assert response.status_code == 200 and response.content == b""
    mechanic.refresh_from_db()
    assert mechanic.show_dashboard_tip is False
    assert 'id="how-it-works"' not in page(mech_client, "/mechanic/dashboard/")
    assert 'id="how-it-works"' not in page(client_of(mechanic.user), "/mechanic/dashboard/")  # per mechanic

    other = client_of(make_mechanic("max").user)
    assert 'id="how-it-works"' in page(other, "/mechanic/dashboard/")


def test_dismissing_without_javascript_goes_back_to_the_dashboard(mech_client):
    response = mech_client.post("/mechanic/tip/dismiss/")
    assert response.status_code == 302 and response["Location"] == "/mechanic/dashboard/"
    assert mech_client.get("/mechanic/tip/dismiss/").status_code == 405


def test_refresh_says_when_and_the_filters_say_how_many(mech_client):
    html = page(mech_client, "/mechanic/dashboard/")
    assert re.search(r'id="refreshed-at"[^>]*>Updated \d\d:\d\d:\d\d<', html)
    assert re.search(r"<summary class=\"btn\">Filter</summary>", html)
    html = page(mech_client, "/mechanic/dashboard/?q=ali&type=chat&from=2026-01-01")
    assert 'Filter <span class="filter-count">· 3 active</span>' in html


def test_the_lock_message_links_to_the_session_that_blocks(mechanic, mech_client):
    blocking = session_accept(
        assignment=open_assignment(make_session(make_customer("alice", full_name="Alice Walker"))),
        mechanic=mechanic,
    )
    make_session()
    html = page(mech_client, "/mechanic/dashboard/")
    lock = re.search(r'<div class="lock".*?</div>', html, re.S).group(0)
    assert f'href="{blocking.get_absolute_url()}">Return to session with Alice</a>' in lock
    panel = mech_client.get("/mechanic/dashboard/panels/tablist/", headers=HTMX).content.decode()
    assert f'href="{blocking.get_absolute_url()}"' in panel


# --- Settings -----------------------------------------------------------------------------------


def test_settings_save_email_notifications_and_the_tip(mechanic, mech_client):
    html = page(mech_client, SETTINGS)
    assert 'name="email_notifications"' in html and "checked" in html
    response = mech_client.post(SETTINGS, {"show_dashboard_tip": "on"})
    assert response.status_code == 302 and response["Location"] == SETTINGS
    mechanic.refresh_from_db()
    assert (mechanic.email_notifications, mechanic.show_dashboard_tip) == (False, True)
    assert "Your settings are saved." in page(mech_client, SETTINGS)


def test_settings_are_for_mechanics_only(client):
    assert client.get(SETTINGS).status_code == 302
    client.force_login(make_customer("carol").user)
    assert client.get(SETTINGS).status_code == 403


def test_completed_sessions_leave_the_banner(mechanic, mech_client):
    session = session_accept(assignment=open_assignment(make_session()), mechanic=mechanic)
    session_start(session=session, mechanic=mechanic)
    session_complete(session=session, mechanic=mechanic, summary="Done.")
    assert "mechanic-banner-empty" in banner_html(page(mech_client, SETTINGS))
