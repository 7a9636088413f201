from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from sessions_app.analytics import staff_analytics
from sessions_app.models import Rating, SessionAssignment
from sessions_app.services import session_accept, session_complete, session_start, sessions_expire_stale
from tests.factories import make_mechanic, make_session, open_assignment

pytestmark = pytest.mark.django_db


def _completed(mechanic, stars):
    session = make_session()
    session = session_accept(assignment=open_assignment(session), mechanic=mechanic)
    session_start(session=session, mechanic=mechanic)
    session = session_complete(session=session, mechanic=mechanic, summary="done")
    Rating.objects.create(session=session, stars=stars)
    return session


def test_analytics_figures():
    mike = make_mechanic("mike")
    first = _completed(mike, 5)
    _completed(mike, 3)
    SessionAssignment.objects.filter(session=first).update(queued_at=timezone.now() - timedelta(seconds=100))
    make_session()  # a pending one that will expire
    assert sessions_expire_stale(now=timezone.now() + timedelta(hours=3)) == 1

    a = staff_analytics(days=30)
    assert sum(d["total"] for d in a.days) == 3
    assert a.days[-1]["chat"] == 3
    assert a.queue_wait.count == 2 and a.queue_wait.p90_seconds >= 99
    assert a.start_to_complete.count == 2
    assert (a.ended, a.expired) == (3, 1)
    assert a.mechanics[0]["display_name"] == "Mike" and a.mechanics[0]["completed"] == 2
    assert dict(a.rating_counts)[5] == 1 and a.rating_average == 4


def test_analytics_page_is_for_staff_only(client):
    assert client.get("/staff/analytics/").status_code == 302
    user = get_user_model().objects.create_user("plain", password="pw-plain-123")
    client.force_login(user)
    assert client.get("/staff/analytics/").status_code == 302
    staff = get_user_model().objects.create_user("boss", password="pw-boss-123", is_staff=True)
    client.force_login(staff)
    _completed(make_mechanic(), 4)
    response = client.get("/staff/analytics/?days=oops")
    assert response.status_code == 200
    assert b"Sessions per day by type" in response.content and b"4.0" in response.content
