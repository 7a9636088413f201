"""Customer emails leave after commit (django-q2 tasks, inline in tests)."""

import pytest
from django.core import mail

from sessions_app.services import (
    session_accept,
    session_cancel,
    session_complete,
    session_release,
    session_start,
)
from tests.factories import make_mechanic, make_session, open_assignment

pytestmark = pytest.mark.django_db


@pytest.fixture
def outbox(django_capture_on_commit_callbacks):
    """Run the after-commit callbacks of whatever the test does inside `with outbox():`."""

    def capture():
        mail.outbox.clear()
        return django_capture_on_commit_callbacks(execute=True)

    return capture


def test_accept_emails_the_customer(customer, outbox):
    session = make_session(customer)
    with outbox():
        session_accept(assignment=open_assignment(session), mechanic=make_mechanic("mike"))
    (message,) = mail.outbox
    assert message.to == ["alice@example.com"]
    assert message.subject == "Auto Doctor: A mechanic has accepted your request"
    assert "Mike accepted your Free Chat request" in message.body


def test_release_tells_the_customer_they_keep_their_place(customer, outbox):
    session = make_session(customer)
    mech = make_mechanic("mike")
    session_accept(assignment=open_assignment(session), mechanic=mech)
    with outbox():
        session_release(session=session, mechanic=mech)
    assert "original place" in mail.outbox[0].body


def completion_email():
    """Completion sends the session-complete email, and (diagnostics) the report PDF separately."""
    subjects = sorted(m.subject for m in mail.outbox)
    (message,) = [m for m in mail.outbox if m.subject == "Auto Doctor: Your session is complete"]
    assert len(mail.outbox) == 2 and any("report" in s.lower() for s in subjects), subjects
    return message


def test_completion_emails_the_summary(customer, outbox):
    session = make_session(customer)
    mech = make_mechanic("mike")
    session_accept(assignment=open_assignment(session), mechanic=mech)
    session_start(session=session, mechanic=mech)
    with outbox():
        session_complete(session=session, mechanic=mech, summary="Replace the serpentine belt.")
    message = completion_email()
    assert message.subject == "Auto Doctor: Your session is complete"
    assert "Replace the serpentine belt." in message.body


def test_credit_refund_on_cancel_is_emailed(customer, outbox):
    session = make_session(customer, plan_code="quick-chat", pay_with="credits")
    with outbox():
        session_cancel(session=session, user=customer.user)
    assert [m.subject for m in mail.outbox] == ["Auto Doctor: Your payment has been refunded"]
    assert f"Session #{session.pk} ended before it went live" in mail.outbox[0].body


def test_no_email_without_an_address(customer, outbox):
    customer.user.email = ""
    customer.user.save()
    session = make_session(customer)
    with outbox():
        session_accept(assignment=open_assignment(session), mechanic=make_mechanic("mike"))
    assert mail.outbox == []


def test_the_words_come_from_the_email_templates_as_plain_text(customer, outbox):
    """Plain text: names and summaries are sent as written, never HTML-escaped."""
    session = make_session(customer)
    mech = make_mechanic("mike")
    session_accept(assignment=open_assignment(session), mechanic=mech)
    session_start(session=session, mechanic=mech)
    with outbox():
        session_complete(session=session, mechanic=mech, summary='Belt & pulley: "worn", replace <soon>.')
    message = completion_email()
    # issue 14: the email says when it ended, in the customer's zone (UTC for this customer).
    ended = f"{session.ended_at:%a %-d %b, %H:%M} UTC"
    assert message.body == (
        f"Hello Alice Driver,\n\nYour session with Mike is complete (ended {ended}).\n\n"
        'Summary:\nBelt & pulley: "worn", replace <soon>.\n\nAuto Doctor\n'
    )


def test_a_released_customer_reads_a_capitalised_sentence(customer, outbox):
    session = make_session(customer)
    mech = make_mechanic("mike")
    session_accept(assignment=open_assignment(session), mechanic=mech)
    with outbox():
        session_release(session=session, mechanic=mech)
    (message,) = mail.outbox
    assert message.subject == "Auto Doctor: Your mechanic stepped away: you keep your place in line"
    assert "\n\nYour mechanic had to step away." in message.body  # the mechanic is cleared by then
