"""Forgotten work (issue 14): the reminder of a session accepted 20 minutes ago and not started
(once, an event, the dashboard alert and an email), and what the idle release at 30 minutes tells
the mechanic and the customer. The clock is frozen (tests/conftest.py `clock`)."""

from datetime import UTC, datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client

from mechanics.models import Mechanic
from sessions_app.models import SessionEvent
from sessions_app.schedules import SCHEDULES
from sessions_app.services import (
    session_accept,
    session_release,
    session_start,
    sessions_release_idle,
    sessions_remind_idle,
)
from sessions_app.transitions import SessionEventType as E
from tests.factories import make_customer, make_mechanic, make_session, open_assignment
from tests.sessions_app.test_races import run_at_once

pytestmark = pytest.mark.django_db

# 14:02 UTC is 15:02 in Berlin (UTC+1 in November) and 09:02 in New York (UTC-5).
ACCEPTED = datetime(2026, 11, 24, 14, 2, tzinfo=UTC)


@pytest.fixture
def told(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def accepted(clock, told):
    """Alice's chat request, accepted at 14:02 UTC by mike, who works on Berlin time."""
    clock.now = ACCEPTED
    mike = make_mechanic("mike")
    Mechanic.objects.filter(pk=mike.pk).update(time_zone="Europe/Berlin")
    mike.refresh_from_db()
    customer = make_customer("alice", full_name="Alice Walker")
    customer.time_zone = "America/New_York"
    customer.save(update_fields=["time_zone"])
    session = session_accept(assignment=open_assignment(make_session(customer)), mechanic=mike)
    mail.outbox.clear()
    return session


def reminders(session) -> list[SessionEvent]:
    return list(SessionEvent.objects.filter(session=session, type=E.REMINDED))


def mails_to(address: str) -> list:
    return [m for m in mail.outbox if m.to == [address]]


def test_the_reminder_comes_at_20_minutes_once_with_the_release_time_in_local_time(accepted, clock, told):
    clock.advance(minutes=19, seconds=59)
    with told():
        assert sessions_remind_idle() == 0
    clock.advance(seconds=1)
    with told():
        assert sessions_remind_idle() == 1
        assert sessions_remind_idle() == 0  # once
    clock.advance(minutes=5)
    with told():
        assert sessions_remind_idle() == 0

    (event,) = reminders(accepted)
    assert event.actor is None and event.from_status == event.to_status == "waiting"
    assert event.data["what"] == "not started since accept"
    assert event.data["mechanic_id"] == accepted.mechanic_id
    assert event.data["release_at"] == "2026-11-24T14:32:00+00:00"

    (email,) = mails_to("mike@example.com")
    assert "Start it or release it: it goes back to the queue at 15:32." in email.body  # Berlin
    assert "You accepted Alice's chat request at 15:02 and have not started it." in email.body
    assert f"http://localhost:8000/chat/{accepted.pk}/" in email.body
    html, mime = email.alternatives[0]
    assert mime == "text/html" and "it goes back to the queue at 15:32" in html
    assert email.subject == "Auto Doctor: start or release Alice's chat request by 15:32"


def test_no_reminder_for_a_started_or_released_session(accepted, clock, told):
    mike = accepted.mechanic
    other = make_session()
    other = session_accept(assignment=open_assignment(other), mechanic=make_mechanic("max"))
    session_start(session=accepted, mechanic=mike)
    session_release(session=other, mechanic=other.mechanic)
    clock.advance(minutes=25)
    with told():
        assert sessions_remind_idle() == 0
    assert reminders(accepted) == [] and reminders(other) == []
    assert not [m for m in mail.outbox if "start or release" in m.subject]


def test_a_new_acceptance_gets_its_own_reminder(accepted, clock, told):
    mike = accepted.mechanic
    clock.advance(minutes=20)
    assert sessions_remind_idle() == 1
    clock.advance(minutes=2)
    session_release(session=accepted, mechanic=mike)
    session_accept(assignment=open_assignment(accepted), mechanic=mike)
    clock.advance(minutes=19)
    assert sessions_remind_idle() == 0
    clock.advance(minutes=1)
    assert sessions_remind_idle() == 1
    assert len(reminders(accepted)) == 2


def test_the_reminder_email_respects_email_notifications_off(accepted, clock, told):
    Mechanic.objects.filter(pk=accepted.mechanic_id).update(email_notifications=False)
    clock.advance(minutes=20)
    with told():
        assert sessions_remind_idle() == 1
    assert len(reminders(accepted)) == 1 and mail.outbox == []


def test_my_active_work_shows_the_alert_after_the_reminder(accepted, clock):
    client = Client()
    client.force_login(accepted.mechanic.user)
    clock.advance(minutes=19)
    assert 'data-testid="reminder-alert"' not in client.get("/mechanic/dashboard/").content.decode()
    clock.advance(minutes=1)
    sessions_remind_idle()
    html = client.get("/mechanic/dashboard/").content.decode()
    assert 'data-testid="reminder-alert"' in html
    assert "Start it or release it: it goes back to the queue at 15:32." in html  # Berlin time
    panel = client.get("/mechanic/dashboard/panels/active/", headers={"HX-Request": "true"})
    assert "it goes back to the queue at 15:32" in panel.content.decode()
    session_start(session=accepted, mechanic=accepted.mechanic)
    assert 'data-testid="reminder-alert"' not in client.get("/mechanic/dashboard/").content.decode()


def test_the_idle_release_tells_mechanic_and_customer_what_happened(accepted, clock, told):
    clock.advance(minutes=30, seconds=1)
    with told():
        assert sessions_release_idle() == 1

    (to_mechanic,) = mails_to("mike@example.com")
    assert (
        "You accepted Alice's chat request at 15:02 and did not start it within 30 minutes, "
        "so it went back to the queue." in to_mechanic.body
    )
    assert to_mechanic.subject == "Auto Doctor: Alice's chat request went back to the queue"
    assert "did not start it within 30 minutes" in to_mechanic.alternatives[0][0]

    (to_customer,) = mails_to("alice@example.com")
    assert (
        "Mike accepted your chat request at 09:02 and did not start it within 30 minutes, so it went "
        "back to the queue at its original place." in to_customer.body  # New York time
    )
    assert "stepped away" not in to_customer.subject


def test_a_release_by_the_mechanic_still_says_they_stepped_away(accepted, told):
    with told():
        session_release(session=accepted, mechanic=accepted.mechanic)
    (to_customer,) = mails_to("alice@example.com")
    assert to_customer.subject == "Auto Doctor: Your mechanic stepped away: you keep your place in line"
    assert mails_to("mike@example.com") == []


def test_the_reminder_sweep_is_scheduled_and_a_command(accepted, clock, capsys):
    assert SCHEDULES["remind-idle-sessions"] == ("sessions_app.tasks.remind_idle_sessions", 1)
    clock.advance(minutes=21)
    call_command("remind_idle_sessions")
    assert "reminded 1 session(s)" in capsys.readouterr().out


# --- races (PostgreSQL, threads) ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_two_reminder_sweeps_at_once_remind_once(on_postgres, clock):
    mechanic = make_mechanic("mike", capacity=5)
    sessions = [make_session() for _ in range(5)]
    for session in sessions:
        session_accept(assignment=open_assignment(session), mechanic=mechanic)
    clock.advance(minutes=21)
    outcomes = run_at_once("two reminder sweeps over 5 waiting sessions", [sessions_remind_idle] * 2)
    assert sum(value for _, value in outcomes) == 5
    assert all(len(reminders(s)) == 1 for s in sessions)
    assert len([m for m in mail.outbox if "start or release" in m.subject]) == 5


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_reminders_racing_start_and_the_idle_release_never_follow_them(on_postgres, clock):
    mechanic = make_mechanic("mike", capacity=6)
    sessions = [make_session() for _ in range(6)]
    for session in sessions:
        session_accept(assignment=open_assignment(session), mechanic=mechanic)
    clock.advance(minutes=31)
    starts = [lambda s=s: session_start(session=s, mechanic=mechanic) for s in sessions[:3]]
    run_at_once(
        "reminders against starts and the idle release",
        [sessions_remind_idle, sessions_release_idle, *starts],
    )
    for session in sessions:
        types = list(
            SessionEvent.objects.filter(session=session).order_by("id").values_list("type", flat=True)
        )
        assert types.count(E.REMINDED) <= 1
        if E.REMINDED in types:
            after = types[types.index(E.REMINDED) + 1 :]
            assert E.ACCEPTED not in after  # never a reminder for what happened after it
        for ended in (E.STARTED, E.RELEASED):
            if ended in types and E.REMINDED in types:
                assert types.index(E.REMINDED) < types.index(ended), types
