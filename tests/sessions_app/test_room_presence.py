"""Presence from the room (join / heartbeat / leave), the 10-minute absence sweep, the session
clock and the mechanic's My Active Work."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from sessions_app.models import SessionEvent, SessionParticipant
from sessions_app.presence import presence_of
from sessions_app.room_selectors import room_state
from sessions_app.schedules import SCHEDULES
from sessions_app.services import presence_update, session_accept, session_complete, session_start
from sessions_app.services.room import sessions_flag_absent
from sessions_app.tasks import flag_absent_sessions
from sessions_app.transitions import SessionEventType
from tests.factories import PASSWORD, client_for, make_customer, make_mechanic, make_session, open_assignment

pytestmark = pytest.mark.django_db
E = SessionEventType


@pytest.fixture
def accepted():
    alice = make_customer("alice")
    mike = make_mechanic("mike")
    mike.user.email = "mike@example.com"
    mike.user.save()
    session = make_session(alice)
    session = session_accept(assignment=open_assignment(session), mechanic=mike)
    return session, client_for(alice.user), client_for(mike.user)


def presence_url(session) -> str:
    return f"/sessions/{session.pk}/presence/"


def events(session, *types) -> list[str]:
    return list(SessionEvent.objects.filter(session=session, type__in=types).values_list("type", flat=True))


def test_join_beat_leave_record_one_event_per_transition(accepted):
    session, customer, mechanic = accepted
    assert customer.post(presence_url(session), {"state": "join"}).status_code == 200
    for _ in range(3):
        assert customer.post(presence_url(session), {"state": "beat"}).status_code == 200
    customer.post(presence_url(session), {"state": "join"})  # a second tab / reload: still in
    assert events(session, E.JOINED, E.LEFT) == [E.JOINED]
    assert customer.post(presence_url(session), {"state": "leave"}).status_code == 204
    assert customer.post(presence_url(session), {"state": "leave"}).status_code == 204
    assert events(session, E.JOINED, E.LEFT) == [E.JOINED, E.LEFT]
    customer.post(presence_url(session), {"state": "beat"})  # back (bfcache, network): a join
    assert events(session, E.JOINED, E.LEFT) == [E.JOINED, E.LEFT, E.JOINED]
    row = SessionParticipant.objects.get(session=session, role="customer")
    assert row.left_at is None and row.last_seen_at is not None


def test_each_side_sees_the_other_in_words(accepted, clock):
    session, customer, mechanic = accepted
    page = customer.get(f"/chat/{session.pk}/").content.decode()
    assert "Your mechanic Mike: <strong>not joined yet</strong>" in page
    mechanic.post(presence_url(session), {"state": "join"})
    answer = customer.post(presence_url(session), {"state": "join"}).content.decode()
    assert "Your mechanic Mike: <strong>in the room</strong>" in answer
    answer = mechanic.post(presence_url(session), {"state": "beat"}).content.decode()
    assert "The customer Alice Driver: <strong>in the room</strong>" in answer
    customer.post(presence_url(session), {"state": "leave"})
    clock.advance(minutes=3)
    answer = mechanic.post(presence_url(session), {"state": "beat"}).content.decode()
    assert "The customer Alice Driver: <strong>left 3 min ago</strong>" in answer


def test_a_silent_tab_counts_as_gone_after_the_timeout(accepted, clock):
    session, customer, mechanic = accepted
    customer.post(presence_url(session), {"state": "join"})
    row = SessionParticipant.objects.get(session=session, role="customer")
    assert presence_of(row.last_seen_at, row.left_at).state == "in"
    clock.advance(seconds=71)  # no beat for longer than PRESENCE_TIMEOUT (the browser crashed)
    assert presence_of(row.last_seen_at, row.left_at).state == "left"
    customer.post(presence_url(session), {"state": "beat"})  # it comes back: JOINED again
    assert events(session, E.JOINED) == [E.JOINED, E.JOINED]


def test_a_heartbeat_of_someone_in_the_room_is_cheap(accepted, django_assert_num_queries):
    session, customer, _ = accepted
    customer.post(presence_url(session), {"state": "join"})
    # session row + user + the session (joined) + the UPDATE + the participants for the answer
    with django_assert_num_queries(5):
        assert customer.post(presence_url(session), {"state": "beat"}).status_code == 200


def test_outsiders_get_404_bad_state_400_staff_nothing_written(accepted):
    session, _, _ = accepted
    for outsider in (make_customer("bob").user, make_mechanic("max").user):
        assert client_for(outsider).post(presence_url(session), {"state": "join"}).status_code == 404
    staff = get_user_model().objects.create_user("sam", password=PASSWORD, is_staff=True)
    assert client_for(staff).post(presence_url(session), {"state": "join"}).status_code == 200
    assert not SessionParticipant.objects.filter(user=staff).exists()
    bad = client_for(session.customer.user).post(presence_url(session), {"state": "dance"})
    assert bad.status_code == 400 and bad.json()["detail"] == "Say join, beat or leave."
    assert client_for(session.customer.user).get(presence_url(session)).status_code == 405
    assert not events(session, E.JOINED, E.LEFT)


def test_over_sessions_record_no_presence(accepted):
    session, customer, _ = accepted
    session_start(session=session, mechanic=session.mechanic)
    session_complete(session=session, mechanic=session.mechanic, summary="Done")
    assert customer.post(presence_url(session), {"state": "join"}).status_code == 200
    assert presence_update(session=session, user=session.customer.user, state="leave") is None
    assert not events(session, E.JOINED, E.LEFT)


# --- the absence sweep -----------------------------------------------------------------------


def test_absent_live_session_flagged_once_per_absence_with_an_email(
    accepted, clock, django_capture_on_commit_callbacks
):
    session, customer, mechanic = accepted
    session_start(session=session, mechanic=session.mechanic)
    customer.post(presence_url(session), {"state": "join"})
    clock.advance(minutes=9)
    assert sessions_flag_absent() == 0  # seen 9 minutes ago
    clock.advance(minutes=2)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert flag_absent_sessions() == 1
    assert events(session, E.ABSENCE_FLAGGED) == [E.ABSENCE_FLAGGED]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["mike@example.com"]
    assert f"live session #{session.pk}" in mail.outbox[0].subject
    clock.advance(minutes=5)
    assert sessions_flag_absent() == 0  # the same absence: once
    customer.post(presence_url(session), {"state": "join"})  # someone came back...
    clock.advance(minutes=10, seconds=1)
    assert sessions_flag_absent() == 1  # ...and left again: a new absence
    assert events(session, E.ABSENCE_FLAGGED) == [E.ABSENCE_FLAGGED] * 2
    assert "flag-absent-sessions" in SCHEDULES


def test_a_session_nobody_ever_joined_is_flagged_ten_minutes_after_start(accepted, clock):
    session, _, _ = accepted
    session_start(session=session, mechanic=session.mechanic)
    clock.advance(minutes=9, seconds=59)
    assert sessions_flag_absent() == 0
    clock.advance(seconds=2)
    assert sessions_flag_absent() == 1


def test_waiting_sessions_and_occupied_rooms_are_not_flagged(accepted, clock):
    session, customer, mechanic = accepted
    clock.advance(minutes=30)
    assert sessions_flag_absent() == 0  # waiting, not live
    session_start(session=session, mechanic=session.mechanic)
    for _ in range(8):
        clock.advance(minutes=2)
        mechanic.post(presence_url(session), {"state": "beat"})
    assert sessions_flag_absent() == 0


def test_staff_list_filter_shows_absent_sessions(accepted, clock):
    session, _, _ = accepted
    session_start(session=session, mechanic=session.mechanic)
    staff = get_user_model().objects.create_user("sam", password=PASSWORD, is_staff=True, is_superuser=True)
    admin = client_for(staff)
    page = admin.get("/admin/sessions_app/session/?room=absent").content.decode()
    assert "0 sessions" in page or f"/admin/sessions_app/session/{session.pk}/change/" not in page
    clock.advance(minutes=11)
    page = admin.get("/admin/sessions_app/session/?room=absent").content.decode()
    assert f"/admin/sessions_app/session/{session.pk}/change/" in page
    assert "Live, nobody in the room for 10+ min" in page


# --- My Active Work --------------------------------------------------------------------------


def test_my_active_work_shows_the_customer_presence_and_the_absence_alert(accepted, clock):
    session, customer, mechanic = accepted
    page = mechanic.get("/mechanic/dashboard/").content.decode()
    assert "Customer not joined yet" in page
    customer.post(presence_url(session), {"state": "join"})
    page = mechanic.get("/mechanic/dashboard/").content.decode()
    assert "Customer in the room" in page and 'data-testid="absence-alert"' not in page
    session_start(session=session, mechanic=session.mechanic)
    clock.advance(minutes=11)
    page = mechanic.get("/mechanic/dashboard/").content.decode()
    assert "Customer left 11 min ago" in page and 'data-testid="absence-alert"' in page


# --- the session clock -----------------------------------------------------------------------


def test_clock_counts_down_from_the_plan_and_over_into_overtime(accepted, clock):
    session, customer, mechanic = accepted
    page = customer.get(f"/chat/{session.pk}/").content.decode()
    assert "data-clock" not in page  # not started: no clock
    session = session_start(session=session, mechanic=session.mechanic)
    minutes = session.plan.duration_minutes
    clock.advance(minutes=minutes - 5)
    page = customer.get(f"/chat/{session.pk}/").content.decode()
    ends = (session.started_at + timedelta(minutes=minutes)).isoformat()
    assert f'data-ends-at="{ends}"' in page and "5:00 left" in page and "ending" in page
    clock.advance(minutes=8, seconds=12)
    room = room_state(session=session, user=session.customer.user)
    assert room.clock_text == "+3:12 over" and room.remaining_seconds == -192
    page = mechanic.get(f"/chat/{session.pk}/").content.decode()
    assert "+3:12 over" in page and "overtime" in page


def test_recorded_duration_comes_from_the_clock(accepted, clock):
    session, _, _ = accepted
    session = session_start(session=session, mechanic=session.mechanic)
    clock.advance(minutes=17, seconds=5)
    session = session_complete(session=session, mechanic=session.mechanic, summary="Done")
    session.refresh_from_db()
    assert session.ended_at - session.started_at == timedelta(minutes=17, seconds=5)
    assert session.duration_minutes == 18  # started → ended, rounded up to the minute


def test_a_join_refreshes_the_status_panel_but_never_the_composer(accepted):
    """Events that move no status (joined, left, a photo) must not wipe a message being typed."""
    from sessions_app.selectors import session_version

    session, customer, mechanic = accepted
    version = session_version(session_id=session.pk)
    mechanic.post(presence_url(session), {"state": "join"})
    response = customer.get(f"/sessions/{session.pk}/status/", {"v": version, "s": "waiting"})
    assert response.status_code == 200 and b'id="chat-composer"' not in response.content
    session_start(session=session, mechanic=session.mechanic)
    response = customer.get(f"/sessions/{session.pk}/status/", {"v": version, "s": "waiting"})
    assert b'id="chat-composer" hx-swap-oob="true"' in response.content  # the status moved


def test_the_cron_command_runs_the_same_sweep(accepted, clock):
    from io import StringIO

    from django.core.management import call_command

    session, _, _ = accepted
    session_start(session=session, mechanic=session.mechanic)
    clock.advance(minutes=11)
    out = StringIO()
    call_command("flag_absent_sessions", stdout=out)
    assert "flagged 1 session(s)" in out.getvalue()
    assert events(session, E.ABSENCE_FLAGGED) == [E.ABSENCE_FLAGGED]


def test_a_pending_request_records_no_presence():
    """Before a mechanic accepts there is nobody to meet, and JOINED events of a pending session
    would move the shared queue's version for every mechanic."""
    alice = make_customer("alice")
    session = make_session(alice)
    response = client_for(alice.user).post(presence_url(session), {"state": "join"})
    assert response.status_code == 200
    assert not events(session, E.JOINED) and SessionParticipant.objects.get().last_seen_at is None
