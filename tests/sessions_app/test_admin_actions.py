"""The session admin's actions: named, labelled and allowed by the transition table."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.urls import reverse

from sessions_app.admin import STAFF_MOVES
from sessions_app.models import Session
from sessions_app.transitions import TRANSITIONS
from tests.factories import make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    staff = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw-boss-123")
    client.force_login(staff)
    return client


def test_each_staff_move_is_an_action_labelled_by_the_table():
    request = RequestFactory().get("/admin/")
    request.user = get_user_model()(is_staff=True, is_superuser=True)
    actions = admin.site._registry[Session].get_actions(request)
    for name in STAFF_MOVES:
        assert actions[f"{name}_sessions"].description.startswith(TRANSITIONS[name].label), name


def test_a_refused_action_names_the_action_and_the_status(staff_client):
    pending = make_session()
    url = reverse("admin:sessions_app_session_changelist")
    response = staff_client.post(
        url, {"action": "expire_sessions", "_selected_action": [pending.pk]}, follow=True
    )
    pending.refresh_from_db()
    assert pending.status == "expired" and "Expire: 1 session(s) done." in response.content.decode()
    response = staff_client.post(
        url, {"action": "cancel_sessions", "_selected_action": [pending.pk]}, follow=True
    )
    assert f"Cancel, not done: #{pending.pk} is expired" in response.content.decode()
