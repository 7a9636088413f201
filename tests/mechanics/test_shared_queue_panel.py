"""The queue panel answered from the shared cache with a panel token (mechanics.dashboard.
shared_queue_panel): fast when everything checks out, the normal checked path otherwise."""

import re
import time
from html import unescape

import pytest
from django.core import signing
from django.test import Client

from sessions_app import live
from sessions_app.services import session_accept
from tests.factories import make_customer, make_mechanic, make_session, open_assignment

from .conftest import HTMX, pulse_token_in

# The shared queue list is cached per minute ("waiting N minutes"): a test that crossed a minute
# boundary between rendering and reading it would miss the cache and count two more queries.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

DASHBOARD = "/mechanic/dashboard/"
PULSE = "/mechanic/dashboard/pulse/"
PANEL = "/mechanic/dashboard/panels/tablist/"
CHECKED_UNCACHED = 5  # session + user + mechanic + queue count + page (test_live_updates)
CHECKED_CACHED = 3  # session + user + mechanic; the list itself from the cache
SHARED = 1  # the state version; session and user are never loaded


def panel_token_in(html: str) -> str:
    match = re.search(r'data-panel-token="([^"]+)"', html)
    assert match, "the page has no panel token"
    return unescape(match.group(1))


def accept_button(first_name: str) -> str:
    return f'Accept<span class="sr-only"> request from {first_name}</span>'


@pytest.fixture
def frozen_memo(monkeypatch):
    """The version memo's clock, moved by hand."""
    clock = [1000.0]
    monkeypatch.setattr(live, "monotonic", lambda: clock[0])
    return clock


@pytest.fixture
def maria(db) -> Client:
    client = Client()
    client.force_login(make_mechanic("maria").user)
    return client


def test_a_fresh_panel_token_gets_the_cached_list_without_loading_session_or_user(
    mech_client, frozen_memo, django_assert_num_queries
):
    make_session(make_customer("alice", full_name="Alice Walker"))
    token = panel_token_in(mech_client.get(DASHBOARD).content.decode())  # renders and caches the list

    with django_assert_num_queries(SHARED):
        response = mech_client.get(PANEL, {"tab": "incoming", "pt": token}, headers=HTMX)
    html = response.content.decode()
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert accept_button("Alice") in html
    assert html.count("csrfmiddlewaretoken") == 1 and 'id="accept-form"' in html
    assert 'id="panel-tablist"' in html and "Pending Requests" in html
    with django_assert_num_queries(0):  # the same process read the version less than a second ago
        again = mech_client.get(PANEL, {"pt": token}, headers=HTMX).content.decode()
    assert accept_button("Alice") in again


def test_the_panel_shows_what_the_checked_path_shows(mech_client, maria):
    make_session(make_customer("alice", full_name="Alice Walker"))
    token = panel_token_in(mech_client.get(DASHBOARD).content.decode())
    checked = mech_client.get(PANEL, headers=HTMX).content.decode()
    shared = mech_client.get(PANEL, {"pt": token}, headers=HTMX).content.decode()

    def without_csrf(html: str) -> str:
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)

    assert without_csrf(shared) == without_csrf(checked)


def test_after_a_change_the_first_mechanic_renders_and_the_others_share(
    mech_client, maria, frozen_memo, django_assert_num_queries
):
    mike_pulse = pulse_token_in(mech_client.get(DASHBOARD).content.decode())
    maria_pulse = pulse_token_in(maria.get(DASHBOARD).content.decode())
    make_session(make_customer("bob", full_name="Bob Stone"))  # a new version

    mike_changed = mech_client.get(PULSE, {"v": mike_pulse}, headers=HTMX)
    maria_changed = maria.get(PULSE, {"v": maria_pulse}, headers=HTMX)
    assert "dashboard-changed" in mike_changed["HX-Trigger-After-Swap"]
    mike_token = panel_token_in(mike_changed.content.decode())
    maria_token = panel_token_in(maria_changed.content.decode())

    # The pulses read the new version into the memo; nobody has rendered the list for it yet.
    with django_assert_num_queries(CHECKED_UNCACHED):
        first = mech_client.get(PANEL, {"pt": mike_token}, headers=HTMX).content.decode()
    with django_assert_num_queries(0):  # Maria's turn: the version is remembered, the list cached
        second = maria.get(PANEL, {"pt": maria_token}, headers=HTMX).content.decode()
    assert accept_button("Bob") in first and accept_button("Bob") in second


def test_a_token_from_before_a_change_takes_the_checked_path(mech_client, django_assert_num_queries):
    token = panel_token_in(mech_client.get(DASHBOARD).content.decode())
    make_session(make_customer("bob", full_name="Bob Stone"))
    with django_assert_num_queries(SHARED + CHECKED_UNCACHED):
        html = mech_client.get(PANEL, {"pt": token}, headers=HTMX).content.decode()
    assert accept_button("Bob") in html


def test_a_blocked_mechanics_token_shows_the_lock_and_no_accept_buttons(db):
    busy = make_mechanic("max")
    session_accept(assignment=open_assignment(make_session()), mechanic=busy)
    make_session(make_customer("alice", full_name="Alice Walker"))
    client = Client()
    client.force_login(busy.user)
    token = panel_token_in(client.get(DASHBOARD).content.decode())
    html = client.get(PANEL, {"pt": token}, headers=HTMX).content.decode()
    assert "You have 1 active session assigned to you." in html
    assert "Force End All" in html and "request-accept" not in html and "Alice" in html


def test_the_token_is_bound_to_the_session_it_was_issued_to(mech_client, maria, mechanic):
    make_session(make_customer("alice", full_name="Alice Walker"))
    token = panel_token_in(mech_client.get(DASHBOARD).content.decode())

    anonymous = Client()
    response = anonymous.get(PANEL, {"pt": token}, headers=HTMX)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    customer = Client()
    customer.force_login(make_customer("carol").user)
    assert customer.get(PANEL, {"pt": token}, headers=HTMX).status_code == 403

    forged = mech_client.get(PANEL, {"pt": token[:-2] + "xx"}, headers=HTMX)
    assert forged.status_code == 200 and accept_button("Alice") in forged.content.decode()  # checked path

    mech_client.logout()
    response = mech_client.get(PANEL, {"pt": token}, headers=HTMX)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_old_token_takes_the_checked_path(mech_client, monkeypatch, django_assert_num_queries):
    make_session()
    token = panel_token_in(mech_client.get(DASHBOARD).content.decode())
    later = time.time() + live.PANEL_TOKEN_MAX_AGE + 1
    monkeypatch.setattr(signing.time, "time", lambda: later)
    with django_assert_num_queries(CHECKED_CACHED):
        assert mech_client.get(PANEL, {"pt": token}, headers=HTMX).status_code == 200


def test_filters_and_other_pages_take_the_checked_path(mech_client, django_assert_num_queries):
    make_session(make_customer("alice", full_name="Alice Walker"))
    make_session(make_customer("bob", full_name="Bob Stone"))
    token = panel_token_in(mech_client.get(DASHBOARD).content.decode())
    html = mech_client.get(PANEL, {"pt": token, "q": "bob"}, headers=HTMX).content.decode()
    assert "Bob" in html and "Alice" not in html
    with django_assert_num_queries(CHECKED_CACHED + 2):  # not cached: page 2 was never rendered
        mech_client.get(PANEL, {"pt": token, "page": "2"}, headers=HTMX)
    completed = mech_client.get(PANEL, {"pt": token, "tab": "completed"}, headers=HTMX).content.decode()
    assert "Completed sessions" in completed


def test_a_deactivated_mechanic_is_refused_once_the_token_is_stale(mech_client, mechanic, monkeypatch):
    """The documented bound: a token outlives a deactivation by at most PANEL_TOKEN_MAX_AGE."""
    make_session()
    token = panel_token_in(mech_client.get(DASHBOARD).content.decode())
    mechanic.user.is_active = False
    mechanic.user.save(update_fields=["is_active"])
    later = time.time() + live.PANEL_TOKEN_MAX_AGE + 1
    monkeypatch.setattr(signing.time, "time", lambda: later)
    response = mech_client.get(PANEL, {"pt": token}, headers=HTMX)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
