"""Request emails to mechanics (issue 14): who is told, batching at most one email per mechanic
per 5 minutes, quiet hours in the mechanic's own time zone. django-q2 runs inline
(tests/conftest.py); the after-commit callbacks run inside `with told():`."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.core import mail
from django.core.management import call_command

from mechanics.models import Mechanic, QueueNotice
from mechanics.services import mechanic_set_availability
from sessions_app.models import SessionEvent
from sessions_app.schedules import SCHEDULES
from sessions_app.services import (
    mechanics_queue_email_sweep,
    session_accept,
    session_promote,
    session_release,
)
from tests.factories import make_customer, make_mechanic, make_session, open_assignment
from tests.mechanics.test_notifications_helpers import details_path, emails_to, request_emails

pytestmark = pytest.mark.django_db


@pytest.fixture
def told(django_capture_on_commit_callbacks):
    """`with told(): ...` runs what the block queued after commit (the emails, inline)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def queued(told, **kwargs):
    """A new request in the queue, announced as in production (after its commit)."""
    with told():
        session = make_session(make_customer(full_name=kwargs.pop("name", "Alice Walker")), **kwargs)
    return open_assignment(session)


# --- batching ----------------------------------------------------------------------------------


def test_two_requests_a_minute_apart_make_one_email_and_a_third_six_minutes_later_a_second(clock, told):
    mike = make_mechanic("mike")
    first = queued(told, name="Alice Walker")
    clock.advance(minutes=1)
    second = queued(told, name="Bob Stone")

    (email,) = emails_to(mike)
    assert email.subject == "Auto Doctor: a new request is waiting for you"
    assert details_path(first) in email.body and details_path(second) not in email.body
    html, mime = email.alternatives[0]
    assert mime == "text/html" and details_path(first) in html and "/mechanic/dashboard/" in html
    assert "http://localhost:8000/mechanic/dashboard/" in email.body

    clock.advance(minutes=5)  # six minutes after the first email
    third = queued(told, name="Carol Reed")

    first_email, second_email = emails_to(mike)
    assert second_email.subject == "Auto Doctor: 2 new requests are waiting for you"
    new_part, _, also_part = second_email.body.partition("Also still waiting for you:")
    assert details_path(second) in new_part and details_path(third) in new_part
    assert "Bob · Chat" in new_part and "Carol · Chat" in new_part
    assert details_path(first) in also_part  # still waiting, already told
    assert not QueueNotice.objects.filter(mechanic=mike).exists()


def test_the_minute_sweep_sends_what_was_held_back_once_five_minutes_passed(clock, told):
    mike = make_mechanic("mike")
    queued(told)
    clock.advance(minutes=1)
    held = queued(told, name="Bob Stone")
    assert len(emails_to(mike)) == 1

    clock.advance(minutes=3)  # four minutes since the email
    with told():
        assert mechanics_queue_email_sweep() == 0
    clock.advance(minutes=1)
    with told():
        assert mechanics_queue_email_sweep() == 1
        assert mechanics_queue_email_sweep() == 0  # nothing owed any more
    assert details_path(held) in emails_to(mike)[1].body


def test_a_request_taken_before_the_email_goes_out_is_not_listed_and_alone_sends_nothing(clock, told):
    mike, max_ = make_mechanic("mike"), make_mechanic("max", capacity=5)
    queued(told)
    clock.advance(minutes=1)
    taken = queued(told, name="Bob Stone")
    waiting = queued(told, name="Carol Reed")
    with told():
        session_accept(assignment=taken, mechanic=max_)
    clock.advance(minutes=5)
    with told():
        mechanics_queue_email_sweep()
    body = emails_to(mike)[1].body
    assert details_path(waiting) in body and details_path(taken) not in body and "Bob" not in body

    clock.advance(minutes=1)
    gone = queued(told, name="Dan Hale")  # held: the last email was a minute ago
    with told():
        session_accept(assignment=gone, mechanic=max_)
    clock.advance(minutes=5)
    with told():
        assert mechanics_queue_email_sweep() == 0
    assert len(emails_to(mike)) == 2
    assert not QueueNotice.objects.exists()


def test_the_task_itself_sends_nothing_when_the_request_was_taken_after_the_decision(told):
    """The email is decided under the lock and sent after commit: a request taken in between is
    left out when the task renders, and an email about nothing is not sent."""
    from sessions_app.mechanic_emails import queue_email_send

    mike, max_ = make_mechanic("mike"), make_mechanic("max")
    assignment = queued(told)
    mail.outbox.clear()
    session_accept(assignment=assignment, mechanic=max_)
    assert queue_email_send(mechanic_id=mike.pk, new_ids=[assignment.pk], also_ids=[]) is False
    assert mail.outbox == []


# --- who is told -------------------------------------------------------------------------------


def test_away_and_email_off_mechanics_get_nothing(told):
    away = make_mechanic("away")
    mechanic_set_availability(mechanic=away, available=False)
    quiet = make_mechanic("silent")
    Mechanic.objects.filter(pk=quiet.pk).update(email_notifications=False)
    on = make_mechanic("on")
    queued(told)
    assert [m.to for m in request_emails()] == [["on@example.com"]]
    assert emails_to(away) == [] and emails_to(quiet) == [] and len(emails_to(on)) == 1


def test_going_away_drops_what_was_held_back(clock, told):
    mike = make_mechanic("mike")
    queued(told)
    clock.advance(minutes=1)
    queued(told, name="Bob Stone")
    mechanic_set_availability(mechanic=mike, available=False)
    clock.advance(minutes=5)
    with told():
        assert mechanics_queue_email_sweep() == 0
    assert len(emails_to(mike)) == 1 and not QueueNotice.objects.exists()


def set_quiet_hours(mechanic, start: time, end: time, zone: str) -> None:
    Mechanic.objects.filter(pk=mechanic.pk).update(
        quiet_hours_start=start, quiet_hours_end=end, time_zone=zone
    )


def test_quiet_hours_are_read_in_the_mechanics_own_time_zone_and_wrap_midnight(clock, told):
    night_owl = make_mechanic("newyork")  # quiet 22:00-07:00 New York time (UTC-5 in November)
    set_quiet_hours(night_owl, time(22), time(7), "America/New_York")

    clock.now = datetime(2026, 11, 24, 4, 30, tzinfo=UTC)  # 23:30 in New York: quiet
    queued(told)
    clock.now = datetime(2026, 11, 24, 11, 30, tzinfo=UTC)  # 06:30 in New York: still quiet
    queued(told, name="Bob Stone")
    assert emails_to(night_owl) == []
    assert not QueueNotice.objects.filter(mechanic=night_owl).exists()  # never emailed later

    clock.now = datetime(2026, 11, 24, 12, 30, tzinfo=UTC)  # 07:30 in New York: awake
    later = queued(told, name="Carol Reed")
    (email,) = emails_to(night_owl)
    assert details_path(later) in email.body
    assert "waiting since 07:30" in email.body  # the mechanic's wall clock, not UTC


def test_quiet_hours_at_23_30_utc_do_not_silence_a_new_york_mechanic(clock, told):
    mechanic = make_mechanic("ny")
    set_quiet_hours(mechanic, time(22), time(7), "America/New_York")
    clock.now = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)  # 18:30 in New York
    queued(told)
    assert len(emails_to(mechanic)) == 1


@pytest.mark.parametrize(
    ("start", "end", "local", "quiet"),
    [
        (time(22), time(7), time(23), True),
        (time(22), time(7), time(3), True),
        (time(22), time(7), time(7), False),
        (time(22), time(7), time(12), False),
        (time(12), time(14), time(13), True),
        (time(12), time(14), time(14), False),
        (None, None, time(3), False),
    ],
)
def test_in_quiet_hours(start, end, local, quiet):
    mechanic = Mechanic(quiet_hours_start=start, quiet_hours_end=end, time_zone="Asia/Tokyo")
    moment = datetime(2026, 11, 24, local.hour, tzinfo=UTC) - timedelta(hours=9)  # Tokyo is UTC+9
    assert mechanic.in_quiet_hours(moment) is quiet


def test_a_workshop_request_is_emailed_only_to_that_workshops_mechanics(told):
    from mechanics.services import workshop_get_or_create

    downtown = workshop_get_or_create(name="Downtown Garage")
    maria = make_mechanic("maria", workshop=downtown)
    mike = make_mechanic("mike")
    other = make_mechanic("otto", workshop=workshop_get_or_create(name="Uptown Garage"))
    with told():
        session = make_session(make_customer(workshop=downtown))
    assert len(emails_to(maria)) == 1 and details_path(open_assignment(session)) in emails_to(maria)[0].body
    assert emails_to(mike) == [] and emails_to(other) == []

    queued(told)  # a general request: everyone (maria's interval holds hers back)
    assert len(emails_to(mike)) == 1 and len(emails_to(other)) == 1 and len(emails_to(maria)) == 1


def test_a_released_request_is_announced_to_the_others_not_to_who_released_it(clock, told):
    mike, max_ = make_mechanic("mike"), make_mechanic("max")
    assignment = queued(told)
    clock.advance(minutes=6)
    with told():
        session_accept(assignment=assignment, mechanic=mike)
    mail.outbox.clear()
    with told():
        session_release(session=assignment.session, mechanic=mike)
    assert emails_to(mike) == []
    (email,) = emails_to(max_)
    assert details_path(open_assignment(assignment.session)) in email.body


def test_a_promoted_request_is_announced(clock, told):
    mike = make_mechanic("mike")
    with told():
        session = make_session(scheduled_for=clock.now + timedelta(hours=2))
    assert emails_to(mike) == []
    clock.advance(hours=1, minutes=45)
    with told():
        session_promote(session=session)
    (email,) = emails_to(mike)
    assert details_path(open_assignment(session)) in email.body


def test_the_sweep_is_scheduled_and_a_command(clock, told, capsys):
    assert SCHEDULES["send-held-request-emails"] == ("sessions_app.tasks.send_held_request_emails", 1)
    mike = make_mechanic("mike")
    queued(told)
    clock.advance(minutes=1)
    queued(told, name="Bob Stone")
    clock.advance(minutes=5)
    with told():
        call_command("send_request_emails")
    assert "sent 1 request email(s)" in capsys.readouterr().out
    assert len(emails_to(mike)) == 2
    assert not SessionEvent.objects.filter(type="reminded").exists()
