"""Routing on the mechanic's pages and API (issue 14): the expertise badge and order, the rows
that do not fit a weighted budget, the lock message's arithmetic, the first look on the
dashboard, Settings › Your expertise, and the pinned query counts."""

import re

import pytest
from django.test import Client

from mechanics.models import Mechanic
from mechanics.services import mechanic_update_expertise
from sessions_app.services import first_looks_open_due, session_accept
from tests.factories import client_for, make_customer, make_mechanic, open_assignment
from tests.sessions_app.test_routing import request_for

from .conftest import HTMX
from .test_live_updates import DASHBOARD_QUERIES, PANEL_QUERIES

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

DASHBOARD = "/mechanic/dashboard/"
TABLIST = "/mechanic/dashboard/panels/tablist/"
# The API queue: session + user + mechanic (api_mechanic), the capacity use, the total with the
# lightest weight waiting, the page of assignments. Flat in the queue's length.
API_QUEUE_QUERIES = 6


def expert(username: str, *, capacity: int = 1, **expertise) -> Mechanic:
    mechanic = make_mechanic(username, capacity=capacity)
    return mechanic_update_expertise(
        mechanic=mechanic,
        makes=expertise.get("makes", []),
        systems=expertise.get("systems", []),
        session_types=expertise.get("session_types", []),
        languages=expertise.get("languages", []),
    )


def queue_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-assignment-id="(\d+)"', html)]


def test_matching_rows_carry_the_badge_and_come_first(settings, clock, django_assert_num_queries):
    settings.FIRST_LOOK_SECONDS = 0
    mike = expert("mike", makes=["Toyota"], systems=["brakes"])
    older = request_for(make="Ford", system="engine")
    clock.advance(minutes=2)
    toyota = request_for(make="Toyota", system="brakes")
    client = client_for(mike.user)

    # Same count as a mechanic without expertise: the match is an annotation of the same query.
    # No work card here, so no colleagues query for Transfer… (issue 14): one less.
    with django_assert_num_queries(DASHBOARD_QUERIES["incoming"] - 1):
        html = client.get(DASHBOARD).content.decode()

    assert queue_ids(html) == [open_assignment(toyota).pk, open_assignment(older).pk]
    assert html.count("Matches your expertise: Toyota, brakes") == 1
    assert (
        "Matches your expertise" not in client_for(make_mechanic("max").user).get(DASHBOARD).content.decode()
    )


def test_two_experts_never_share_a_rendered_queue_list(settings):
    settings.FIRST_LOOK_SECONDS = 0
    request_for(make="Toyota")
    toyota = client_for(expert("mike", makes=["Toyota"]).user)
    ford = client_for(expert("maria", makes=["Ford"]).user)
    assert "Matches your expertise: Toyota" in toyota.get(TABLIST, headers=HTMX).content.decode()
    assert "Matches your expertise" not in ford.get(TABLIST, headers=HTMX).content.decode()


def test_a_row_that_does_not_fit_says_why_instead_of_accept(settings):
    settings.FIRST_LOOK_SECONDS = 0
    mechanic = make_mechanic("mike", capacity=3)
    session_accept(assignment=open_assignment(request_for(plan_code="diagnostic-45")), mechanic=mechanic)
    video = open_assignment(request_for(plan_code="video-30"))
    chat = open_assignment(request_for())

    html = client_for(mechanic.user).get(DASHBOARD).content.decode()

    rows = dict(zip(queue_ids(html), re.split(r'data-assignment-id="\d+"', html)[1:], strict=True))
    assert "A video call takes 2 of your 3; you are using 2." in rows[video.pk]
    assert "request-accept" not in rows[video.pk].split("</li>")[0]
    assert "request-accept" in rows[chat.pk].split("</li>")[0]
    assert "You have 1 active session" not in html  # not blocked: the chat fits


def test_when_nothing_waiting_fits_the_lock_message_explains_the_arithmetic(settings):
    settings.FIRST_LOOK_SECONDS = 0
    mechanic = make_mechanic("mike", capacity=3)
    session_accept(assignment=open_assignment(request_for(plan_code="diagnostic-45")), mechanic=mechanic)
    request_for(plan_code="video-30")
    client = client_for(mechanic.user)

    html = client.get(DASHBOARD).content.decode()

    assert (
        "You have 1 active session assigned to you. Complete or cancel your current work before accepting "
        "new requests. Your active sessions persist even if you log out. They use 2 of your capacity "
        "budget of 3 (one diagnostic); no waiting request fits in what is left."
    ) in html
    assert ">Accept<" not in html
    body = client.get("/api/mechanic/queue").json()
    assert (body["blocked"], body["used"], body["capacity"], body["active_count"]) == (True, 2, 3, 1)


def test_first_look_on_the_dashboard(settings, clock):
    settings.FIRST_LOOK_SECONDS = 60
    mike = expert("mike", makes=["Toyota"], systems=["brakes"])
    max_ = make_mechanic("max")
    assignment = open_assignment(request_for(make="Toyota", system="brakes"))
    mike_page = client_for(mike.user).get(DASHBOARD).content.decode()
    max_client = client_for(max_.user)

    assert queue_ids(mike_page) == [assignment.pk] and "First look for you until" in mike_page
    assert queue_ids(max_client.get(DASHBOARD).content.decode()) == []

    clock.advance(seconds=60)
    assert first_looks_open_due() == 1
    assert queue_ids(max_client.get(TABLIST, headers=HTMX).content.decode()) == [assignment.pk]


def test_api_queue_has_matches_weights_and_used(settings, django_assert_num_queries):
    settings.FIRST_LOOK_SECONDS = 0
    mike = expert("mike", capacity=3, makes=["Toyota"], languages=["es"])
    session_accept(assignment=open_assignment(request_for()), mechanic=mike)
    for _ in range(3):
        request_for(make="Toyota", language="es", plan_code="video-30")
    client = client_for(mike.user)
    client.get("/api/mechanic/queue")  # warm the session row

    with django_assert_num_queries(API_QUEUE_QUERIES):
        body = client.get("/api/mechanic/queue").json()

    assert (body["used"], body["capacity"], body["active_count"], body["blocked"]) == (1, 3, 1, False)
    assert {tuple(a["matches"]) for a in body["assignments"]} == {("Toyota", "Spanish")}
    assert {a["capacity_weight"] for a in body["assignments"]} == {2}
    request_for(plan_code="video-30")
    with django_assert_num_queries(API_QUEUE_QUERIES):  # flat as the queue grows
        assert len(client.get("/api/mechanic/queue").json()["assignments"]) == 4


def test_the_panels_keep_their_counts_for_an_expert_with_room_left(settings, django_assert_num_queries):
    """A part-used budget needs the lightest weight waiting; the panels that show the queue
    already read that in their count query, so their pins do not move."""
    settings.FIRST_LOOK_SECONDS = 0
    mike = expert("mike", capacity=3, makes=["Toyota"])
    session_accept(assignment=open_assignment(request_for()), mechanic=mike)
    request_for(make="Toyota", plan_code="video-30")
    client = client_for(mike.user)
    for panel in ("stats", "active", "tabnav"):
        with django_assert_num_queries(PANEL_QUERIES[panel]):
            assert client.get(f"/mechanic/dashboard/panels/{panel}/", headers=HTMX).status_code == 200


# --- Settings › Your expertise ----------------------------------------------------------------


def test_settings_edit_the_expertise(mechanic: Mechanic, mech_client: Client):
    page = mech_client.get("/mechanic/settings/").content.decode()
    assert "Your expertise" in page and 'action="/mechanic/settings/expertise/"' in page

    response = mech_client.post(
        "/mechanic/settings/expertise/",
        {
            "expertise-makes": " Toyota, honda ,TOYOTA,, ",
            "expertise-systems": ["brakes", "hvac"],
            "expertise-session_types": ["video"],
            "expertise-languages": ["es"],
        },
    )

    assert response.status_code == 302 and response["Location"].endswith("/mechanic/settings/#expertise")
    mechanic.refresh_from_db()
    assert mechanic.specialty_makes == ["Toyota", "honda"]
    assert (mechanic.specialty_systems, mechanic.specialty_session_types, mechanic.specialty_languages) == (
        ["brakes", "hvac"],
        ["video"],
        ["es"],
    )
    assert mechanic.email_notifications is True  # the other settings are untouched
    assert 'value="Toyota, honda"' in mech_client.get("/mechanic/settings/").content.decode()


def test_settings_refuse_a_bad_expertise_and_keep_what_was_typed(mechanic: Mechanic, mech_client: Client):
    response = mech_client.post(
        "/mechanic/settings/expertise/", {"expertise-makes": "x" * 70, "expertise-systems": ["warp-drive"]}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "too long for a make" in html and "Select a valid choice" in html
    mechanic.refresh_from_db()
    assert mechanic.specialty_makes == [] and mechanic.specialty_systems == []


def test_admin_edits_expertise_and_plan_weight(admin_client, mechanic: Mechanic):
    from tests.factories import plan

    page = admin_client.get(f"/admin/mechanics/mechanic/{mechanic.pk}/change/").content.decode()
    assert "capacity budget" in page.lower() and 'name="specialty_systems"' in page
    video = plan("video-30")
    assert (
        'name="capacity_weight"'
        in admin_client.get(f"/admin/sessions_app/plan/{video.pk}/change/").content.decode()
    )


def test_admin_assignment_list_filters_first_looks(settings, admin_client):
    settings.FIRST_LOOK_SECONDS = 60
    expert("mike", makes=["Toyota"])
    offered = open_assignment(request_for(make="Toyota"))
    open_at_once = open_assignment(request_for(make="Kia", customer=make_customer()))
    html = admin_client.get("/admin/sessions_app/sessionassignment/?first_look=now").content.decode()
    assert f"/admin/sessions_app/sessionassignment/{offered.pk}/change/" in html
    assert f"/admin/sessions_app/sessionassignment/{open_at_once.pk}/change/" not in html
    assert "Mike" in html  # who it was offered to
