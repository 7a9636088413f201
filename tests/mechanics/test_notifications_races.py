"""Request emails under real concurrency (PostgreSQL, threads): the mechanic row's lock makes
two sweeps (or a sweep and a new request's fan-out) send one email, never two."""

import pytest
from django.core import mail

from sessions_app.services import mechanics_queue_email_sweep, queue_notices_record
from tests.factories import make_customer, make_mechanic, make_session, open_assignment
from tests.mechanics.test_notifications_helpers import details_path, emails_to
from tests.sessions_app.test_races import run_at_once

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _postgres_only(on_postgres):
    """Skips on SQLite (see tests/conftest.py)."""


def test_two_sweeps_at_once_send_one_email(clock):
    mechanics = [make_mechanic(f"m{i}") for i in range(3)]
    make_session(make_customer(full_name="Alice Walker"))  # autocommit: announced at once
    assert all(len(emails_to(m)) == 1 for m in mechanics)
    clock.advance(minutes=1)
    held = [open_assignment(make_session(make_customer(full_name=f"Bob{i} Stone"))) for i in range(2)]
    assert all(len(emails_to(m)) == 1 for m in mechanics)  # held back by the five minutes
    clock.advance(minutes=5)

    outcomes = run_at_once("two request-email sweeps", [mechanics_queue_email_sweep] * 2)

    assert sorted(value for _, value in outcomes) in ([0, 3], [1, 2])  # each mechanic once, in total
    for mechanic in mechanics:
        first, second = emails_to(mechanic)
        assert all(details_path(a) in second.body for a in held)


def test_a_sweep_and_a_fan_out_at_once_send_one_email(clock):
    mike = make_mechanic("mike")
    make_session()
    clock.advance(minutes=1)
    held = open_assignment(make_session())
    clock.advance(minutes=5)
    mail.outbox.clear()

    run_at_once(
        "a sweep against a fan-out",
        [mechanics_queue_email_sweep, lambda: queue_notices_record(assignment_id=held.pk)],
    )

    (email,) = emails_to(mike)
    assert details_path(held) in email.body
