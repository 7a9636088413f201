"""Ask before expiry (sessions_app.services.waiting): the 90-minute ask, keep waiting once, the
expiry that respects it, the email's signed link; and, on PostgreSQL with real threads,
keep-waiting racing the expiry job at the 2 h boundary."""

import re
import time
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.core.management import call_command
from django.test import Client

from autodoctor.errors import DomainError
from billing.services import credit_balance
from sessions_app import tasks
from sessions_app.models import Session, SessionEvent
from sessions_app.schedules import SCHEDULES
from sessions_app.services import (
    session_accept,
    session_keep_waiting,
    session_release,
    session_wait_ask,
    session_wait_cancel,
    sessions_ask_before_expiry,
    sessions_expire_stale,
)
from sessions_app.transitions import SessionStatus as S
from sessions_app.wait_links import SALT, wait_link_token
from tests.factories import make_customer, make_mechanic, make_session

from .lifecycle_states import open_assignment_of, replay_status, session_in

MINUTE = timedelta(minutes=1)
LINK = re.compile(r"https?://\S+/customer/wait/(\S+)/")


def fresh(session: Session) -> Session:
    return Session.objects.get(pk=session.pk)


def types_of(session: Session) -> list[str]:
    """Every event of the session in order, the ask's included."""
    return list(SessionEvent.objects.filter(session=session).order_by("id").values_list("type", flat=True))


# --- the ask -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_ask_comes_at_90_minutes_once_with_an_email(clock, django_capture_on_commit_callbacks):
    customer = make_customer()
    session = make_session(customer)
    clock.advance(minutes=89, seconds=59)
    assert sessions_ask_before_expiry() == 0  # not before 90 minutes
    assert mail.outbox == []
    clock.advance(seconds=1)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert sessions_ask_before_expiry() == 1
    assert len(callbacks) == 1  # the email leaves after commit
    asked = fresh(session)
    assert asked.wait_asked_at == clock.now
    assert asked.expires_at == asked.queued_at + 120 * MINUTE  # asking moves nothing
    event = SessionEvent.objects.get(session=session, type="wait_asked")
    assert event.actor_id is None and event.from_status == event.to_status == S.PENDING
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [customer.user.email]
    assert "Keep waiting or cancel" in email.subject
    assert LINK.search(email.body) and email.alternatives[0][1] == "text/html"
    assert LINK.search(email.alternatives[0][0])

    clock.advance(minutes=5)
    with django_capture_on_commit_callbacks(execute=True):
        assert sessions_ask_before_expiry() == 0  # once
    assert types_of(session).count("wait_asked") == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("status", [S.WAITING, S.LIVE, S.SCHEDULED, S.CANCELLED, S.COMPLETED])
def test_no_ask_for_a_session_that_is_not_pending(clock, status):
    session = session_in(status)
    clock.advance(minutes=95)
    assert sessions_ask_before_expiry() == 0
    assert session_wait_ask(session=session) is False
    assert "wait_asked" not in types_of(session)
    assert mail.outbox == [] or all("Keep waiting" not in m.subject for m in mail.outbox)


@pytest.mark.django_db
def test_a_taken_session_is_not_asked_and_one_released_back_keeps_its_clock(clock):
    mechanic = make_mechanic()
    session = make_session()
    clock.advance(minutes=80)
    session_accept(assignment=open_assignment_of(session), mechanic=mechanic)
    clock.advance(minutes=15)  # 95 min in the queue, but taken
    assert sessions_ask_before_expiry() == 0
    session_release(session=session, mechanic=mechanic)  # back in line at its original place
    assert sessions_ask_before_expiry() == 1  # 95 min since it joined the queue


@pytest.mark.django_db
def test_a_session_already_past_its_deadline_is_not_asked(clock):
    session = make_session()
    clock.advance(minutes=121)  # the expiry job has not come round yet
    assert sessions_ask_before_expiry() == 0
    assert fresh(session).wait_asked_at is None


@pytest.mark.django_db
def test_the_email_is_not_sent_once_the_request_was_taken_meanwhile(clock):
    session = make_session()
    clock.advance(minutes=90)
    session_accept(assignment=open_assignment_of(session), mechanic=make_mechanic())
    assert tasks.send_wait_ask_email(session.pk) is False
    assert mail.outbox[-1:] == [] or "Keep waiting" not in mail.outbox[-1].subject


@pytest.mark.django_db
def test_the_email_shows_the_expiry_in_the_customers_time_zone(clock, django_capture_on_commit_callbacks):
    customer = make_customer()
    customer.time_zone = "Asia/Tokyo"  # UTC+9, no daylight saving
    customer.save(update_fields=["time_zone"])
    session = make_session(customer)
    clock.advance(minutes=90)
    with django_capture_on_commit_callbacks(execute=True):
        sessions_ask_before_expiry()
    expires = fresh(session).expires_at
    from zoneinfo import ZoneInfo

    local = expires.astimezone(ZoneInfo("Asia/Tokyo"))
    assert f"{local:%H:%M} JST" in mail.outbox[0].body


# --- keep waiting ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_keep_waiting_extends_once_to_three_hours_and_then_expires(clock):
    customer = make_customer()
    session = make_session(customer)
    queued = session.queued_at
    clock.advance(minutes=90)
    sessions_ask_before_expiry()
    clock.advance(minutes=5)
    answer = session_keep_waiting(session=fresh(session), user=customer.user)
    assert answer.extended is True
    assert answer.session.wait_extended_until == queued + 180 * MINUTE
    assert "until" in answer.message
    extended = SessionEvent.objects.get(session=session, type="wait_extended")
    assert extended.actor_id == customer.user_id
    assert extended.data["expires_at"] == (queued + 180 * MINUTE).isoformat()

    again = session_keep_waiting(session=fresh(session), user=customer.user)
    assert again.extended is False  # a no-op that says so, with the time
    assert again.message.startswith("You already chose to keep waiting") and "until" in again.message
    assert types_of(session).count("wait_extended") == 1
    assert fresh(session).wait_extended_until == queued + 180 * MINUTE

    clock.now = queued + 120 * MINUTE + 1 * MINUTE  # 2 h: the old deadline no longer applies
    assert sessions_expire_stale() == 0
    assert fresh(session).status == S.PENDING
    assert sessions_ask_before_expiry() == 0  # no second ask after an extension
    clock.now = queued + 180 * MINUTE
    assert sessions_expire_stale() == 0  # exactly 3 h: not yet
    clock.advance(seconds=1)
    assert sessions_expire_stale() == 1
    assert fresh(session).status == S.EXPIRED


@pytest.mark.django_db
def test_no_answer_expires_at_two_hours_and_refunds_credits(clock):
    customer = make_customer(credits=1)
    session = make_session(customer, plan_code="quick-chat", pay_with="credits")
    assert credit_balance(customer=customer) == 0
    clock.advance(minutes=90)
    assert sessions_ask_before_expiry() == 1
    clock.advance(minutes=30)
    assert sessions_expire_stale() == 0  # exactly 2 h: not yet
    clock.advance(seconds=1)
    assert sessions_expire_stale() == 1
    assert fresh(session).status == S.EXPIRED
    assert credit_balance(customer=customer) == 1
    assert types_of(session)[-3:] == ["wait_asked", "expired", "refunded"]
    assert replay_status(session) == S.EXPIRED


@pytest.mark.django_db
def test_keep_waiting_refusals_say_why(clock):
    customer = make_customer()
    expired = session_in(S.EXPIRED, customer=customer)
    with pytest.raises(DomainError) as refused:
        session_keep_waiting(session=expired, user=customer.user)
    assert refused.value.code == "already_expired" and "already expired" in refused.value.detail
    assert refused.value.http_status == 409

    taken = session_in(S.WAITING)
    with pytest.raises(DomainError) as refused:
        session_keep_waiting(session=taken, user=taken.customer.user)
    assert refused.value.code == "already_taken" and "already took" in refused.value.detail

    cancelled = session_in(S.CANCELLED)
    with pytest.raises(DomainError) as refused:
        session_keep_waiting(session=cancelled, user=cancelled.customer.user)
    assert refused.value.code == "not_pending"

    someone_elses = session_in(S.PENDING)
    with pytest.raises(DomainError) as refused:
        session_keep_waiting(session=someone_elses, user=make_customer().user)
    assert refused.value.code == "not_found"
    assert fresh(someone_elses).wait_extended_until is None


@pytest.mark.django_db
def test_cancel_from_the_ask_is_the_ordinary_refunded_cancel(clock):
    customer = make_customer(credits=1)
    session = make_session(customer, plan_code="quick-chat", pay_with="credits")
    clock.advance(minutes=90)
    sessions_ask_before_expiry()
    cancelled = session_wait_cancel(session=fresh(session), user=customer.user)
    assert cancelled.status == S.CANCELLED
    assert credit_balance(customer=customer) == 1
    event = SessionEvent.objects.get(session=session, type="cancelled")
    assert event.data == {"reason": "wait_ask"} and event.actor_id == customer.user_id
    with pytest.raises(DomainError) as refused:  # a second answer: it is over
        session_wait_cancel(session=fresh(session), user=customer.user)
    assert refused.value.code == "not_pending"


@pytest.mark.django_db
def test_a_mechanic_who_took_it_meanwhile_keeps_it_when_the_customer_answers_cancel(clock):
    customer = make_customer()
    session = make_session(customer)
    clock.advance(minutes=90)
    sessions_ask_before_expiry()
    session_accept(assignment=open_assignment_of(session), mechanic=make_mechanic())
    with pytest.raises(DomainError) as refused:
        session_wait_cancel(session=fresh(session), user=customer.user)
    assert refused.value.code == "already_taken"
    assert fresh(session).status == S.WAITING


# --- the schedule, the command, the link -------------------------------------------------------


def test_the_ask_runs_every_minute_as_a_schedule_and_a_command():
    assert SCHEDULES["ask-before-expiry"] == ("sessions_app.tasks.ask_before_expiry", 1)


@pytest.mark.django_db
def test_the_command_and_the_task_ask(clock, capsys):
    make_session()
    make_session()
    clock.advance(minutes=91)
    call_command("ask_before_expiry")
    assert "asked about 2 session(s)" in capsys.readouterr().out
    assert tasks.ask_before_expiry() == 0


@pytest.mark.django_db
def test_the_emailed_link_opens_a_confirmation_and_only_its_post_extends(
    clock, django_capture_on_commit_callbacks
):
    customer = make_customer()
    session = make_session(customer)
    queued = session.queued_at
    clock.advance(minutes=90)
    with django_capture_on_commit_callbacks(execute=True):
        sessions_ask_before_expiry()
    token = LINK.search(mail.outbox[0].body).group(1)
    browser = Client()  # not signed in: the link is enough

    page = browser.get(f"/customer/wait/{token}/")
    assert page.status_code == 200
    assert b"Keep waiting or cancel?" in page.content
    assert fresh(session).wait_extended_until is None  # GET never acts

    done = browser.post(f"/customer/wait/{token}/", {"answer": "keep"}, follow=True)
    assert done.status_code == 200
    assert b"Thanks for waiting" in done.content and b"You are still in line" in done.content
    assert fresh(session).wait_extended_until == queued + 180 * MINUTE

    again = browser.post(f"/customer/wait/{token}/", {"answer": "keep"}, follow=True)
    assert b"You already chose to keep waiting" in again.content
    assert types_of(session).count("wait_extended") == 1


@pytest.mark.django_db
def test_the_link_cancels_and_then_says_it_is_over(clock):
    customer = make_customer()
    session = make_session(customer)
    token = wait_link_token(fresh(session))
    done = Client().post(f"/customer/wait/{token}/", {"answer": "cancel"}, follow=True)
    assert b"Your request was cancelled" in done.content
    assert fresh(session).status == S.CANCELLED
    assert b"This request is cancelled" in done.content


@pytest.mark.django_db
def test_the_link_after_expiry_or_a_mechanic_says_so(clock):
    expired = session_in(S.EXPIRED)
    token = wait_link_token(fresh(expired))
    page = Client().get(f"/customer/wait/{token}/")
    assert page.status_code == 200 and b"Your request already expired" in page.content
    answered = Client().post(f"/customer/wait/{token}/", {"answer": "keep"}, follow=True)
    assert b"already expired" in answered.content
    assert "wait_extended" not in types_of(expired)

    taken = session_in(S.WAITING)
    page = Client().get(f"/customer/wait/{wait_link_token(fresh(taken))}/")
    assert b"A mechanic already took your request" in page.content


@pytest.mark.django_db
def test_a_tampered_or_expired_link_gets_a_clear_page_not_an_error(clock, settings, monkeypatch):
    session = make_session()
    token = wait_link_token(fresh(session))
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (tampered, "nonsense", signing.dumps({"s": session.pk}, salt=SALT)):
        page = Client().get(f"/customer/wait/{bad}/")
        assert page.status_code == 400 and b"This link is not valid" in page.content
        posted = Client().post(f"/customer/wait/{bad}/", {"answer": "keep"})
        assert posted.status_code == 400
    # Signed for someone else: the session's customer must be the one named in the link.
    forged = signing.dumps({"s": session.pk, "u": make_customer().user_id}, salt=SALT)
    assert Client().get(f"/customer/wait/{forged}/").status_code == 400

    # The signature's clock is time.time(), not django's now.
    later = time.time() + settings.WAIT_LINK_MAX_AGE_HOURS * 3600 + 1
    monkeypatch.setattr(signing.time, "time", lambda: later)
    page = Client().get(f"/customer/wait/{token}/")
    assert page.status_code == 410 and b"This link has expired" in page.content
    assert fresh(session).wait_extended_until is None


# --- keep waiting racing the expiry job (PostgreSQL, real threads) ------------------------------


def _check_race_outcome(session: Session, keep: tuple[str, object], expire: tuple[str, object]) -> str:
    """Either expired (and keep-waiting answered "already expired") or extended (and not
    expired): never both, never neither, events consistent with the row."""
    row = fresh(session)
    types = types_of(session)
    assert replay_status(session) == row.status
    if row.status == S.EXPIRED:
        assert keep == ("refused", "already_expired"), keep
        assert expire[0] == "ok", expire
        assert row.wait_extended_until is None
        assert types.count("expired") == 1 and "wait_extended" not in types
        assert open_assignment_of(row) is None
        return "expired"
    assert row.status == S.PENDING, row.status
    assert keep[0] == "ok" and expire == ("refused", "invalid_transition"), (keep, expire)
    assert row.wait_extended_until == row.queued_at + 180 * MINUTE
    assert types.count("wait_extended") == 1 and "expired" not in types
    assert open_assignment_of(row) is not None
    return "extended"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(4))
def test_keep_waiting_racing_an_expiry_that_picked_the_session_first(on_postgres, clock, round_):
    """The expiry job read its candidates before the customer's keep-waiting committed (the ids
    below), then locks each: it must re-check the extended deadline on the locked row."""
    from .test_races import run_at_once

    sessions = [make_session(make_customer(credits=1), plan_code="quick-chat", pay_with="credits")]
    sessions += [make_session() for _ in range(11)]
    clock.advance(minutes=90)
    assert sessions_ask_before_expiry() == len(sessions)
    clock.now = max(s.queued_at for s in sessions) + 120 * MINUTE + timedelta(seconds=1)  # at 2 h
    cutoff = clock.now - 120 * MINUTE
    candidates = list(Session.objects.expiry_due(now=clock.now).values_list("id", flat=True))
    assert sorted(candidates) == sorted(s.pk for s in sessions)
    from sessions_app.services import session_expire

    calls = []
    for session in sessions:
        calls.append(lambda s=session: session_expire(session=Session(pk=s.pk), queued_before=cutoff))
        calls.append(lambda s=session: session_keep_waiting(session=Session(pk=s.pk), user=s.customer.user))
    outcomes = run_at_once(f"keep-waiting vs expiry, round {round_}", calls)

    results = [
        _check_race_outcome(session, keep=outcomes[2 * i + 1], expire=outcomes[2 * i])
        for i, session in enumerate(sessions)
    ]
    print(f"[race] round {round_}: {results.count('expired')} expired, {results.count('extended')} extended")
    paid = sessions[0]
    refunded = types_of(paid).count("refunded")
    assert refunded == (1 if fresh(paid).status == S.EXPIRED else 0)
    assert credit_balance(customer=paid.customer) == refunded


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_keep_waiting_racing_the_whole_expiry_sweep(on_postgres, clock):
    """The real sweep (two runs at once) against every customer keeping waiting at the 2 h mark."""
    from .test_races import run_at_once

    sessions = [make_session() for _ in range(16)]
    clock.advance(minutes=90)
    sessions_ask_before_expiry()
    clock.now = max(s.queued_at for s in sessions) + 120 * MINUTE + timedelta(seconds=1)
    calls = [sessions_expire_stale, sessions_expire_stale]
    calls += [
        lambda s=s: session_keep_waiting(session=Session(pk=s.pk), user=s.customer.user) for s in sessions
    ]
    outcomes = run_at_once("two expiry sweeps vs 16 keep-waitings", calls)

    swept = outcomes[0][1] + outcomes[1][1]
    expired = 0
    for session, keep in zip(sessions, outcomes[2:], strict=True):
        row = fresh(session)
        types = types_of(session)
        assert replay_status(session) == row.status
        if row.status == S.EXPIRED:
            expired += 1
            assert keep == ("refused", "already_expired") and "wait_extended" not in types
            assert types.count("expired") == 1
        else:
            assert keep[0] == "ok" and row.status == S.PENDING and "expired" not in types
            assert row.wait_extended_until == row.queued_at + 180 * MINUTE
    assert swept == expired  # each expired once, by one of the two sweeps
